from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.settlement.manual_claims.rules import Channel, Document, Status
from shared.categories import InsuranceType, MedicalType
from shared.contracts.calculation import Bill
from shared.id_number import IdNumberStr
from shared.money import NonNegativeMoney
from shared.types import BusinessDate, plain_text

RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class OutOfNetworkHospital(BaseModel):
    """Any hospital, inside or outside the city, as its invoice names it: not looked up in the catalog."""

    model_config = ConfigDict(extra="forbid")

    name: plain_text(128) = Field(description="医院名称 (the hospital's name)")  # type: ignore[valid-type]
    code: plain_text(32) | None = Field(default=None, description="医院编码，如有 (its code, if any)")  # type: ignore[valid-type]
    region_code: RegionCode = Field(description="医院所在地行政区划代码 (where the hospital is, GB/T 2260)")
    level: Annotated[str, StringConstraints(pattern=r"^level_[123]$")] | None = Field(
        default=None, description="医院等级 level_1/level_2/level_3 (as on the invoice)")


class Invoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: plain_text(64) = Field(description="票据号 (invoice number)")  # type: ignore[valid-type]
    issued_on: BusinessDate = Field(description="开票日期 (invoice date)")
    amount: NonNegativeMoney


class Passbook(BaseModel):
    """Where a township claim is paid (台民字〔2017〕26号 五(三)3 划拨到…救助人员存折)."""

    model_config = ConfigDict(extra="forbid")

    bank: plain_text(64) = Field(default="农村商业银行", description="开户行 (the bank)")  # type: ignore[valid-type]
    account: Annotated[str, StringConstraints(pattern=r"^[0-9]{8,30}$")] = Field(
        description="存折（卡）号，仅 pii:read 可见全号 (the account; masked without pii:read)")


class ClaimAsEntered(BaseModel):
    """A manual claim as entered, but the person (shown once, masked unless the token reads PII)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel = Field(default=Channel.WINDOW, description=(
        "受理渠道：window 医保经办窗口（经办机构或运营窗口）；township 镇（街）人力资源和社会保障所，"
        "仅台儿庄区经批准区外就医 (who enters it: the agency or ops window; or a Tai'erzhuang township office"
        " for care outside the district approved beforehand)"))
    office: plain_text(64) | None = Field(  # type: ignore[valid-type]
        default=None, description="受理的镇（街）所名称，township 必填 (the township office; township only)")
    approval_reference: plain_text(64) | None = Field(  # type: ignore[valid-type]
        default=None, description="区外就医审批（转诊）编号，township 必填 (the approval of the care outside the"
        " district; township only)")
    passbook: Passbook | None = Field(
        default=None, description="救助金划入的存折（卡），township 必填 (the passbook paid into; township only)")

    insurance_type: InsuranceType
    medical_type: MedicalType
    hospital: OutOfNetworkHospital
    admitted_on: BusinessDate
    discharged_on: BusinessDate
    bill: Bill
    invoices: list[Invoice] = Field(default_factory=list, max_length=200)
    documents: dict[Document, bool] = Field(
        default_factory=dict, description="申办材料：已收 true / 缺 false；未列出视为缺 (unlisted: missing)")
    received_on: BusinessDate | None = Field(
        default=None, description="材料齐全受理日期，默认今天 (the day the complete materials were received; today)")


class ManualClaimRequest(ClaimAsEntered):
    """A manual claim as the agency clerk or the ops window enters it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "id_number": "370602199001011239", "insurance_type": "resident", "medical_type": "inpatient",
        "hospital": {"name": "山东大学齐鲁医院", "region_code": "370102", "level": "level_3"},
        "admitted_on": "2023-05-01", "discharged_on": "2023-05-10",
        "bill": {"total": "120000", "full_self_pay": "5000", "pre_self_pay": "5000", "basic_insurance_paid": "60000"},
        "invoices": [{"number": "37010023000123", "issued_on": "2023-05-10", "amount": "120000"}],
        "documents": {"identity": True, "invoices": True, "fee_list": True, "discharge_record": False},
    }]})

    id_number: IdNumberStr


class DocumentsUpdate(BaseModel):
    """Materials brought afterwards (补齐): each named document as now received or still missing."""

    model_config = ConfigDict(extra="forbid")

    documents: dict[Document, bool] = Field(min_length=1)
    received_on: BusinessDate | None = None


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid_on: BusinessDate = Field(description="支付日期 (payment date)")
    reference: plain_text(64) = Field(description="支付凭证号 (payment reference)")  # type: ignore[valid-type]


class MissingDocument(BaseModel):
    document: Document
    label: str


class ManualClaim(BaseModel):
    id: str
    status: Status
    id_number: str = Field(description="masked unless the token holds pii:read")
    claim: ClaimAsEntered
    documents: dict[Document, bool]
    missing: list[MissingDocument] = Field(description="一次性告知需补齐的材料 (everything still missing, at once)")
    created_at: datetime
    created_by: str
    accepted_on: date | None
    due_on: date | None = Field(description="办结时限：受理后第10个工作日 (10 working days after acceptance)")
    overdue: bool
    settlement_id: str | None
    assistance: Decimal | None = Field(description="医疗救助 + 再救助 (what the person is paid; none once cancelled)")
    paid_to: str = Field(description="person 支付给本人 / passbook 划入存折（镇街渠道） (who or where it is paid)")
    statement: dict[str, Any] | None = Field(description="the settlement's statement (channel manual)")
    approved_at: datetime | None
    approved_by: str | None
    paid_on: date | None
    payment_reference: str | None
    paid_by: str | None


class ManualClaims(BaseModel):
    items: list[ManualClaim]
