"""The corrections' pure rules (docs/rules.md §17): which settlements a change reaches, where each
year's replay starts and from which balances, what approval books, who decides."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from services.settlement.corrections import rules
from services.settlement.corrections.rules import Reason, Settled


def _at(hour: int) -> datetime:
    return datetime(2023, 8, 1, hour, tzinfo=UTC)


MARCH = Settled("a", 2023, date(2023, 3, 20), _at(1), "settled")
MAY = Settled("b", 2023, date(2023, 5, 20), _at(2), "settled")
JULY = Settled("c", 2023, date(2023, 7, 20), _at(3), "settled")
LATE_POSTED_APRIL = Settled("d", 2023, date(2023, 4, 2), _at(4), "settled")  # posted after July's
LAST_YEAR = Settled("e", 2022, date(2022, 11, 5), _at(0), "settled")
CANCELLED_JUNE = Settled("f", 2023, date(2023, 6, 1), _at(5), "cancelled")
ALL = [MARCH, MAY, JULY, LATE_POSTED_APRIL, LAST_YEAR, CANCELLED_JUNE]


def _reason(type_: str, start: date | None, until: date | None, settlement_id: str | None = None) -> Reason:
    return Reason("registry", 1, type_, start, until, settlement_id)


def test_an_identity_window_reaches_the_settled_discharges_inside_it_and_starts_each_year_at_the_first() -> None:
    first = rules.starts([_reason("identity.added", date(2023, 4, 1), date(2023, 6, 1))], ALL)
    assert first == {2023: LATE_POSTED_APRIL.order}  # 2 April, before May; March is outside
    assert [s.id for s in rules.replayed(ALL, first)] == ["d", "b", "c"]  # discharge order, not settle order


def test_the_window_ends_the_day_before_until_and_an_open_end_runs_on() -> None:
    assert rules.starts([_reason("identity.ended", date(2023, 3, 21), date(2023, 5, 20))], ALL) == {
        2023: LATE_POSTED_APRIL.order}
    assert rules.starts([_reason("identity.ended", date(2023, 5, 21), None)], ALL) == {2023: JULY.order}
    assert rules.starts([_reason("identity.ended", date(2023, 3, 21), date(2023, 4, 2))], ALL) == {}


def test_a_grant_reaching_back_over_the_new_year_starts_in_both_years() -> None:
    first = rules.starts([_reason("grant.approved", date(2022, 6, 1), date(2024, 1, 1))], ALL)
    assert first == {2022: LAST_YEAR.order, 2023: MARCH.order}
    assert [s.id for s in rules.replayed(ALL, first)] == ["e", "a", "d", "b", "c"]  # a cancelled one never


def test_a_cancel_reaches_the_later_settlements_of_its_year_in_discharge_order() -> None:
    cancel = Reason("settlement", 7, "settlement.cancelled", date(2023, 6, 1), date(2024, 1, 1), "f")
    assert rules.starts([cancel], ALL) == {2023: JULY.order}
    cancel_of_april = Reason("settlement", 8, "settlement.cancelled", None, None, "a")
    assert rules.starts([cancel_of_april], ALL) == {2023: LATE_POSTED_APRIL.order}


def test_a_settled_event_reaches_nothing_by_itself_but_reasons_add_up() -> None:
    settled = Reason("settlement", 9, "settlement.settled", date(2023, 5, 20), date(2023, 5, 21), "b")
    assert rules.starts([settled], ALL) == {}
    approved = Reason("settlement", 10, "settlement.corrected", date(2023, 3, 20), None)
    assert rules.starts([approved], ALL) == {}
    assert rules.starts([settled, _reason("identity.corrected", date(2023, 7, 1), None),
                         _reason("identity.added", date(2023, 5, 1), date(2023, 6, 1))], ALL) == {2023: MAY.order}


def test_the_replay_starts_from_the_balances_less_what_the_replayed_settlements_put_in() -> None:
    balances = {"assistance_paid": D("22814.40"), "admissions": D("2")}
    start = rules.balances_before(balances, [{"assistance_paid": D("14000.00"), "admissions": D("1")}])
    assert start == {"assistance_paid": D("8814.40"), "admissions": D("1")}


def test_approval_books_the_replay_less_what_the_settlement_has_put_in_decreases_first() -> None:
    current = {"assistance_paid": D("14000.00"), "re_assistance_paid": D("492.52"), "admissions": D("1")}
    replay = {"assistance_paid": D("17640.00"), "re_assistance_paid": D("0.00"), "admissions": D("1")}
    deltas = rules.adjustment(current, replay)
    assert deltas == {"assistance_paid": D("3640.00"), "re_assistance_paid": D("-492.52")}
    assert rules.split_by_sign(deltas) == ({"re_assistance_paid": D("-492.52")}, {"assistance_paid": D("3640.00")})


def test_a_calculations_contribution_is_after_less_before() -> None:
    before = {"assistance_paid": "8814.40", "admissions": 1}
    after = dict.fromkeys(rules.ACCUMULATORS, "0") | {"assistance_paid": "22814.40", "admissions": 2}
    contribution = rules.contribution(before, after)
    assert (contribution["assistance_paid"], contribution["admissions"], contribution["basic_paid"]) == (
        D("14000.00"), D("1"), D("0"))


def _item(before: str, after: str) -> rules.ItemFigures:
    funds = dict.fromkeys(rules.FUNDS, D("0.00"))
    return rules.ItemFigures("x", funds | {"personal_share": D(before)}, funds | {"personal_share": D(after)},
                             {}, None, None)


def test_the_person_is_paid_what_they_paid_too_much_and_recovered_what_too_little() -> None:
    outcome = rules.Outcome([_item("20792.00", "7203.60"), _item("4800.00", "1680.00")])
    assert outcome.paid_to_person == D("16708.40") and rules.payment(outcome.paid_to_person) == "pay"
    assert rules.payment(rules.Outcome([_item("7203.60", "20792.00")]).paid_to_person) == "recover"
    unchanged = rules.Outcome([_item("100.00", "100.00")])
    assert not unchanged.changes_anything and rules.payment(unchanged.paid_to_person) == "none"


@pytest.mark.parametrize(("categories", "agencies"), [
    (["minimum_allowance", None], ["civil_affairs"]),
    (["poverty_monitoring", "returned_to_poverty"], ["civil_affairs", "rural_revitalization"]),
    (["poverty_monitoring", "illness_poverty"], ["civil_affairs"]),  # one of civil affairs' lists is concerned
    ([None], ["civil_affairs"]),
])
def test_civil_affairs_decides_and_rural_revitalization_only_for_its_own_lists(categories, agencies) -> None:  # type: ignore[no-untyped-def]
    assert rules.deciding_agencies(categories) == agencies


def test_only_a_pending_proposal_can_be_decided() -> None:
    assert rules.refusal("pending") is None
    assert rules.refusal("superseded")[0] == "proposal_superseded"  # type: ignore[index]
    assert rules.refusal("approved")[0] == rules.refusal("rejected")[0] == "proposal_decided"  # type: ignore[index]


def test_money_is_due_only_on_an_approved_proposal_whose_personal_share_moved() -> None:
    assert rules.payment_due("approved", "pay") and rules.payment_due("approved", "recover")
    assert not rules.payment_due("approved", "none")
    assert not any(rules.payment_due(status, "pay") for status in ("pending", "rejected", "superseded"))
    assert (rules.payment_done("pay"), rules.payment_done("recover")) == ("paid", "recovered")
