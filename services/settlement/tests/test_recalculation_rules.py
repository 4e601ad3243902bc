"""The go-live batch's pure rules: rows read (CSV cells or JSON), replay order, chunks of whole
person-years, rounds of a chunk; a range batch's windows, persons and overlaps."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

from services.settlement.corrections.rules import Reason, Settled, replayed, starts
from services.settlement.recalculation.ranges import persons_of, window_of
from services.settlement.recalculation.rules import (
    DischargeRange,
    chunked,
    eligibility_days,
    read_rows,
    replay_order,
    waves,
    windows,
)

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


def _settled(id_number: str, settlement_id: str, discharged: date) -> SimpleNamespace:
    return SimpleNamespace(id=settlement_id, id_number=id_number, discharged_on=discharged)


def test_a_range_replays_each_year_of_a_person_from_its_first_settlement_of_the_range() -> None:
    """A range over the new year: each year's window starts at the year's own first discharge of the
    range and ends at the new year or the day after the range."""
    days = [date(2023, 11, 2), date(2023, 12, 30), date(2024, 2, 10)]
    assert windows(days, date(2024, 3, 31)) == [(date(2023, 11, 2), date(2024, 1, 1)),
                                                (date(2024, 2, 10), date(2024, 4, 1))]
    assert windows([], date(2024, 3, 31)) == []
    settlements = [_settled(B, "b1", date(2023, 11, 2)), _settled(A, "a1", date(2023, 12, 30)),
                   _settled(A, "a2", date(2024, 2, 10)), _settled(A, "a3", date(2024, 3, 1))]
    persons = persons_of(sorted(settlements, key=lambda s: (s.id_number, s.discharged_on)), date(2024, 3, 31), 2)
    assert [(p["id_number"], p["chunk"], p["settlements"], p["settlement_ids"]) for p in persons] == [
        (B, 0, 1, ["b1"]), (A, 1, 3, ["a1", "a2", "a3"])]  # B and A's three would be four: A is never cut
    assert persons[1]["windows"] == [["2023-12-30", "2024-01-01"], ["2024-02-10", "2024-04-01"]]
    assert window_of(persons[1]["windows"], 2024) == (date(2024, 2, 10), date(2024, 4, 1))


def test_the_corrections_replay_a_range_window_from_its_first_settlement_to_the_end_of_the_year() -> None:
    """The event an approved range batch writes reaches the settlements inside its window; the replay
    runs on through the year's later settlements (their balances rest on the ones before)."""
    at = datetime(2023, 12, 1, tzinfo=UTC)
    march, june, september = (Settled(i, 2023, d, at, "settled") for i, d in
                              (("m", date(2023, 3, 20)), ("j", date(2023, 6, 5)), ("s", date(2023, 9, 1))))
    window = Reason("settlement", 1, "settlement.recalculated", date(2023, 6, 5), date(2023, 7, 1))
    first = starts([window], [march, june, september])
    assert first == {2023: june.order}
    assert [s.id for s in replayed([march, june, september], first)] == ["j", "s"]


def test_ranges_overlap_when_a_settlement_could_be_in_both() -> None:
    year = DischargeRange(date(2023, 1, 1), date(2023, 12, 31))
    assert year.overlaps(DischargeRange(date(2023, 12, 31), date(2024, 6, 30)))  # one day in common
    assert not year.overlaps(DischargeRange(date(2024, 1, 1), date(2024, 6, 30)))
    city, district = (DischargeRange(date(2023, 6, 1), date(2023, 6, 30), region_code=r) for r in ("370600", "370602"))
    assert year.overlaps(city) and city.overlaps(district) and district.overlaps(city)
    assert not district.overlaps(DischargeRange(date(2023, 6, 1), date(2023, 6, 30), region_code="370405"))
    assert not district.overlaps(DischargeRange(date(2023, 6, 1), date(2023, 6, 30), region_code="370613"))
    one, other = (DischargeRange(date(2023, 6, 1), date(2023, 6, 30), hospital_code=h) for h in ("060001", "060002"))
    assert not one.overlaps(other) and one.overlaps(city)  # a hospital and a region: it may lie in it
