"""Out-of-region filings (003 part 5): the checklist per kind, when a filing counts. Pure."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from services.registry.out_of_region.rules import (
    FilingKind,
    FilingRefused,
    FilingTerms,
    check,
    comes_into_force,
    filings_in_force,
    in_force_on,
    missing_documents,
)

YANTAI_ZHIFU = "370602"


def _terms(kind: FilingKind = FilingKind.LONG_TERM_RESIDENCE, **changes: object) -> FilingTerms:
    values: dict[str, object] = {
        "kind": kind, "destination_region_code": "110105", "filed_on": date(2023, 3, 1),
        "valid_from": date(2023, 3, 1), "valid_until": None,
        "hospital_code": "110001" if kind in (FilingKind.REFERRAL, FilingKind.EMERGENCY) else None,
        "documents_received": frozenset(), "personal_commitment": False,
    }
    values.update(changes)
    return FilingTerms(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "checklist"), [
    (FilingKind.RESETTLED_RETIREE, ["identity_card", "residence_proof"]),
    (FilingKind.LONG_TERM_RESIDENCE, ["identity_card", "residence_proof"]),
    (FilingKind.POSTED_WORKER, ["identity_card", "posting_proof"]),
    (FilingKind.REFERRAL, []),  # 医院端直接发起备案，无需提供资料审核
    (FilingKind.EMERGENCY, ["identity_card", "emergency_record", "inpatient_record_copy"]),
])
def test_each_kind_needs_the_documents_of_the_guide(kind: FilingKind, checklist: list[str]) -> None:
    assert missing_documents(kind, []) == checklist
    assert missing_documents(kind, checklist) == []


def test_everything_missing_is_listed_at_once_in_the_checklist_order() -> None:
    assert missing_documents(FilingKind.EMERGENCY, ["emergency_record"]) == ["identity_card", "inpatient_record_copy"]


def test_an_incomplete_filing_is_in_force_only_under_a_personal_commitment() -> None:
    assert not comes_into_force(_terms(documents_received=frozenset({"identity_card"})))
    assert comes_into_force(_terms(documents_received=frozenset({"identity_card"}), personal_commitment=True))
    assert comes_into_force(_terms(FilingKind.REFERRAL))


@pytest.mark.parametrize(("terms", "code"), [
    (_terms(FilingKind.EMERGENCY, personal_commitment=True), "commitment_not_allowed"),
    (_terms(FilingKind.REFERRAL, personal_commitment=True), "commitment_not_allowed"),
    (_terms(documents_received=frozenset({"posting_proof"})), "document_not_on_checklist"),
    (_terms(FilingKind.REFERRAL, hospital_code=None), "hospital_code_for_kind"),
    (_terms(hospital_code="110001"), "hospital_code_for_kind"),
    (_terms(valid_from=date(2023, 2, 28)), "filing_backdated"),
    (_terms(FilingKind.EMERGENCY, valid_from=date(2023, 3, 2)), "emergency_filed_before_admission"),
    (_terms(valid_until=date(2023, 2, 28)), "invalid_validity"),
    (_terms(destination_region_code="370613"), "destination_inside_region"),  # 莱山区: the same city
    (_terms(destination_region_code="370600"), "destination_inside_region"),
])
def test_what_the_guide_does_not_allow_is_refused(terms: FilingTerms, code: str) -> None:
    with pytest.raises(FilingRefused) as refused:
        check(terms, YANTAI_ZHIFU)
    assert refused.value.code == code


def test_an_emergency_is_filed_after_the_admission_it_covers() -> None:
    check(_terms(FilingKind.EMERGENCY, valid_from=date(2023, 2, 20)), YANTAI_ZHIFU)


def test_the_same_province_in_another_city_is_out_of_region() -> None:
    check(_terms(destination_region_code="370405"), YANTAI_ZHIFU)  # 台儿庄区, Zaozhuang


AT_FILING = datetime(2023, 3, 1, 9, tzinfo=UTC)


def _row(**changes: object) -> SimpleNamespace:
    values: dict[str, object] = {"id": "a" * 32, "valid_from": date(2023, 3, 1), "valid_until": date(2023, 8, 31),
                                 "in_force_since": AT_FILING, "last_day": None, "ended_at": None}
    values.update(changes)
    return SimpleNamespace(**values)


def test_a_filing_counts_inside_its_validity_both_days_included() -> None:
    row = _row()
    assert [in_force_on(row, d) for d in (date(2023, 2, 28), date(2023, 3, 1), date(2023, 8, 31),
                                          date(2023, 9, 1))] == [False, True, True, False]
    assert in_force_on(_row(valid_until=None), date(2030, 1, 1))


def test_an_incomplete_filing_counts_from_when_it_was_completed() -> None:
    assert not in_force_on(_row(in_force_since=None), date(2023, 4, 1))
    completed = _row(in_force_since=datetime(2023, 4, 10, tzinfo=UTC))
    assert in_force_on(completed, date(2023, 4, 1))
    assert not in_force_on(completed, date(2023, 4, 1), at=datetime(2023, 4, 5, tzinfo=UTC))


def test_an_ended_filing_stops_after_its_last_day_from_when_it_was_ended() -> None:
    ended = _row(last_day=date(2023, 5, 31), ended_at=datetime(2023, 6, 2, tzinfo=UTC))
    assert in_force_on(ended, date(2023, 5, 31))
    assert not in_force_on(ended, date(2023, 6, 1))
    assert in_force_on(ended, date(2023, 6, 1), at=datetime(2023, 6, 1, tzinfo=UTC))


def test_filings_in_force_in_validity_order() -> None:
    later, earlier = _row(id="b" * 32, valid_from=date(2023, 3, 5)), _row()
    assert filings_in_force([later, earlier, _row(in_force_since=None)], date(2023, 4, 1)) == [earlier, later]
