"""A HIS settles an itemized bill (fee details, NHSA 2301) through the real services over HTTP, on
PostgreSQL: the catalog classifies each line, the sums become the bill, the statement pays what
docs/rules.md §8 Example 1 gives for that bill, and the settlement keeps the lines.

The catalog holds the sample catalog (services/catalog/data/items_sample.csv), imported by ops as a
deployment imports the bureau's real one."""

import time
from decimal import Decimal as D

import httpx
import pytest

from services.catalog.items.sample import SAMPLE, SAMPLE_BATCH
from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import beneficiary, funds, settle

pytestmark = pytest.mark.e2e


def fee(sn: str, code: str, quantity: str, price: str, amount: str, original: str | None = None) -> dict:  # type: ignore[type-arg]
    line = {"feedetl_sn": sn, "item_code": code, "quantity": quantity, "unit_price": price, "amount": amount}
    return line | ({"original_sn": original} if original else {})


# The split by hand (docs/rules.md §11; each part rounded to the fen per line, half up), discharge
# 2023-03-20, the sample catalog:
#   L1 SAMPLE-D002 乙 10%, limit 50: 110 × 56.00 = 6,160.00; over (56 − 50) × 110 = 660.00;
#      pre 10% × (6,160 − 660) = 550.00
#   L2 SAMPLE-D002 refund of L1: −10 × 56.00 = −560.00; over −60.00; pre 10% × (−560 + 60) = −50.00
#   L3 SAMPLE-T002 乙 20%, limit 600: 2 × 650.00 = 1,300.00; over 100.00; pre 20% × 1,200 = 240.00
#   L4 SAMPLE-D004 乙 5%, no limit: 10 × 1,119.90 = 11,199.00; pre 5% × 11,199 = 559.95
#   L5 SAMPLE-D004: 1 × 0.90; pre 5% × 0.90 = 0.045 → 0.05 (half up)
#   L6 SAMPLE-C003 丙: 2 × 1,000.00 = 2,000.00, all full self-pay
#   L7 SAMPLE-D005 乙 but out of the catalog since 2022-12-31: 1,000.00, all full self-pay
#   L8 SAMPLE-T001 甲, limit 40: 20 × 40.00 = 800.00, nothing
#   L9 SAMPLE-D001 甲: 2,810.01 × 10.00 = 28,100.10, nothing
# total 6,160 − 560 + 1,300 + 11,199 + 0.90 + 2,000 + 1,000 + 800 + 28,100.10 = 50,000.00
# full self-pay 2,000 + 1,000 = 3,000.00; over-limit 660 − 60 + 100 = 700.00;
# pre-self-pay 550 − 50 + 240 + 559.95 + 0.05 = 1,300.00
# → S = 50,000 − 3,000 − 700 − 1,300 = 45,000: Example 1's bill, which pays basic 26,520 (given),
#   critical illness 7,462.00, assistance 8,814.40, re-assistance 0, personal share 7,203.60.
LINES = [
    fee("L1", "SAMPLE-D002", "110", "56.00", "6160.00"),
    fee("L2", "SAMPLE-D002", "-10", "56.00", "-560.00", original="L1"),
    fee("L3", "SAMPLE-T002", "2", "650.00", "1300.00"),
    fee("L4", "SAMPLE-D004", "10", "1119.90", "11199.00"),
    fee("L5", "SAMPLE-D004", "1", "0.90", "0.90"),
    fee("L6", "SAMPLE-C003", "2", "1000.00", "2000.00"),
    fee("L7", "SAMPLE-D005", "1", "1000.00", "1000.00"),
    fee("L8", "SAMPLE-T001", "20", "40.00", "800.00"),
    fee("L9", "SAMPLE-D001", "2810.01", "10.00", "28100.10"),
]


@pytest.fixture(scope="module")
def catalog_loaded(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{platform.urls['catalog']}/v1/items/imports", params={"batch_id": SAMPLE_BATCH},
                          content=SAMPLE.read_bytes(), headers={**auth(Role.OPS), "Content-Type": "text/csv"})
    assert response.status_code == 200 and response.json()["added"] == 12, response.text


def settle_itemized(platform: Platform, auth, id_number: str, serial: str, lines: list, **bill):  # type: ignore[no-untyped-def,type-arg]
    return settle(platform, auth, id_number, serial, None, fee_details={"lines": lines, **bill})


