"""Downloaded CSVs: no cell a spreadsheet would run as a formula (OWASP, CSV injection)."""

import csv
import io

import pytest

from shared.csv_export import cell, csv_text


@pytest.mark.parametrize(("value", "shown"), [
    ('=HYPERLINK("http://x.example/","点我")', '\'=HYPERLINK("http://x.example/","点我")'),
    ("+1+1", "'+1+1"),
    ("-12.50", "'-12.50"),  # negative amounts too: a program reading the file strips the '
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("张=三", "张=三"),
    ("12.50", "12.50"),
    (None, ""),
    (7, "7"),
])
def test_a_cell_never_starts_a_formula(value: object, shown: str) -> None:
    assert cell(value) == shown


def test_the_file_is_utf8_with_a_bom_and_chinese_headers() -> None:
    text = csv_text(["行号", "姓名"], [[1, "=1+1"], [2, "李四"]])
    assert text.startswith("\ufeff行号,姓名\r\n")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["行号", "姓名"], ["1", "'=1+1"], ["2", "李四"]]
