"""Manual (零星) claims over real HTTP on PostgreSQL, beyond entry and payment: Tai'erzhuang's township
channel for approved care outside the district (台民字〔2017〕26号 二, 五(三)1 区外就诊救助), cancelling a
claim's settlement, and the claim's printed statement rendered to an image."""

from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import EXAMPLE_1, EXAMPLE_2, beneficiary, funds, ledger_balances
from tests.e2e.test_manual_claims import claim_body
from tests.support.pdf import assert_rendered, page_text
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e

TOWNSHIP_DOCUMENTS = {"identity": True, "assistance_certificate": True, "passbook": True, "invoices": True,
                      "insurance_statement": True}
# 001 §四 inpatient: 20,000 − 12,000 basic = 8,000 in-policy burden (nothing outside the catalog)
BILL = {"total": "20000", "basic_insurance_paid": "12000", "critical_illness_paid": "0"}


def taierzhuang_person(platform: Platform, auth) -> str:  # type: ignore[no-untyped-def]
    id_number = new_id_number()
    registry, ops = platform.urls["registry"], auth(Role.OPS)
    assert httpx.post(f"{registry}/v1/persons", headers=ops, json={
        "id_number": id_number, "name": "镇街测试", "insurance_type": "resident", "region_code": "370405",
    }).status_code == 201
    assert httpx.post(f"{registry}/v1/persons/{id_number}/identities", headers=ops, json={
        "category": "minimum_allowance", "document_number": "台民〔2019〕1号", "approved_on": "2019-01-10",
    }).status_code == 201
    return id_number


