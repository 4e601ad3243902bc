"""The import plan, pure: every rejection reason, merges, and the full-list difference."""

from datetime import date

from services.registry.imports.plan import HeldIdentity, ListRow, ListSpec, PersonState, plan_import
from shared.categories import Category
from tests.support.people import new_id_number

SPEC = ListSpec(category=Category.MINIMUM_ALLOWANCE, mode="incremental", list_date=date(2023, 5, 10),
                document_number="芝民〔2023〕5号")
REGIONS = {"370602", "370613"}


def person(
    pid: int, *, region: str = "370602", insured: bool = True, held: tuple[HeldIdentity, ...] = (),
) -> PersonState:
    return PersonState(pid, new_id_number(), f"人员{pid}", region, insured, held)


def held(key: str, start: date, until: date | None) -> HeldIdentity:
    return HeldIdentity(1, key, "X", start, None, start, until)


def test_every_rejection_reason() -> None:
    known, uninsured, elsewhere = person(1), person(2, insured=False), person(3, region="370613")
    bad = known.id_number[:17] + ("0" if known.id_number[17] != "0" else "1")
    rows = [
        ListRow(1, bad),
        ListRow(2, known.id_number),
        ListRow(3, known.id_number.lower()),  # the same person again
        ListRow(4, uninsured.id_number),
        ListRow(5, new_id_number()),
        ListRow(6, elsewhere.id_number, region_code="370602"),
        ListRow(7, new_id_number(), region_code="999999"),
    ]
    plan = plan_import(SPEC, rows, {p.id_number: p for p in (known, uninsured, elsewhere)}, REGIONS)
    assert [(o.row_no, o.outcome, o.action or o.reason_code) for o in plan.outcomes] == [
        (1, "rejected", "bad_id_number"), (2, "accepted", "added"), (3, "rejected", "duplicate_row"),
        (4, "rejected", "person_not_insured"), (5, "rejected", "person_not_found"),
        (6, "rejected", "region_mismatch"), (7, "rejected", "unknown_region"),
    ]
    [(_, _, window)] = plan.additions
    assert (window.effective_from, window.effective_until) == (date(2023, 6, 1), None)  # next-month rule


def test_held_identities_are_unchanged_or_merged_never_duplicated() -> None:
    open_one = person(1, held=(held("a", date(2022, 3, 1), None),))
    ended_overlapping = person(2, held=(held("b", date(2022, 3, 1), date(2023, 9, 1)),))
    ended_before = person(3, held=(held("c", date(2021, 3, 1), date(2022, 1, 1)),))
    rows = [ListRow(i, p.id_number) for i, p in enumerate((open_one, ended_overlapping, ended_before), 1)]
    plan = plan_import(SPEC, rows, {p.id_number: p for p in (open_one, ended_overlapping, ended_before)}, REGIONS)
    assert [o.action for o in plan.outcomes] == ["unchanged", "merged", "added"]
    assert [[h.identity_key for h in m.held] for m in plan.reopenings] == [["b"]]


def test_a_full_list_ends_whoever_is_missing_from_the_next_month() -> None:
    spec = ListSpec(category=Category.MINIMUM_ALLOWANCE, mode="full", list_date=date(2023, 5, 10),
                    document_number="芝民〔2023〕5月名单", region_code="370602")
    staying = person(1, held=(held("a", date(2022, 3, 1), None),))
    leaving = person(2, held=(held("b", date(2022, 3, 1), None),))
    already_gone = person(3, held=(held("c", date(2022, 3, 1), date(2023, 5, 1)),))
    newcomer, outsider = person(4), person(5, region="370613")
    rows = [ListRow(1, staying.id_number), ListRow(2, newcomer.id_number), ListRow(3, outsider.id_number)]
    everyone = {p.id_number: p for p in (staying, newcomer, outsider)}
    plan = plan_import(spec, rows, everyone, REGIONS, members=[staying, leaving, already_gone])
    assert [(o.row_no, o.action or o.reason_code) for o in plan.outcomes] == [
        (1, "unchanged"), (2, "added"), (3, "outside_list_region"), (None, "ended"),
    ]
    assert [(p.person_id, h.identity_key) for p, h in plan.endings] == [(2, "b")]
    assert (plan.count("accepted"), plan.count("rejected"), plan.count("ended")) == (3, 1, 1)


def test_overlapping_windows_become_one_and_bad_rows_still_count_as_listed() -> None:
    two_ended = person(1, held=(held("a", date(2022, 2, 1), date(2022, 6, 1)), held("b", date(2022, 9, 1),
                                                                                     date(2022, 12, 1))))
    later_open = person(2, held=(held("c", date(2023, 3, 1), None),))
    rows = [ListRow(1, two_ended.id_number, approved_on=date(2021, 12, 1)),
            ListRow(2, later_open.id_number, approved_on=date(2022, 10, 5))]
    plan = plan_import(SPEC, rows, {p.id_number: p for p in (two_ended, later_open)}, REGIONS)
    assert [o.action for o in plan.outcomes] == ["merged", "merged"]
    assert [([h.identity_key for h in m.held], m.approved_on) for m in plan.reopenings] == [
        (["a", "b"], date(2021, 12, 1)), (["c"], date(2022, 10, 5))]  # the row starts earlier: one longer window
    full = ListSpec(category=Category.MINIMUM_ALLOWANCE, mode="full", list_date=date(2023, 5, 10),
                    document_number="X", region_code="370602")
    listed_badly, approved_later = person(3, held=(held("d", date(2022, 3, 1), None),)), person(
        4, held=(HeldIdentity(9, "e", "X", date(2023, 5, 20), None, date(2023, 6, 1), None),))
    plan = plan_import(full, [ListRow(1, listed_badly.id_number, problem="日期不存在")],
                       {listed_badly.id_number: listed_badly}, REGIONS, members=[listed_badly, approved_later])
    assert [(o.action or o.reason_code) for o in plan.outcomes] == ["bad_row"]  # nobody ended
