"""Reconciliation's pure rules: what is compared, every kind of difference, and how a HIS's detail
file is read (docs/rules.md §14)."""

from decimal import Decimal as D

import pytest

from services.settlement.reconciliation.rules import (
    AMOUNTS,
    FUNDS,
    BookLine,
    Difference,
    Kind,
    compare_detail,
    compare_totals,
    csv_book_lines,
    summary,
)
from shared.errors import Unprocessable

TO_THE_FEN = "金额至多两位小数，即到分 (an amount has at most 2 decimal places, to the fen)"
OUT_OF_RANGE = "金额须在 0 至 9999999999.99 之间 (an amount is between 0 and 9999999999.99)"
BAD_SERIAL = "流水号须为1至64位字母、数字或 _.:- (1 to 64 letters, digits or _.:-)"
ASCII_DIGITS = "金额只能用半角数字 0-9 书写 (an amount is written in ASCII digits 0-9 only)"
HEADER = "his_serial,total,basic_insurance,critical_illness,assistance,re_assistance,cancelled\n"


def line(serial: str, *amounts: str, cancelled: bool = False) -> BookLine:
    return BookLine(serial, cancelled, tuple(D(a) for a in amounts))


def test_the_funds_are_those_a_settlement_keeps_in_the_statements_order() -> None:
    assert FUNDS == ("basic_insurance", "critical_illness", "assistance", "re_assistance")
    assert AMOUNTS == ("total", *FUNDS)


def test_every_kind_of_difference_to_the_fen() -> None:
    ours = [
        line("A1", "50000.00", "26520.00", "10665.60", "8814.40", "0.00"),
        line("A2", "20000.00", "12000.00", "0.00", "4800.00", "0.00"),
        line("A3", "50000.00", "26520.00", "10665.60", "8814.40", "0.00", cancelled=True),
        line("A5", "50000.00", "26520.00", "10665.60", "8814.40", "0.00"),
        line("A6", "100.00", "60.00", "0.00", "0.00", "0.00", cancelled=True),  # cancelled here, unknown there
        line("A7", "100.00", "60.00", "0.00", "0.00", "0.00", cancelled=True),  # cancelled on both sides
        line("A8", "300.00", "180.00", "0.00", "24.00", "0.00"),  # the same on both sides
    ]
    theirs = [
        line("A1", "50000.00", "26520.00", "10665.61", "8814.00", "0.00"),
        line("A3", "50000.00", "26520.00", "10665.60", "8814.40", "0.00"),
        line("A5", "50000.00", "26520.00", "10665.60", "8814.40", "0.00", cancelled=True),
        line("X9", "1200", "720", "0", "96", "0"),  # as a file may write them
        line("X8", "10.00", "0.00", "0.00", "0.00", "0.00", cancelled=True),  # cancelled there, unknown here
        line("A7", "100.00", "60.00", "0.00", "0.00", "0.00", cancelled=True),
        line("A8", "300.00", "180.00", "0.00", "24.00", "0.00"),
    ]
    differences = compare_detail(ours, theirs)
    assert differences == [
        Difference("A1", Kind.AMOUNT_DIFFERS, "critical_illness", D("10665.60"), D("10665.61")),
        Difference("A1", Kind.AMOUNT_DIFFERS, "assistance", D("8814.40"), D("8814.00")),
        Difference("A2", Kind.MISSING_THERE, None, D("20000.00"), None),
        Difference("A3", Kind.CANCELLED_HERE_ONLY, None, D("50000.00"), D("50000.00")),
        Difference("A5", Kind.CANCELLED_THERE_ONLY, None, D("50000.00"), D("50000.00")),
        Difference("X9", Kind.MISSING_HERE, None, None, D("1200.00")),
    ]
    assert [d.difference for d in differences[:2]] == [D("-0.01"), D("0.40")]
    assert str(differences[-1].theirs) == "1200.00"
    assert summary(len(ours), len(theirs), differences) == {
        "ours": 7, "theirs": 7, "missing_there": 1, "missing_here": 1, "amount_differs": 2,
        "cancelled_here_only": 1, "cancelled_there_only": 1,
    }


