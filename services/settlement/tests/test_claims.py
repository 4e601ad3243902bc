"""The close, review and payment of a claim on both backends (PostgreSQL and the SQLite of `make
run`), with settlements written straight through the store at chosen settlement times."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.settlement.audit.repository import StateChangeRepository
from services.settlement.claims.repository import ClaimRepository
from services.settlement.claims.rules import Payee, Status
from services.settlement.claims.schemas import Closing, Payment, Rejection, Review
from services.settlement.claims.service import ClaimService
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import CAPS, DELTAS, RESULT, discharge, record
from services.settlement.tests.test_cancel import WRONG_PERSON, flow
from shared.auth import Principal, Role
from shared.clock import today
from shared.db import Database
from shared.errors import Problem
from tests.support.people import new_id_number

pytestmark = pytest.mark.asyncio(loop_scope="session")
HIS = Principal(subject="his-060001", role=Role.HIS, hospital_code="060001")
OPS = Principal(subject="ops", role=Role.OPS)
# These tests are about the claim: ops close past the reconciliation gate (tests/e2e/test_claims.py
# reconciles first).
PAST_THE_GATE = Closing(override_reason="对账另行核实")
CIVIL_AFFAIRS = Principal(subject="civil-affairs", role=Role.AGENCY, agency="civil_affairs")
# An employee's settlement with the large-expense subsidy, to see every fund reach the claim.
WITH_LARGE_EXPENSE = RESULT.model_copy(update={"large_expense": Decimal("2000.00"), "re_assistance": Decimal("10.05")})


async def period(database: Database, starts_on: date, ends_on: date) -> str:
    period_id = f"{starts_on:%Y%m}".ljust(32, "0")
    async with database.engine.begin() as connection:
        await ClaimRepository(connection).add_period(
            id=period_id, hospital_code="060001", rule_id="yantai-2020", starts_on=starts_on, ends_on=ends_on,
            status=Status.OPEN, opened_at=datetime.now(UTC), opened_by="test")
    return period_id


async def test_a_close_freezes_the_sums_and_a_later_cancellation_is_deducted_once(database: Database) -> None:
    store, claims = settlement_store(database), ClaimService(database, flow(database))
    october = await period(database, date(2025, 10, 1), date(2025, 10, 31))
    # 2025-09-30T16:00Z is 2025-10-01 00:00 in Shanghai: October's; 15:59:59Z is still September's.
    for serial, at, result in [("S1", datetime(2025, 9, 30, 16, tzinfo=UTC), RESULT),
                               ("S2", datetime(2025, 10, 31, 15, 59, 59, tzinfo=UTC), WITH_LARGE_EXPENSE),
                               ("S3", datetime(2025, 9, 30, 15, 59, 59, tzinfo=UTC), RESULT),
                               ("S4", datetime(2025, 10, 31, 16, tzinfo=UTC), RESULT)]:
        assert await record(store, serial, DELTAS, CAPS, discharge(serial, id_number=new_id_number()), result, at)
    with pytest.raises(Problem) as refused:
        await claims.close(october, Closing(), HIS)
    assert refused.value.code == "claim_period_not_reconciled"
    closed = await claims.close(october, PAST_THE_GATE, OPS)
    # S1 + S2: basic 26,520 × 2, critical illness 10,665.60 × 2, assistance 8,814.40 × 2, re-assistance
    # 10.05, large expense 2,000; claimed back 17,628.80 + 10.05 = 17,638.85.
    assert (closed.status, closed.settlements_count, closed.adjustments_count) == (Status.CLOSED, 2, 0)
    assert closed.total == Decimal("100000.00")
    assert {f.fund: f.amount for f in closed.funds} == {
        "basic_insurance": Decimal("53040.00"), "critical_illness": Decimal("21331.20"),
        "special_drugs": Decimal("0.00"), "large_expense": Decimal("2000.00"),
        "assistance": Decimal("17628.80"), "re_assistance": Decimal("10.05")}
    assert (closed.payable, closed.due_on) == (Decimal("17638.85"), date(2025, 11, 30))
    with pytest.raises(Problem) as refused:
        await claims.close(october, PAST_THE_GATE, OPS)
    assert refused.value.code == "claim_period_already_closed"

    await flow(database).cancel(f"{'S2':0>32}", HIS, WRONG_PERSON)
    november = await period(database, date(2025, 11, 1), date(2025, 11, 30))
    following = await claims.close(november, PAST_THE_GATE, OPS)
    # S4 less S2: 50,000 − 50,000; assistance 8,814.40 − 8,814.40; re-assistance −10.05; large expense −2,000.
    assert (following.settlements_count, following.adjustments_count, following.total) == (1, 1, Decimal("0.00"))
    assert {f.fund: f.amount for f in following.funds}["large_expense"] == Decimal("-2000.00")
    assert following.payable == Decimal("-10.05")
    async with database.autocommit.connect() as connection:
        actions = [row.action for row in await StateChangeRepository(connection).of("claim_period", october)]
    assert actions == ["close"]


async def test_a_rejected_line_is_not_paid_nor_deducted_when_cancelled_later(database: Database) -> None:
    store, claims = settlement_store(database), ClaimService(database, flow(database))
    october = await period(database, date(2025, 10, 1), date(2025, 10, 31))
    for serial in ("a1", "a2"):
        assert await record(store, serial, DELTAS, CAPS, discharge(serial, id_number=new_id_number()),
                            settled_at=datetime(2025, 10, 5, tzinfo=UTC))
    await claims.close(october, PAST_THE_GATE, OPS)
    reviewed = await claims.review(october, Review(rejections=[Rejection(
        settlement_id=f"{'a2':0>32}", reason="重复申报")]), CIVIL_AFFAIRS)
    assert (reviewed.review_outcome, reviewed.rejected_amount) == ("partly_rejected", Decimal("8814.40"))
    approved = await claims.approve(october, CIVIL_AFFAIRS)
    assert approved.approved_amount == Decimal("8814.40")
    paid = await claims.pay(october, Payment(amount=Decimal("8814.40"), paid_on=today(), reference="P-1",
                                             payee=Payee.HOSPITAL), CIVIL_AFFAIRS)
    assert paid.status == Status.PAID
    await flow(database).cancel(f"{'a2':0>32}", HIS, WRONG_PERSON)
    november = await period(database, date(2025, 11, 1), date(2025, 11, 30))
    following = await claims.close(november, PAST_THE_GATE, OPS)
    assert (following.settlements_count, following.adjustments_count, following.payable) == (0, 0, Decimal("0.00"))
