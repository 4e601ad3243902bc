"""The printed statement's layout from a stored statement (pure): POLICY.md §8 example 1 as settled."""

from decimal import Decimal as D
from typing import Any

from services.settlement.settlements.schemas import Statement
from services.settlement.statements.layout import SelfPayParts, StatementDocument, statement_document

# POLICY.md §8 example 1 as settled (低保, inpatient, a bill of 50,000): the documented statement,
# settled late in a UTC afternoon
EXAMPLE_1: dict[str, Any] = Statement.model_config["json_schema_extra"]["examples"][0] | {  # type: ignore[index]
    "settled_at": "2023-03-20T16:05:09.5Z",
}
YTD = EXAMPLE_1["year_to_date_after"]
NOT_KEPT = SelfPayParts(None, None, None)


def document(changes: dict[str, Any] | None = None, **names: Any) -> StatementDocument:
    names = {"hospital_name": "毓璜顶医院", "person_name": "张三", "older_self_pay": NOT_KEPT} | names
    return statement_document(Statement.model_validate(EXAMPLE_1 | (changes or {})), **names)


def lines(doc: StatementDocument, title_start: str) -> dict[str, str]:
    [section] = [s for s in doc.sections if s.title.startswith(title_start)]
    return {line.label: line.value for line in section.lines}


def test_example_1_prints_who_where_and_when() -> None:
    doc = document()
    assert doc.title == "医疗救助“一站式”即时结算单"
    assert doc.cancelled is None
    assert lines(doc, "参保人") == {
        "定点医疗机构": "060001 毓璜顶医院", "姓名": "张三", "身份证号": "370602********1239", "医疗类别": "住院",
        "入院日期": "2023年03月01日", "出院日期": "2023年03月20日", "适用政策": "yantai-2023", "救助身份": "低保对象",
    }
    assert lines(doc, "结算信息") == {
        "结算编号": "c4383e4c50df42a2a7944de8d5baf1fd", "医院结算流水号": "ZY20230320-0001",
        "结算时间": "2023-03-21 00:05:09（北京时间）",  # 16:05 UTC is past midnight in Yantai
    }


def test_example_1_prints_the_bill_split_every_fund_and_the_personal_share() -> None:
    doc = document()
    assert lines(doc, "医疗费用") == {
        "医疗费用总额": "50000.00", "全自费金额": "3000.00", "超限价自费金额": "0.00", "先行自付金额": "2000.00",
        "符合政策范围金额": "45000.00",
    }
    [funds] = [s for s in doc.sections if s.title.startswith("基金支付")]
    assert [(line.label, line.value, line.emphasized) for line in funds.lines] == [
        ("基本医保统筹基金（390100）", "26520.00", False),
        ("大病保险（390200）", "7462.00", False),
        ("医疗救助（610100）", "8814.40", False),
        ("医疗救助（再救助）（610100）", "0.00", False),
        ("基金支付合计", "42796.40", False),
        ("医疗机构减免与社会捐助", "0.00", False),
        ("个人自付", "7203.60", True),
    ]


def test_the_annual_totals_are_those_recorded_with_the_settlement() -> None:
    assert lines(document(), "2023年度累计") == {
        "本年度结算次数": "1", "基本医保统筹基金累计支付": "26520.00", "大病保险累计支付": "7462.00",
        "医疗救助累计支付": "8814.40", "再救助累计支付": "0.00",
    }


def test_an_occasional_fund_prints_its_line_and_its_annual_total_when_it_paid() -> None:
    changes = {
        "funds": [*EXAMPLE_1["funds"][:2], {"fund": "330100", "label": "职工大额医疗费用补助", "amount": "1200.00"},
                  *EXAMPLE_1["funds"][2:]],
        "year_to_date_after": YTD | {"large_expense_paid": "1200.00"},
    }
    doc = document(changes)
    assert lines(doc, "基金支付")["职工大额医疗费用补助（330100）"] == "1200.00"
    assert lines(doc, "2023年度累计")["职工大额医疗费用补助累计支付"] == "1200.00"
    assert "大病保险特殊药品累计支付" not in lines(doc, "2023年度累计")


def test_an_itemized_bill_says_how_many_lines_the_catalog_classified() -> None:
    split = EXAMPLE_1["split"] | {"itemized_lines": 2000}
    assert lines(document({"split": split}), "医疗费用")["费用明细"] == "2000 条，按医保目录分类"
    assert "费用明细" not in lines(document(), "医疗费用")


def test_an_older_statement_prints_the_split_the_settlement_row_kept() -> None:
    doc = document({"split": None}, older_self_pay=SelfPayParts(D("3000.00"), D("0.00"), None))
    assert [lines(doc, "医疗费用")[k] for k in ("全自费金额", "超限价自费金额", "先行自付金额")] == [
        "3000.00", "0.00", "—"]


def test_what_was_not_recorded_prints_as_a_dash_not_as_zero() -> None:
    doc = document({"split": None}, hospital_name=None, person_name=None)
    assert lines(doc, "参保人")["定点医疗机构"] == "060001"
    assert lines(doc, "参保人")["姓名"] == "—"
    assert [lines(doc, "医疗费用")[k] for k in ("全自费金额", "超限价自费金额", "先行自付金额")] == ["—", "—", "—"]


def test_a_settlement_without_assistance_says_why() -> None:
    reason = "救助对象登记中无此人，仅按医保结算 (not in the registry: insurance only)"
    doc = document({"identity_applied": None, "reason": reason})
    assert lines(doc, "参保人")["救助身份"] == f"未享受医疗救助：{reason}"


def test_a_cancelled_settlement_is_marked_with_when_why_and_by_whom() -> None:
    doc = document({"status": "cancelled", "cancellation": {
        "cancelled_at": "2023-03-20T02:30:00Z", "reason": "患者信息录入错误，重新结算", "cancelled_by": "his-060001",
        "operator": "收费处 张三 (工号 0412)",
    }})
    assert doc.cancelled is not None
    assert doc.cancelled.mark == "已撤销"
    assert doc.cancelled.lines == (
        "本结算已于 2023-03-20 10:30:00（北京时间） 撤销，不再有效。",
        "撤销原因：患者信息录入错误，重新结算",
        "经办：收费处 张三 (工号 0412)",
    )
    assert lines(doc, "基金支付")["个人自付"] == "7203.60"  # the figures stay as they were settled


def test_a_cancellation_without_an_operator_names_the_account() -> None:
    doc = document({"status": "cancelled", "cancellation": {
        "cancelled_at": "2023-03-20T02:30:00Z", "reason": "重复结算", "cancelled_by": "ops-window", "operator": None,
    }})
    assert doc.cancelled is not None and doc.cancelled.lines[-1] == "经办：ops-window"