def township_body(id_number: str, **extra) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Inpatient care at 枣庄市立医院 (Shizhong district, outside Tai'erzhuang), approved beforehand."""
    return claim_body(
        id_number, BILL, hospital={"name": "枣庄市立医院", "region_code": "370402", "level": "level_3"},
        admitted_on="2019-05-01", discharged_on="2019-05-10", received_on="2019-05-20",
        invoices=[{"number": "ZZ-190510", "issued_on": "2019-05-10", "amount": "20000"}],
        channel="township", office="涧头集镇人力资源和社会保障所", approval_reference="台民审〔2019〕15号",
        passbook={"bank": "台儿庄农村商业银行", "account": "6230501234567890123"},
        documents=TOWNSHIP_DOCUMENTS,
    ) | extra


def test_a_township_office_claims_approved_care_outside_the_district_paid_to_the_passbook(  # type: ignore[no-untyped-def]
    platform: Platform, auth,
) -> None:
    url = f"{platform.urls['settlement']}/v1/manual-claims"
    township = auth(Role.AGENCY, agency="civil_affairs")
    id_number = taierzhuang_person(platform, auth)

    # Entered at a window, the district plan does not assist care outside the district (001 §二): 0,
    # and the statement says to apply by hand. The claim is cancelled, its zero booking reversed.
    window = httpx.post(url, headers=township, json=claim_body(
        id_number, BILL, hospital={"name": "枣庄市立医院", "region_code": "370402", "level": "level_3"},
        admitted_on="2019-05-01", discharged_on="2019-05-10", received_on="2019-05-20",
        invoices=[{"number": "ZZ-190510", "issued_on": "2019-05-10", "amount": "20000"}]))
    assert window.status_code == 201, window.text
    assert window.json()["statement"]["policy_id"] == "taierzhuang-2017"
    assert funds(window.json()["statement"]) == (D("12000.00"), D("0.00"), D("0.00"), D("0.00"), D("8000.00"))
    assert "区外就医" in window.json()["statement"]["reason"]
    cancelled = httpx.post(f"{url}/{window.json()['id']}/cancellation", headers=township,
                           json={"reason": "应由镇（街）所按区外就诊救助受理", "operator": "王五"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["statement"]["status"] == "cancelled"

    # The township channel's refusals: each thing it needs, and Tai'erzhuang persons only.
    for field in ("approval_reference", "office", "passbook"):
        refused = httpx.post(url, headers=township, json=township_body(id_number, **{field: None}))
        assert refused.status_code == 422 and refused.json()["code"] == f"{field}_required", refused.text
    yantai = httpx.post(url, headers=township, json=township_body(beneficiary(platform, auth, "minimum_allowance")))
    assert yantai.status_code == 422 and yantai.json()["code"] == "township_channel_not_for_region"
    foreign = httpx.post(url, headers=township, json=township_body(
        id_number, documents=TOWNSHIP_DOCUMENTS | {"fee_list": True}))
    assert foreign.status_code == 422 and foreign.json()["code"] == "document_not_in_checklist"
    office_at_window = httpx.post(url, headers=township, json=township_body(id_number, channel="window"))
    assert office_at_window.status_code == 422 and office_at_window.json()["code"] == "township_fields_on_window"

    # 001 §五(三)1 asks the passbook among the materials: without it, told at once, nothing calculated.
    created = httpx.post(url, headers=township, json=township_body(
        id_number, documents=TOWNSHIP_DOCUMENTS | {"passbook": False}))
    assert created.status_code == 201, created.text
    claim = created.json()
    assert claim["status"] == "incomplete" and [m["document"] for m in claim["missing"]] == ["passbook"]
    assert claim["missing"][0]["label"].startswith("农村商业银行存折（卡）")
    completed = httpx.post(f"{url}/{claim['id']}/documents", headers=township,
                           json={"documents": {"passbook": True}, "received_on": "2019-05-20"})
    assert completed.status_code == 200, completed.text
    claim = completed.json()
    # Approved care outside the district, by the district's own standard: 8,000 × 70% = 5,600 (cap
    # 10,000 a year), the person's share 2,400. Monday 2019-05-20 accepted → 2019-06-03 due
    # (May 21–24, 27–31, June 3).
    assert (claim["status"], claim["due_on"], claim["paid_to"]) == ("calculated", "2019-06-03", "passbook")
    assert funds(claim["statement"]) == (D("12000.00"), D("0.00"), D("5600.00"), D("0.00"), D("2400.00"))
    assert claim["statement"]["reason"] is None
    entered = claim["claim"]
    assert (entered["channel"], entered["office"], entered["approval_reference"]) == (
        "township", "涧头集镇人力资源和社会保障所", "台民审〔2019〕15号")
    assert entered["passbook"]["account"] == "623050*********0123"  # an agency token reads no PII
    ops_view = httpx.get(f"{url}/{claim['id']}", headers=auth(Role.OPS)).json()
    assert ops_view["claim"]["passbook"]["account"] == "6230501234567890123"
    [row] = fetch(platform.databases["settlement"], "SELECT channel, office FROM manual_claims WHERE id = $1",
                  claim["id"])
    assert (row["channel"], row["office"]) == ("township", "涧头集镇人力资源和社会保障所")
    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid_inpatient"] == sums["assistance_paid_inpatient"] == D("5600")

    assert httpx.post(f"{url}/{claim['id']}/approval", headers=auth(Role.OPS)).status_code == 200
    paid = httpx.post(f"{url}/{claim['id']}/payment", headers=township,
                      json={"paid_on": "2019-05-31", "reference": "TEZ-NSH-20190531-07"})
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["paid_to"]) == ("paid", "passbook")

    pdf = httpx.get(f"{url}/{claim['id']}/statement.pdf", headers=township, timeout=30)
    assert pdf.status_code == 200, pdf.text
    for text in ("医疗救助手工（零星）报销结算单", "枣庄市立医院", "涧头集镇人力资源和社会保障所", "台民审〔2019〕15号",
                 "划入存折：台儿庄农村商业银行 623050*********0123", "已支付", "TEZ-NSH-20190531-07",
                 "5600.00", "2400.00"):
        assert_rendered(pdf.content, text)


def test_the_claims_statement_prints_like_a_discharges_with_the_claim(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    url = f"{platform.urls['settlement']}/v1/manual-claims"
    clerk = auth(Role.AGENCY)
    id_number = beneficiary(platform, auth, "minimum_allowance")
    created = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_2, received_on="2023-05-15"))
    assert created.status_code == 201, created.text
    claim = created.json()
    # Example 2's bill as the year's first care (低保, 2023): R = 120,000 − 5,000 − 5,000 − 60,000 =
    # 50,000; critical illness (50,000 − 7,000) × 65% = 27,950; A = 22,050 × 80% = 17,640; remainder
    # 4,410 under 5,000: no re-assistance; personal share 120,000 − 60,000 − 27,950 − 17,640 = 14,410.
    assert funds(claim["statement"]) == (D("60000"), D("27950"), D("17640"), D("0"), D("14410"))

    printed = httpx.get(f"{url}/{claim['id']}/statement.pdf", headers=clerk, timeout=30)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    assert f"statement-MC-{claim['id']}.pdf" in printed.headers["content-disposition"]
    for text in ("医疗救助手工（零星）报销结算单", "就诊医疗机构", "山东大学齐鲁医院（济南）", "结算测试",
                 id_number[:6] + "********" + id_number[-4:], "低保对象", "120000.00", "27950.00", "17640.00",
                 "个人自付", "14410.00", f"MC-{claim['id']}", "医保经办窗口", "2023年05月15日", "2023年05月29日",
                 "已计算，待审核", "支付给本人", "JN-0001", "出院记录：已收"):
        assert_rendered(printed.content, text)
    assert "医院结算流水号" not in page_text(printed.content)

    # The settlement's own PDF route prints the same document for ops (its hospital is no catalog's).
    by_settlement = httpx.get(
        f"{platform.urls['settlement']}/v1/settlements/{claim['settlement_id']}/statement.pdf",
        headers=auth(Role.OPS), timeout=30)
    assert by_settlement.status_code == 200, by_settlement.text
    for text in ("医疗救助手工（零星）报销结算单", f"MC-{claim['id']}", "14410.00"):
        assert_rendered(by_settlement.content, text)

    incomplete = httpx.post(url, headers=clerk, json=claim_body(
        id_number, EXAMPLE_1, documents={"identity": True}))
    not_yet = httpx.get(f"{url}/{incomplete.json()['id']}/statement.pdf", headers=clerk)
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "manual_claim_not_calculated"


def test_cancelling_a_claims_settlement_closes_the_claim_and_a_paid_claim_refuses(  # type: ignore[no-untyped-def]
    platform: Platform, auth,
) -> None:
    url = f"{platform.urls['settlement']}/v1/manual-claims"
    settlements = f"{platform.urls['settlement']}/v1/settlements"
    clerk, ops = auth(Role.AGENCY), auth(Role.OPS)
    id_number = beneficiary(platform, auth, "minimum_allowance")
    first = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_1, received_on="2023-05-15")).json()
    assert D(first["assistance"]) == D("8814.40")  # docs/rules.md §8 example 1
    assert httpx.post(f"{url}/{first['id']}/approval", headers=ops).status_code == 200

    # Cancelled through the settlement's own route: the claim closes with it, in one transaction.
    cancelled = httpx.post(f"{settlements}/{first['settlement_id']}/cancel", headers=ops,
                           json={"reason": "票据金额录入有误"})
    assert cancelled.status_code == 200, cancelled.text
    claim = httpx.get(f"{url}/{first['id']}", headers=clerk).json()
    assert (claim["status"], claim["assistance"], claim["overdue"]) == ("cancelled", None, False)
    assert claim["statement"]["status"] == "cancelled"
    assert claim["statement"]["cancellation"]["reason"] == "票据金额录入有误"
    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == sums["assistance_paid"] == 0
    for step, body in (("payment", {"paid_on": "2023-05-20", "reference": "X"}), ("approval", None),
                       ("cancellation", {"reason": "再次撤销"})):
        refused = httpx.post(f"{url}/{first['id']}/{step}", headers=clerk, json=body)
        assert refused.status_code == 409 and refused.json()["code"] == "manual_claim_cancelled", step
    printed = httpx.get(f"{url}/{first['id']}/statement.pdf", headers=clerk, timeout=30)
    for text in ("已撤销", "撤销原因：票据金额录入有误", "结算已撤销，申请关闭"):
        assert_rendered(printed.content, text)

    # The corrected claim settles as the year's first again (the cancelled one reversed), and is paid:
    # then its settlement cannot be cancelled, by either route, and nothing moves.
    second = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_1, received_on="2023-05-16")).json()
    assert D(second["assistance"]) == D("8814.40")
    assert httpx.post(f"{url}/{second['id']}/approval", headers=ops).status_code == 200
    assert httpx.post(f"{url}/{second['id']}/payment", headers=clerk,
                      json={"paid_on": "2023-05-25", "reference": "BANK-0525"}).status_code == 200
    for refused in (
        httpx.post(f"{settlements}/{second['settlement_id']}/cancel", headers=ops, json={"reason": "误撤"}),
        httpx.post(f"{url}/{second['id']}/cancellation", headers=clerk, json={"reason": "误撤"}),
    ):
        assert refused.status_code == 409 and refused.json()["code"] == "manual_claim_paid", refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    [settlement] = fetch(platform.databases["settlement"], "SELECT status FROM settlements WHERE id = $1",
                         second["settlement_id"])
    assert settlement["status"] == "settled"
    assert httpx.get(f"{url}/{second['id']}", headers=clerk).json()["status"] == "paid"
    balances, _ = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == D("8814.40")

    incomplete = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_1, documents={})).json()
    refused = httpx.post(f"{url}/{incomplete['id']}/cancellation", headers=clerk, json={"reason": "撤回"})
    assert refused.status_code == 409 and refused.json()["code"] == "manual_claim_not_calculated"
