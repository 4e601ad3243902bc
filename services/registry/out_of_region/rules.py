"""Out-of-region care filings (异地就医备案), as 003 describes them: the five kinds, the documents each
needs, and when a filing counts. Pure.

003 = 烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）, part 5
(基本医疗保险参保人员异地就医备案), items 5.1–5.5."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.regions import same_pool


class FilingKind(StrEnum):
    RESETTLED_RETIREE = "resettled_retiree"  # 5.1 异地安置退休人员就医备案
    LONG_TERM_RESIDENCE = "long_term_residence"  # 5.2 异地长期居住人员异地就医备案
    POSTED_WORKER = "posted_worker"  # 5.3 常驻异地工作人员异地就医备案
    REFERRAL = "referral"  # 5.4 异地转诊人员备案
    EMERGENCY = "emergency"  # 5.5 异地急诊转住院联网备案


KIND_LABELS = {
    FilingKind.RESETTLED_RETIREE: "异地安置退休人员就医备案",
    FilingKind.LONG_TERM_RESIDENCE: "异地长期居住人员异地就医备案",
    FilingKind.POSTED_WORKER: "常驻异地工作人员异地就医备案",
    FilingKind.REFERRAL: "异地转诊人员备案",
    FilingKind.EMERGENCY: "异地急诊转住院联网备案",
}

DOCUMENT_LABELS = {
    "identity_card": "参保人身份证或社会保障卡原件",
    "residence_proof": "异地户籍证明或居住证明（居住证办理回执单）",
    "posting_proof": "单位派出证明或异地工作单位证明",
    "emergency_record": "门（急）诊病历原件",
    "inpatient_record_copy": "住院病历的有效复印件",
}

# 003 5.x 五、申办材料, per kind. A referral is filed by the referring hospital with no documents
# (医院端直接发起备案，无需提供资料审核).
CHECKLIST: Mapping[FilingKind, tuple[str, ...]] = {
    FilingKind.RESETTLED_RETIREE: ("identity_card", "residence_proof"),
    FilingKind.LONG_TERM_RESIDENCE: ("identity_card", "residence_proof"),
    FilingKind.POSTED_WORKER: ("identity_card", "posting_proof"),
    FilingKind.REFERRAL: (),
    FilingKind.EMERGENCY: ("identity_card", "emergency_record", "inpatient_record_copy"),
}

# 材料暂时不齐的可个人承诺制办理业务，事后补充相关资料: only the three residence kinds say so.
COMMITMENT_ALLOWED = frozenset({FilingKind.RESETTLED_RETIREE, FilingKind.LONG_TERM_RESIDENCE,
                                FilingKind.POSTED_WORKER})
# The kinds bound to one hospital: the receiving hospital of a referral, the hospital of the emergency.
HOSPITAL_BOUND = frozenset({FilingKind.REFERRAL, FilingKind.EMERGENCY})


REFUSALS = {
    "destination_inside_region": "就医地在参保地统筹区内，无需异地备案 (the destination is inside the person's own "
                                 "region: no filing needed)",
    "document_not_on_checklist": "该类备案无需此材料 (a document not on this kind's checklist)",
    "commitment_not_allowed": "该类备案不适用个人承诺制 (no personal commitment for this kind)",
    "hospital_code_for_kind": "转诊、急诊备案须写明医院，异地居住类备案不写 (hospital_code: required for referral "
                              "and emergency, not allowed for the residence kinds)",
    "filing_backdated": "备案不能追溯到备案日之前（急诊除外） (only an emergency filing may start before it is filed)",
    "emergency_filed_before_admission": "急诊备案在急诊之后办理 (an emergency is filed after the emergency admission)",
    "invalid_validity": "有效期止早于起始 (valid_until before valid_from)",
}


class FilingRefused(ValueError):
    """A filing the guide does not allow; `code` is the API's problem code (a key of REFUSALS)."""

    def __init__(self, code: str, what: str = "") -> None:
        super().__init__(REFUSALS[code] + (f": {what}" if what else ""))
        self.code = code


@dataclass(frozen=True)
class FilingTerms:
    kind: FilingKind
    destination_region_code: str
    filed_on: date
    valid_from: date
    valid_until: date | None
    hospital_code: str | None
    documents_received: frozenset[str]
    personal_commitment: bool


def missing_documents(kind: FilingKind, received: Iterable[str]) -> list[str]:
    """The guide's checklist less what was received, in the checklist's order (一次性告知)."""
    have = set(received)
    return [d for d in CHECKLIST[kind] if d not in have]


def check(terms: FilingTerms, person_region_code: str) -> None:
    """Refuse what the guide does not allow (FilingRefused)."""
    if same_pool(terms.destination_region_code, person_region_code):
        raise FilingRefused("destination_inside_region")
    unknown = sorted(terms.documents_received - set(CHECKLIST[terms.kind]))
    if unknown:
        raise FilingRefused("document_not_on_checklist", f"{KIND_LABELS[terms.kind]} {', '.join(unknown)}")
    if terms.personal_commitment and terms.kind not in COMMITMENT_ALLOWED:
        raise FilingRefused("commitment_not_allowed", KIND_LABELS[terms.kind])
    if (terms.hospital_code is None) == (terms.kind in HOSPITAL_BOUND):
        raise FilingRefused("hospital_code_for_kind")
    # The residence kinds and a referral count from the filing (即时办结); only an emergency is filed
    # after the admission it covers.
    if terms.kind is not FilingKind.EMERGENCY and terms.valid_from < terms.filed_on:
        raise FilingRefused("filing_backdated")
    if terms.kind is FilingKind.EMERGENCY and terms.valid_from > terms.filed_on:
        raise FilingRefused("emergency_filed_before_admission")
    if terms.valid_until is not None and terms.valid_until < terms.valid_from:
        raise FilingRefused("invalid_validity")


def comes_into_force(terms: FilingTerms) -> bool:
    """Complete, or incomplete under a personal commitment where the guide allows one."""
    return not missing_documents(terms.kind, terms.documents_received) or terms.personal_commitment


def in_force_on(filing: Any, on: date, at: datetime | None = None) -> bool:
    """Whether a filing row counts on `on`, as the records stood at `at` (None: now): in force by then
    (complete, or under a commitment), inside its validity, and not ended before `on` by then."""
    if filing.in_force_since is None or (at is not None and filing.in_force_since > at):
        return False
    if on < filing.valid_from or (filing.valid_until is not None and on > filing.valid_until):
        return False
    ended = filing.last_day is not None and (at is None or filing.ended_at <= at)
    return not (ended and on > filing.last_day)


def filings_in_force(filings: Iterable[Any], on: date, at: datetime | None = None) -> list[Any]:
    return sorted((f for f in filings if in_force_on(f, on, at)), key=lambda f: (f.valid_from, f.id))
