"""门诊慢特病: an outpatient chronic/special-disease settlement needs a filing giving benefits on the
date at the hospital the person chose (烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》
（2020-08）, 门诊慢病病种待遇确认备案: one chosen hospital; benefits from the day after filing).

The eligibility answer already carries the filings in force on the date, so a settlement that has
one costs nothing more. Only a refusal asks the registry for all the person's filings, to say why."""

from datetime import date
from typing import Any

from services.settlement.lookups import Patient
from services.settlement.peers import Peers
from shared.categories import MedicalType
from shared.errors import Unprocessable


def missing() -> Unprocessable:
    return Unprocessable(
        "无门诊慢特病备案，不能按门诊慢特病结算 (no chronic-disease filing: not an outpatient chronic settlement)",
        code="chronic_filing_missing",
    )


NOT_YET_IN_FORCE = Unprocessable(  # examples for the documentation; `refusal` makes the real ones
    "门诊慢特病备案自2023-05-11起享受待遇（申报次日起） (the filing gives benefits from 2023-05-11, the day after"
    " filing)", code="chronic_filing_not_yet_in_force", extra={"effective_from": "2023-05-11"},
)
OTHER_HOSPITAL = Unprocessable(
    "门诊慢特病备案医院为060002，须在备案医院结算 (the filing is at 060002: settle at the hospital filed)",
    code="chronic_filing_other_hospital", extra={"filed_hospital_codes": ["060002"]},
)
END_REASONS_ZH = {"revoked": "撤销", "expired": "到期", "moved": "参保关系转出"}


def ended(last_day: date, reason: str) -> Unprocessable:
    return Unprocessable(
        f"门诊慢特病备案已终止（{END_REASONS_ZH.get(reason, reason)}），最后享受待遇日为{last_day.isoformat()}"
        f" (the filing ended, {reason}: its last day of benefits was {last_day.isoformat()})",
        code="chronic_filing_ended", extra={"last_day": last_day.isoformat(), "end_reason": reason},
    )


PROBLEMS = (missing(), NOT_YET_IN_FORCE, OTHER_HOSPITAL, ended(date(2023, 6, 30), "moved"))  # documented examples


def _ended_before(filing: dict[str, Any], on: date) -> bool:
    return filing.get("last_day") is not None and on > date.fromisoformat(filing["last_day"])


def refusal(filings: list[dict[str, Any]], on: date, hospital_code: str) -> Unprocessable | None:
    """Why the person's filings (the registry's list, every status) give no chronic benefits at the
    hospital on the date; None when one does (filed or approved since the eligibility answer)."""
    giving = [f for f in filings if f["status"] == "in_force" and date.fromisoformat(f["effective_from"]) <= on
              and not _ended_before(f, on)]
    if any(f["hospital_code"] == hospital_code for f in giving):
        return None
    if giving:
        codes = sorted({f["hospital_code"] for f in giving})
        return Unprocessable(
            f"门诊慢特病备案医院为{'、'.join(codes)}，须在备案医院结算"
            f" (the filing is at {', '.join(codes)}: settle at the hospital filed)",
            code="chronic_filing_other_hospital", extra={"filed_hospital_codes": codes},
        )
    later = sorted(date.fromisoformat(f["effective_from"]) for f in filings
                   if f["status"] == "in_force" and f["effective_from"] and not _ended_before(f, on))
    if later:  # filed again after an end, too: what the person waits for is what they are told
        return Unprocessable(
            f"门诊慢特病备案自{later[0].isoformat()}起享受待遇（申报次日起）"
            f" (the filing gives benefits from {later[0].isoformat()}, the day after filing)",
            code="chronic_filing_not_yet_in_force", extra={"effective_from": later[0].isoformat()},
        )
    gone = [f for f in filings if f["status"] == "in_force" and _ended_before(f, on)]
    if gone:  # the one that ended last is the one the person relied on
        last = max(gone, key=lambda f: f["last_day"])
        return ended(date.fromisoformat(last["last_day"]), last["end_reason"])
    if any(f["status"] == "pending" for f in filings):
        return Unprocessable(
            "门诊慢特病备案待季度审核，审核通过前不享受待遇 (the filing awaits its quarterly review)",
            code="chronic_filing_not_yet_in_force", extra={"effective_from": None},
        )
    return missing()


async def ensure_chronic_filing(
    peers: Peers, id_number: str, medical_type: MedicalType, hospital_code: str, on: date, patient: Patient,
) -> None:
    if medical_type is not MedicalType.OUTPATIENT_CHRONIC or hospital_code in patient.chronic_hospitals:
        return
    if not patient.registered:
        raise missing()
    filings = await peers.registry.get(f"/v1/persons/{id_number}/chronic-filings")
    problem = refusal(filings, on, hospital_code)
    if problem is not None:
        raise problem
