"""The one aggregate monitoring reads: beneficiaries' bills per hospital over a period."""

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.monitoring.rules import HospitalCosts, Period
from services.settlement.settlements.models import SettlementRow

_SETTLEMENTS = SettlementRow.__table__


class MonitoringRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def costs_by_hospital(self, period: Period) -> tuple[list[HospitalCosts], int]:
        """Per hospital, the settlements in force (cancelled ones left out) settled under an assistance
        identity and discharged in the period, with their bills summed; and how many such settlements
        have no split kept (recorded before it was, 20261130_07), left out of the sums. By the index
        on the discharge date."""
        s = _SETTLEMENTS.c
        split_kept = s.bill_full_self_pay.is_not(None)
        rows = await self.connection.execute(
            select(
                s.hospital_code, func.count(s.bill_full_self_pay), func.count(),
                func.coalesce(func.sum(case((split_kept, s.total))), 0),
                func.coalesce(func.sum(s.bill_full_self_pay), 0),
                func.coalesce(func.sum(s.bill_over_limit_self_pay), 0),
            ).where(
                s.discharged_on >= period.first_day, s.discharged_on <= period.last_day,
                s.status == "settled", s.identity_applied.is_not(None),
            ).group_by(s.hospital_code)
        )
        costs, without_split = [], 0
        for hospital_code, settlements, every, total, out_of_catalog, over_limit in rows:
            without_split += every - settlements
            if settlements:
                costs.append(HospitalCosts(hospital_code, settlements, total, out_of_catalog, over_limit))
        return costs, without_split
