"""The designation rules, without a database: the notice's working days, agreements in force."""

from dataclasses import dataclass, field
from datetime import date

import pytest

from services.catalog.hospitals.rules import (
    AgreementService,
    ApplicationStatus,
    covering_agreement,
    ensure_notice_ended,
    ensure_step,
    in_force,
    notice_end,
    version_on,
)
from shared.errors import Conflict, Unprocessable


def test_a_notice_started_just_before_national_day_2025_ends_after_it_with_the_make_up_saturday() -> None:
    # 国务院办公厅 2025 年部分节假日安排: 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班。
    # From Monday 29 September: 29 (1), 30 (2), holiday 1-8 October, Thursday 9 (3), Friday 10 (4),
    # Saturday 11, a make-up working day (5).
    assert notice_end(date(2025, 9, 29)) == date(2025, 10, 11)


def test_a_notice_counts_the_make_up_sunday_before_the_holiday() -> None:
    # Friday 26 September (1), Sunday 28 a make-up working day (2), 29 (3), 30 (4), then 9 October (5).
    assert notice_end(date(2025, 9, 26)) == date(2025, 10, 9)


def test_an_ordinary_week_and_a_start_on_a_weekend() -> None:
    assert notice_end(date(2025, 11, 3)) == date(2025, 11, 7)  # Monday to Friday
    assert notice_end(date(2025, 11, 8)) == date(2025, 11, 14)  # Saturday: counted from Monday 10


def test_a_year_the_calendar_does_not_cover_is_refused_not_guessed() -> None:
    with pytest.raises(Unprocessable) as refused:
        notice_end(date(2099, 3, 2))
    assert refused.value.code == "calendar_not_covered"


def test_signing_only_after_the_notice() -> None:
    with pytest.raises(Unprocessable) as during:
        ensure_notice_ended(date(2025, 10, 11), date(2025, 10, 11))
    assert during.value.code == "notice_not_ended"
    ensure_notice_ended(date(2025, 10, 12), date(2025, 10, 11))


def test_steps_in_order() -> None:
    with pytest.raises(Conflict) as skipped:
        ensure_step(ApplicationStatus.APPLIED, ApplicationStatus.IN_NOTICE, "签订协议 (sign)")
    assert skipped.value.code == "application_step_out_of_order"


@dataclass
class Agreement:
    starts_on: date
    ends_on: date | None = None
    terminated_on: date | None = None
    services: list[str] = field(default_factory=lambda: [AgreementService.ONE_STOP_ASSISTANCE.value])


@dataclass
class Suspension:
    suspended_from: date
    lifted_on: date | None = None


def test_an_agreement_is_in_force_from_its_start_to_its_end_inclusive() -> None:
    agreement = Agreement(date(2018, 5, 22), ends_on=date(2020, 12, 31))
    assert not in_force(agreement, [], date(2018, 5, 21))
    assert in_force(agreement, [], date(2018, 5, 22))
    assert in_force(agreement, [], date(2020, 12, 31))
    assert not in_force(agreement, [], date(2021, 1, 1))


def test_suspension_from_its_first_day_until_the_day_it_is_lifted() -> None:
    agreement = Agreement(date(2018, 5, 22))
    suspensions = [Suspension(date(2023, 3, 1), lifted_on=date(2023, 4, 1))]
    assert in_force(agreement, suspensions, date(2023, 2, 28))
    assert not in_force(agreement, suspensions, date(2023, 3, 1))
    assert not in_force(agreement, suspensions, date(2023, 3, 31))
    assert in_force(agreement, suspensions, date(2023, 4, 1))
    assert not in_force(agreement, [Suspension(date(2023, 3, 1))], date(2030, 1, 1))  # not lifted


def test_termination_ends_it_from_that_day() -> None:
    agreement = Agreement(date(2018, 5, 22), terminated_on=date(2024, 7, 1))
    assert in_force(agreement, [], date(2024, 6, 30))
    assert not in_force(agreement, [], date(2024, 7, 1))


def test_only_an_agreement_covering_the_service_designates() -> None:
    basic_only = Agreement(date(2018, 5, 22), services=[AgreementService.BASIC_INSURANCE.value])
    one_stop = Agreement(date(2020, 1, 1))
    agreements = [(basic_only, []), (one_stop, [])]
    assert covering_agreement(agreements, AgreementService.ONE_STOP_ASSISTANCE, date(2019, 1, 1)) is None
    found = covering_agreement(agreements, AgreementService.ONE_STOP_ASSISTANCE, date(2020, 1, 1))
    assert found is not None and found[0] is one_stop


@dataclass
class Version:
    valid_from: date | None
    name: str


def test_the_version_on_a_date() -> None:
    versions = [Version(None, "2018"), Version(date(2025, 1, 1), "renamed"), Version(date(2025, 1, 1), "corrected")]
    assert version_on(versions, date(2017, 1, 1)).name == "2018"  # type: ignore[union-attr]
    assert version_on(versions, date(2024, 12, 31)).name == "2018"  # type: ignore[union-attr]
    assert version_on(versions, date(2025, 1, 1)).name == "corrected"  # type: ignore[union-attr]
    assert version_on([Version(date(2025, 1, 1), "new")], date(2024, 12, 31)) is None