def test_an_itemized_bill_is_split_by_the_catalog_and_pays_what_its_summary_pays(  # type: ignore[no-untyped-def]
    platform: Platform, auth, catalog_loaded,
) -> None:
    id_number = beneficiary(platform, auth, "minimum_allowance")
    response = settle_itemized(platform, auth, id_number, "ITEM-1", LINES, basic_insurance_paid="26520")
    assert response.status_code == 201, response.text
    statement = response.json()
    assert statement["total"] == "50000.00"
    assert statement["split"] == {"full_self_pay": "3000.00", "over_limit_self_pay": "700.00",
                                  "pre_self_pay": "1300.00", "itemized_lines": 9}
    assert statement["policy_range"] == "45000.00"
    assert funds(statement) == (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))

    headers = auth(Role.HIS, hospital_code="060001")
    kept = httpx.get(f"{platform.urls['settlement']}/v1/settlements/{statement['settlement_id']}/lines",
                     headers=headers).json()
    assert [(k["feedetl_sn"], k["category"], k["full_self_pay"], k["over_limit_self_pay"], k["pre_self_pay"])
            for k in kept] == [
        ("L1", "B", "0.00", "660.00", "550.00"), ("L2", "B", "0.00", "-60.00", "-50.00"),
        ("L3", "B", "0.00", "100.00", "240.00"), ("L4", "B", "0.00", "0.00", "559.95"),
        ("L5", "B", "0.00", "0.00", "0.05"), ("L6", "C", "2000.00", "0.00", "0.00"),
        ("L7", None, "1000.00", "0.00", "0.00"), ("L8", "A", "0.00", "0.00", "0.00"),
        ("L9", "A", "0.00", "0.00", "0.00")]
    assert kept[1]["original_sn"] == "L1"

    retry = settle_itemized(platform, auth, id_number, "ITEM-1", LINES, basic_insurance_paid="26520")
    assert retry.status_code == 201 and retry.content == response.content
    assert retry.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(("lines", "bill", "code", "line"), [
    ([*LINES[:3], fee("X1", "NOT-IN-CATALOG", "1", "5", "5.00")], None, "unknown_item_code", 4),
    ([fee("R1", "SAMPLE-D001", "-1", "10", "-10.00")], None, "refund_without_original", 1),
    ([LINES[0], fee("R1", "SAMPLE-D002", "-1", "56", "-56.00", original="L99")], None, "refund_original_missing", 2),
    ([LINES[0], fee("M1", "SAMPLE-D001", "3", "0.33", "1.01")], None, "line_amount_mismatch", 2),
    (LINES, {"total": "50000"}, "bill_summary_and_lines", None),
    # each line an amount alone (99,999,999 × 9,999), beyond the bill's limit of 9,999,999,999.99: a 422
    # the HIS can act on, not a 503 telling it to retry
    ([fee(f"H{n}", "SAMPLE-D001", "99999999", "9999", "999899990001") for n in (1, 2)], None,
     "bill_total_too_large", 1),
])
def test_a_bad_itemized_bill_is_refused_naming_the_line_and_writes_nothing(  # type: ignore[no-untyped-def]
    platform: Platform, auth, catalog_loaded, lines, bill, code, line,
) -> None:
    id_number = beneficiary(platform, auth, "minimum_allowance")
    refused = settle(platform, auth, id_number, f"BAD-{code[:20]}", bill, fee_details={"lines": lines})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == code and problem.get("line") == line
    if line is not None:
        assert problem["feedetl_sn"] == lines[line - 1]["feedetl_sn"]
    assert fetch(platform.databases["settlement"], "SELECT id FROM settlements WHERE id_number = $1", id_number) == []


def test_a_bill_of_2000_lines_settles_in_one_request(platform: Platform, auth, catalog_loaded) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    # 1,000 乙 lines over the limit (over 6.00, pre 10% × 50 = 5.00 each) and 1,000 甲 lines of 10.00
    lines = [fee(f"B{n}", "SAMPLE-D002", "1", "56.00", "56.00") for n in range(1000)] + [
        fee(f"A{n}", "SAMPLE-D001", "1", "10.00", "10.00") for n in range(1000)]
    started = time.perf_counter()
    response = settle_itemized(platform, auth, id_number, "LONG-1", lines, basic_insurance_paid="30000")
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text
    assert response.json()["split"] == {"full_self_pay": "0.00", "over_limit_self_pay": "6000.00",
                                        "pre_self_pay": "5000.00", "itemized_lines": 2000}
    assert response.json()["total"] == "66000.00"
    [count] = fetch(platform.databases["settlement"], "SELECT count(*) AS n FROM settlement_lines l JOIN settlements s"
                    " ON s.id = l.settlement_id WHERE s.his_serial = 'LONG-1'")
    assert count["n"] == 2000
    print(f"2,000-line settlement: {elapsed * 1000:.0f} ms")


def test_paid_amounts_beyond_the_classified_policy_range_are_refused(platform: Platform, auth, catalog_loaded) -> None:  # type: ignore[no-untyped-def]
    # the nine lines leave 45,000.00 of policy range: 45,000.01 paid by basic insurance cannot be
    id_number = beneficiary(platform, auth, "minimum_allowance")
    refused = settle_itemized(platform, auth, id_number, "ITEM-PAID", LINES, basic_insurance_paid="45000.01")
    assert refused.status_code == 422 and refused.json()["code"] == "validation_failed", refused.text
    assert "basic_insurance_paid" in refused.json()["detail"]
    assert fetch(platform.databases["settlement"], "SELECT id FROM settlements WHERE id_number = $1", id_number) == []
    accepted = settle_itemized(platform, auth, id_number, "ITEM-PAID-2", LINES, basic_insurance_paid="45000.00")
    assert accepted.status_code == 201, accepted.text