def test_totals_are_compared_line_by_line() -> None:
    ours = {"count": D(3), "total": D("120000.00"), "fund_total": D("108800.00"), "basic_insurance": D("65040.00"),
            "critical_illness": D("21331.20"), "assistance": D("22428.80"), "re_assistance": D("0.00")}
    theirs = ours | {"count": D(4), "assistance": D("22428.90")}
    lines = compare_totals(ours, theirs)
    assert [line.item for line in lines] == ["count", "total", "fund_total", *FUNDS]
    assert {line.item: line.difference for line in lines if line.difference} == {
        "count": D(-1), "assistance": D("-0.10")}


def test_a_detail_file_in_gb18030_with_a_bom_less_header_is_read() -> None:
    content = (HEADER + "ZY-1,50000.00,26520,10665.6,8814.40,0,0\nZY-2,100,60,0,0,0,1\n\n").encode("gb18030")
    assert csv_book_lines(content) == [
        line("ZY-1", "50000.00", "26520.00", "10665.60", "8814.40", "0.00"),
        line("ZY-2", "100.00", "60.00", "0.00", "0.00", "0.00", cancelled=True),
    ]


def test_the_cancelled_column_may_be_left_out() -> None:
    content = ("\ufeff" + HEADER.replace(",cancelled", "") + "ZY-1,1,1,0,0,0\n").encode()
    assert csv_book_lines(content) == [line("ZY-1", "1.00", "1.00", "0.00", "0.00", "0.00")]


def _refusal(content: str) -> Unprocessable:
    with pytest.raises(Unprocessable) as refused:
        csv_book_lines(content.encode())
    return refused.value


@pytest.mark.parametrize(("content", "code", "errors"), [
    (HEADER.replace("cancelled", "note"), "unknown_column", None),
    (HEADER.replace(",re_assistance", ""), "missing_column", None),
    (HEADER, "empty_upload", None),
    (HEADER + "ZY-1,12,50,0,0,0,0,0\nZY-2,1.001,0,0,0,0,0\nZY-3,-1,0,0,0,0,0\nZY 4,1,0,0,0,0,0\nZY-5,1,0,0,0,0,2\n"
     "ZY-6,１００,0,0,0,0,0\nZY-7,1\n", "invalid_lines", [
         {"line": 2, "field": None, "msg": "该行有 8 列，表头有 7 列 (cells do not match the header)"},
         {"line": 3, "field": "total", "msg": TO_THE_FEN},
         {"line": 4, "field": "total", "msg": OUT_OF_RANGE},
         {"line": 5, "field": "his_serial", "msg": BAD_SERIAL},
         {"line": 6, "field": "cancelled", "msg": "撤销标志须为 0 或 1 (cancelled is 0 or 1)"},
         {"line": 7, "field": "total", "msg": ASCII_DIGITS},
         {"line": 8, "field": None, "msg": "该行有 2 列，表头有 7 列 (cells do not match the header)"},
     ]),
    (HEADER + "ZY-1,1,0,0,0,0,0\nZY-2,1,0,0,0,0,0\nZY-1,1,0,0,0,0,0\n", "duplicate_serial", [
        {"line": 4, "field": "his_serial", "msg": "与第 2 行重复 (same as line 2)"}]),
])
def test_a_bad_detail_file_is_refused_whole_with_a_stable_code(
    content: str, code: str, errors: list[dict[str, object]] | None,
) -> None:
    refused = _refusal(content)
    assert refused.code == code
    assert refused.extra.get("errors") == errors



def test_a_duplicated_column_is_refused() -> None:
    assert _refusal(HEADER.replace("cancelled", "total") + "ZY-1,1,0,0,0,0,0\n").code == "duplicate_column"
