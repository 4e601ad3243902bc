"""Settlements written straight through the store, and decided corrections through their repository,
for the tests of what comes after them."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from services.settlement.corrections import rules
from services.settlement.corrections.repository import CorrectionRepository
from services.settlement.ledger.models import LedgerEntryRow
from services.settlement.settlements.models import SettlementRow
from services.settlement.settlements.schemas import SettlementRequest
from services.settlement.settlements.store import SettlementStore
from shared.categories import Category
from shared.contracts.calculation import Bill, CalculationResult
from shared.db import Database

ID_NUMBER = "370602199001011239"
BILL = Bill(total=Decimal(50000))


def discharge(serial: str, **changes: object) -> SettlementRequest:
    return SettlementRequest.model_validate({
        "his_serial": serial, "hospital_code": "060001", "id_number": ID_NUMBER, "insurance_type": "resident",
        "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20", "bill": BILL,
    } | changes)


# Only the figures the store keeps; the calculation's own tests check how they are reached.
RESULT = CalculationResult.model_construct(
    identity_applied=Category.MINIMUM_ALLOWANCE, personal_share=Decimal("4000.00"),
    basic_insurance=Decimal("26520.00"), critical_illness=Decimal("10665.60"),
    assistance=Decimal("8814.40"), re_assistance=Decimal("0.00"), special_drugs=Decimal("0.00"),
    large_expense=Decimal("0.00"),
)
DELTAS = {"admissions": Decimal(1), "assistance_base": Decimal("11018.00"), "assistance_paid": Decimal("8814.40")}
CAPS = {"assistance_paid": Decimal("30000.00")}


async def record(
    store: SettlementStore, serial: str, deltas: dict[str, Decimal], caps: dict[str, Decimal],
    request: SettlementRequest | None = None, result: CalculationResult = RESULT, settled_at: datetime | None = None,
    fund_region_code: str | None = None,
) -> bool:
    request = request or discharge(serial)
    read = await store.claim(f"{serial:0>32}", "hash", request, "test-his")
    assert read is not None
    return await store.record(read, f"{serial:0>32}", deltas, caps, settled_at or datetime.now(UTC), "{}",
                              request.bill, result, fund_region_code=fund_region_code)


async def counts(database: Database) -> tuple[int, list[str]]:
    async with database.autocommit.connect() as connection:
        entries = await connection.scalar(select(func.count()).select_from(LedgerEntryRow))
        statuses = (await connection.execute(select(SettlementRow.status).order_by(SettlementRow.id))).scalars()
        return entries or 0, list(statuses)


async def decided_correction(
    database: Database, proposal: str, settlement_id: str, at: datetime, assistance: str, re_assistance: str,
    *, status: str = rules.APPROVED, id_number: str = ID_NUMBER,
) -> str:
    """A correction of one settlement, decided at `at`, written as the worker and the agency write it: its
    assistance and re-assistance move by the amounts given, and the person is paid back as much (a
    negative sum: recovered). Its id: `proposal` padded to 32 characters."""
    proposal_id = f"{proposal:0>32}"
    before = dict.fromkeys(rules.FUNDS, "0.00")
    after = before | {"assistance": assistance, "re_assistance": re_assistance}
    paid_to_person = Decimal(assistance) + Decimal(re_assistance)
    async with database.engine.begin() as connection:
        repository = CorrectionRepository(connection)
        await repository.add({
            "id": proposal_id, "id_number": id_number, "status": rules.PENDING, "reasons": [], "years": [2023],
            "agencies": ["civil_affairs"], "ledger_versions": {}, "paid_to_person": paid_to_person,
            "created_at": at}, [{
                "proposal_id": proposal_id, "position": 1, "settlement_id": settlement_id, "year": 2023,
                "discharged_on": date(2023, 3, 1), "identity_before": None, "identity_after": None,
                "funds_before": before, "funds_after": after, "accumulator_deltas": {}, "trace": [],
                "assistance_difference": Decimal(assistance), "re_assistance_difference": Decimal(re_assistance)}])
        if status != rules.PENDING:
            assert await repository.decide(proposal_id, status, {
                "decided_at": at, "decided_by": "mz", "decided_by_agency": "civil_affairs",
                "decision_reason": "核实", "payment": rules.payment(paid_to_person) if status == rules.APPROVED
                else None})
    return proposal_id
