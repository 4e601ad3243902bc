"""The manual (零星) claim's rules (烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）
医疗救助对象手工（零星）报销)."""

from datetime import date

from services.settlement.manual_claims.rules import Document, Status, due_on, is_overdue, missing


def test_everything_missing_is_told_at_once_in_the_guides_order() -> None:
    assert missing({}) == [Document.IDENTITY, Document.INVOICES, Document.FEE_LIST, Document.DISCHARGE_RECORD]
    assert missing({Document.DISCHARGE_RECORD: True, Document.INVOICES: False, Document.IDENTITY: True}) == [
        Document.INVOICES, Document.FEE_LIST]
    assert missing(dict.fromkeys(Document, True)) == []


def test_the_deadline_is_the_tenth_working_day_after_acceptance() -> None:
    # Wednesday 2023-03-01 accepted: Mar 2, 3, 6, 7, 8, 9, 10, 13, 14, 15 → the 15th.
    assert due_on(date(2023, 3, 1)) == date(2023, 3, 15)


def test_the_deadline_skips_a_holiday_and_counts_its_make_up_days() -> None:
    # Thursday 2023-09-28 accepted. Mid-autumn and National Day: Sep 29 – Oct 6 off, Saturday Oct 7
    # and Sunday Oct 8 made-up working days (State Council, 2023): Oct 7, 8, 9, 10, 11, 12, 13, 16,
    # 17, 18 → the 18th.
    assert due_on(date(2023, 9, 28)) == date(2023, 10, 18)


def test_only_an_open_claim_past_its_deadline_is_overdue() -> None:
    due = date(2023, 3, 15)
    assert not is_overdue(Status.CALCULATED, due, date(2023, 3, 15))
    assert is_overdue(Status.CALCULATED, due, date(2023, 3, 16))
    assert is_overdue(Status.ACCEPTED, due, date(2023, 3, 16))
    assert is_overdue(Status.APPROVED, due, date(2023, 3, 16))
    assert not is_overdue(Status.PAID, due, date(2023, 3, 16))
    assert not is_overdue(Status.INCOMPLETE, None, date(2023, 3, 16))
