"""The go-live batch's pure rules: rows read (CSV cells or JSON), replay order, chunks of whole
person-years, rounds of a chunk."""

from datetime import date

from services.settlement.recalculation.rules import chunked, eligibility_days, read_rows, replay_order, waves

BILL = {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520",
        "critical_illness_paid": "7462"}
A, B = "370602199001011239", "370602198501010019"  # B sorts first


def _row(id_number: str, discharged: str) -> dict:  # type: ignore[type-arg]
    return {"id_number": id_number, "hospital_code": "060001", "admitted_on": discharged,
            "discharged_on": discharged, "medical_type": "inpatient", "bill": BILL}


def test_csv_cells_and_json_items_read_alike_and_bad_rows_say_why() -> None:
    cells = {"id_number": A, "hospital_code": "060001", "admitted_on": "2023年3月1日", "discharged_on": "20230320",
             "medical_type": "inpatient", **BILL}
    good, bad = read_rows([(2, cells), (4, dict(cells, discharged_on="2023-02-30")),
                           (5, dict(cells, critical_illness_paid=""))], cells=True)
    from_json, bad_json = read_rows([(3, _row(A, "2023-03-20")), (6, {**_row(A, "2023-03-20"), "extra": 1}),
                                     (7, {**_row(A, "2023-03-20"), "hospital_code": 60001})])
    assert [line for line, _ in good] == [2] and [line for line, _ in from_json] == [3]
    assert good[0][1] == from_json[0][1].model_copy(update={"admitted_on": date(2023, 3, 1)})
    bad += bad_json
    assert [r.line for r in bad] == [4, 5, 6, 7]
    assert bad[0].reason == "日期不存在 (no such date)：2023-02-30"
    assert bad[1].reason.startswith("行: 须给出基本医保统筹已付与大病保险已付")
    assert bad[2].reason.startswith("extra: ") and bad[3].reason.startswith("hospital_code: ")


def test_person_years_are_replayed_in_discharge_order_and_never_cut_by_a_chunk() -> None:
    good, _ = read_rows(enumerate([_row(A, "2023-08-01"), _row(B, "2023-01-05"), _row(A, "2023-03-01"),
                                   _row(A, "2024-01-02"), _row(A, "2023-03-01")], start=1))
    ordered = replay_order(good)
    assert [line for line, _ in ordered] == [2, 3, 5, 1, 4]  # B; A's 2023 (two on 03-01, by line); A's 2024
    assert chunked(ordered, 1) == [0, 1, 1, 1, 2]
    assert chunked(ordered, 3) == [0, 1, 1, 1, 2]  # B's row and A's three would make four
    assert chunked(ordered, 4) == [0, 0, 0, 0, 1]
    assert chunked(ordered, 100) == [0] * 5
    rounds = waves([s for _, s in ordered], key=lambda s: (s.id_number, s.discharged_on.year))
    assert [len(r) for r in rounds] == [3, 1, 1]  # A's 2023 has three discharges; B's and A's 2024 one
    assert eligibility_days(s for _, s in ordered) == {
        date(2023, 1, 5): [B], date(2023, 3, 1): [A], date(2023, 8, 1): [A], date(2024, 1, 2): [A]}
