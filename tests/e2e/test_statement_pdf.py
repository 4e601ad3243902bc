"""The printed statement over real HTTP on PostgreSQL: POLICY.md §8 example 1 settled by a HIS, its
PDF rendered by PDFium to an image, every figure found there as glyphs; then cancelled and marked."""

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, settle
from tests.support.pdf import assert_rendered, page_text
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e


def test_example_1_prints_every_fund_and_the_personal_share_then_its_cancellation(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    settled = settle(platform, auth, id_number, "PDF-EX1", EXAMPLE_1)
    assert settled.status_code == 201, settled.text
    url = f"{platform.urls['settlement']}/v1/settlements/{settled.json()['settlement_id']}/statement.pdf"
    his = auth(Role.HIS, hospital_code="060001")

    answer = httpx.get(url, headers=his, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline;")
    pdf = answer.content
    for text in (
        "060001 毓璜顶医院", "结算测试", id_number[:6] + "********" + id_number[-4:], "住院", "2023年03月01日",
        "2023年03月20日", "低保对象",
        "50000.00", "3000.00", "2000.00", "45000.00",  # total, full self-pay, pre-self-pay, policy-range amount
        "基本医保统筹基金（390100）", "26520.00", "大病保险（390200）", "7462.00",
        "医疗救助（610100）", "8814.40", "医疗救助（再救助）（610100）", "个人自付", "7203.60",
        "2023年度累计", "PDF-EX1",
    ):
        assert_rendered(pdf, text)
    assert "已撤销" not in page_text(pdf)

    cancelled = httpx.post(url.removesuffix("/statement.pdf") + "/cancel", headers=his,
                           json={"reason": "费用录入有误，重新结算", "operator": "收费处 李四"})
    assert cancelled.status_code == 200, cancelled.text
    reprinted = httpx.get(url, headers=auth(Role.OPS), timeout=30)
    assert reprinted.status_code == 200, reprinted.text
    for text in ("已撤销", "撤销原因：费用录入有误，重新结算", "经办：收费处 李四", "7203.60"):
        assert_rendered(reprinted.content, text)


def test_another_hospital_and_an_unknown_settlement_get_404(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    settled = settle(platform, auth, id_number, "PDF-404", EXAMPLE_1)
    assert settled.status_code == 201, settled.text
    base = f"{platform.urls['settlement']}/v1/settlements"
    for url, headers in (
        (f"{base}/{settled.json()['settlement_id']}/statement.pdf", auth(Role.HIS, hospital_code="060002")),
        (f"{base}/{'0' * 32}/statement.pdf", auth(Role.OPS)),
    ):
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "settlement_not_found"


def test_a_person_the_registry_does_not_know_prints_without_a_name(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = new_id_number()
    settled = settle(platform, auth, id_number, "PDF-NONAME", EXAMPLE_1)
    assert settled.status_code == 201, settled.text
    answer = httpx.get(f"{platform.urls['settlement']}/v1/settlements/{settled.json()['settlement_id']}/statement.pdf",
                       headers=auth(Role.HIS, hospital_code="060001"), timeout=30)
    assert answer.status_code == 200, answer.text
    assert_rendered(answer.content, "未享受医疗救助：救助对象登记中无此人")
    assert " 姓名 — " in page_text(answer.content)  # the name line is there, with nothing invented
