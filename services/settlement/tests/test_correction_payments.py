"""The money approved corrections leave to pay the persons or recover, and the agency's record of it,
on both backends: listed, recorded once (a retry answers as the first), refused when not due, wrong,
or recorded already."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from conftest import PEER_KEY_SETTINGS
from services.settlement.corrections.schemas import PaymentRequest
from services.settlement.corrections.service import CorrectionService
from services.settlement.peers import Peers
from services.settlement.settings import SettlementSettings
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import DELTAS, ID_NUMBER, decided_correction, record
from shared.auth import Principal, Role, Scope
from shared.clock import SHANGHAI
from shared.db import Database
from shared.errors import Problem

pytestmark = pytest.mark.asyncio(loop_scope="session")
CIVIL_AFFAIRS = Principal("mz-clerk", Role.AGENCY, agency="civil_affairs")
RURAL = Principal("xczx-clerk", Role.AGENCY, agency="rural_revitalization")
PII = Principal("mz-pii", Role.AGENCY, frozenset({Scope.PII_READ.value}), agency="civil_affairs")
MASKED = f"{ID_NUMBER[:6]}********{ID_NUMBER[-4:]}"


def beijing(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def corrections(database: Database) -> CorrectionService:
    """One settlement and four decided proposals on it: P1 approved on 10 April 2023 (Beijing), 8,814.40
    to pay back; P2 on 5 May, 1,000.00 to recover; P3 approved with nothing to pay (its two funds moved
    by as much in opposite directions); P4 rejected."""
    assert await record(settlement_store(database), "S1", DELTAS, {})
    for proposal, day, assistance, re_assistance, status in [
        ("P1", (4, 10), "8814.40", "0.00", "approved"), ("P2", (5, 5), "-1000.00", "0.00", "approved"),
        ("P3", (5, 6), "300.00", "-300.00", "approved"), ("P4", (5, 7), "500.00", "0.00", "rejected"),
    ]:
        await decided_correction(database, proposal, f"{'S1':0>32}", beijing(2023, *day, 10), assistance,
                                 re_assistance, status=status)
    settings = SettlementSettings(database_url="sqlite:///unused.db", **PEER_KEY_SETTINGS, log_json=False)
    return CorrectionService(database, Peers.from_settings(settings))


def _id(proposal: str) -> str:
    return f"{proposal:0>32}"


PAID = PaymentRequest(amount=D("8814.40"), done_on=date(2023, 4, 12), reference="MZ-BF-0412", note="转入社保卡")


async def _listed(service: CorrectionService, principal: Principal = CIVIL_AFFAIRS, **filters: object) -> list[tuple]:  # type: ignore[type-arg]
    found = await service.person_payments(principal, **({"done": None, "kind": None, "id_number": None, "limit": 50,
                                                          "offset": 0} | filters))  # type: ignore[arg-type]
    return [(p.proposal_id, p.id_number, p.kind, p.amount, p.assistance_difference, p.status) for p in found]


async def test_what_is_due_is_listed_and_recorded_once(corrections: CorrectionService) -> None:
    assert await _listed(corrections) == [
        (_id("P1"), MASKED, "pay", D("8814.40"), D("8814.40"), "due"),
        (_id("P2"), MASKED, "recover", D("1000.00"), D("-1000.00"), "due")]
    assert [p.id_number for p in await corrections.person_payments(
        PII, done=None, kind="recover", id_number=ID_NUMBER, limit=50, offset=0)] == [ID_NUMBER]

    paid, replayed = await corrections.record_payment(_id("P1"), PAID, CIVIL_AFFAIRS)
    assert (paid.status, replayed, paid.record.reference, paid.record.recorded_by, paid.record.agency) == (  # type: ignore[union-attr]
        "paid", False, "MZ-BF-0412", "mz-clerk", "civil_affairs")
    again, replayed = await corrections.record_payment(_id("P1"), PAID, CIVIL_AFFAIRS)
    assert (again, replayed) == (paid, True)
    assert await _listed(corrections, done=False) == [(_id("P2"), MASKED, "recover", D("1000.00"), D("-1000.00"),
                                                       "due")]
    assert await _listed(corrections, done=True) == [(_id("P1"), MASKED, "pay", D("8814.40"), D("8814.40"), "paid")]
    proposal = await corrections.get(_id("P1"))
    assert proposal.payment_record == paid.record
    assert [(h.action, h.actor, h.reason) for h in proposal.history][-1] == ("paid", "mz-clerk", "转入社保卡")

    recovered, _ = await corrections.record_payment(_id("P2"), PaymentRequest(
        amount=D("1000.00"), done_on=date(2023, 5, 5), reference="MZ-ZH-0505"), CIVIL_AFFAIRS)
    assert recovered.status == "recovered"  # on the day of the approval itself


@pytest.mark.parametrize(("proposal", "changes", "principal", "code"), [
    ("P1", {"reference": "MZ-BF-OTHER"}, CIVIL_AFFAIRS, "correction_payment_recorded"),
    ("P3", {}, CIVIL_AFFAIRS, "correction_payment_not_due"),  # approved, nothing to pay
    ("P4", {}, CIVIL_AFFAIRS, "correction_payment_not_due"),  # rejected
    ("P2", {}, CIVIL_AFFAIRS, "correction_amount_mismatch"),  # 8,814.40 where 1,000.00 is due
    ("P2", {"amount": D("1000.00"), "done_on": date(2023, 5, 4)}, CIVIL_AFFAIRS, "correction_done_on_out_of_range"),
    ("P2", {"amount": D("1000.00"), "done_on": date(2099, 1, 1)}, CIVIL_AFFAIRS, "correction_done_on_out_of_range"),
    ("P2", {"amount": D("1000.00")}, RURAL, "agency_not_deciding"),
    ("0" * 32, {}, CIVIL_AFFAIRS, "proposal_not_found"),
])
async def test_a_payment_not_due_wrong_or_recorded_already_is_refused_and_nothing_is_written(  # type: ignore[no-untyped-def]
    corrections: CorrectionService, proposal: str, changes: dict, principal: Principal, code: str,  # type: ignore[type-arg]
) -> None:
    await corrections.record_payment(_id("P1"), PAID, CIVIL_AFFAIRS)
    with pytest.raises(Problem) as refused:
        await corrections.record_payment(_id(proposal), PAID.model_copy(update=changes), principal)
    assert refused.value.code == code
    assert await _listed(corrections, done=True) == [(_id("P1"), MASKED, "pay", D("8814.40"), D("8814.40"), "paid")]
    assert [h.action for h in (await corrections.get(_id("P1"))).history] == ["paid"]  # the one record
