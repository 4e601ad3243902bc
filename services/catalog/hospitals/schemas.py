from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.catalog.hospitals.rules import (
    AgreementService,
    ApplicationStatus,
    Grade,
    HospitalKind,
    Level,
    Ownership,
)
from services.catalog.regions.schemas import RegionRef
from shared.types import BusinessDate, HospitalCode, plain_text

RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Reason = Annotated[plain_text(256), Field(description="原因 (why)")]  # type: ignore[valid-type]
Services = Annotated[
    list[AgreementService],
    Field(min_length=1, max_length=3, description="协议服务范围：one_stop_assistance 医疗救助一站式结算、"
          "basic_insurance 基本医疗保险、chronic_outpatient 门诊慢特病 (services the agreement covers)"),
]

OWNERSHIP = "公立 / 民营 (public / private)"
LEVEL = "医院等级：level_1 一级、level_2 二级、level_3 三级；未知为空 (level; empty where unknown)"
GRADE = "等次：A 甲等、B 乙等、C 丙等；未知为空 (grade; empty where unknown)"
KIND = ("机构类别：general 综合医院、tcm 中医医院、integrated 中西医结合医院、specialized 专科医院、"
        "maternal_child 妇幼保健院、primary_care 基层医疗卫生机构、other 其他；未知为空 (type; empty where unknown)")
ENDS_ON = "到期日（含），空为长期 (last day; empty: open-ended)"
EFFECTIVE_FROM = "自该日起生效，默认今天，不得晚于今天 (in effect from; default today, not in the future)"


class HospitalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "990405001", "name": "台儿庄区测试医院一（示例数据，非真实机构）", "region_code": "370405",
        "ownership": "公立", "level": "level_2", "grade": "A", "kind": "general", "reason": "申请定点 (applying)",
    }]})

    code: HospitalCode = Field(description="医疗机构编码 (hospital code)")
    name: plain_text(128)  # type: ignore[valid-type]
    region_code: RegionCode
    ownership: Ownership = Field(description=OWNERSHIP)
    level: Level | None = Field(default=None, description=LEVEL)
    grade: Grade | None = Field(default=None, description=GRADE)
    kind: HospitalKind | None = Field(default=None, description=KIND)
    effective_from: BusinessDate | None = Field(default=None, description=EFFECTIVE_FROM)
    reason: Reason = "登记 (registered)"


class HospitalChange(BaseModel):
    """Only the fields sent change; `level`, `grade` and `kind` may be set to null (unknown)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "level": "level_3", "grade": "B", "reason": "等级评审结果 (level review)", "effective_from": "2026-11-01",
    }]})

    name: plain_text(128) | None = None  # type: ignore[valid-type]
    region_code: RegionCode | None = None
    ownership: Ownership | None = Field(default=None, description=OWNERSHIP)
    level: Level | None = Field(default=None, description=LEVEL)
    grade: Grade | None = Field(default=None, description=GRADE)
    kind: HospitalKind | None = Field(default=None, description=KIND)
    effective_from: BusinessDate | None = Field(default=None, description=EFFECTIVE_FROM)
    reason: Reason


class SuspensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    suspended_from: date = Field(description="暂停起始日 (first day suspended)")
    reason: str
    recorded_by: str
    recorded_at: datetime
    lifted_on: date | None = Field(description="恢复日，当日起恢复 (first day in force again)")
    lift_reason: str | None
    lifted_by: str | None
    lifted_at: datetime | None


class AgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str = Field(description="协议编号 (agreement number)")
    hospital_code: str
    services: list[AgreementService] = Field(description="服务范围 (services covered)")
    signed_on: date | None
    starts_on: date
    ends_on: date | None = Field(description=ENDS_ON)
    terminated_on: date | None = Field(description="解除日，当日起失效 (first day no longer in force)")
    termination_reason: str | None
    source: str = Field(description="依据 (where the agreement comes from)")
    recorded_by: str
    recorded_at: datetime
    suspensions: list[SuspensionOut] = Field(default_factory=list)


class HospitalOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "060001", "name": "毓璜顶医院", "region": {"code": "370601", "name": "市直", "kind": "city_level"},
        "region_path": [{"code": "370000", "name": "山东省", "kind": "province"},
                        {"code": "370600", "name": "烟台市", "kind": "city"}],
        "ownership": "公立", "level": None, "grade": None, "kind": None, "on": "2023-03-20", "designated": True,
        "agreement": {
            "id": 3, "number": "2018-一站式-060001", "hospital_code": "060001", "services": ["one_stop_assistance"],
            "signed_on": None, "starts_on": "2018-05-22", "ends_on": None, "terminated_on": None,
            "termination_reason": None,
            "source": "烟台市民政局 烟台市社会保险服务中心《关于开展居民医疗救（补）助“一站式”联网即时结算业务的通知》"
                      "（2018-05-18）第一批定点医疗机构",
            "recorded_by": "migration 20261130_12", "recorded_at": "2026-11-30T12:02:22.897968Z", "suspensions": [],
        },
    }]})

    code: str = Field(description="定点医疗机构编码 (hospital code)", examples=["060001"])
    name: str = Field(examples=["毓璜顶医院"])
    region: RegionRef
    region_path: list[RegionRef] = Field(description="上级区划 (ancestors of the region)")
    ownership: str = Field(description=OWNERSHIP)
    level: Level | None = Field(description=LEVEL)
    grade: Grade | None = Field(description=GRADE)
    kind: HospitalKind | None = Field(description=KIND)
    on: date = Field(description="所查日期：以上为该日情形 (the date asked: the above as it stood then)")
    designated: bool = Field(description="查询日是否为一站式结算定点：有覆盖一站式结算的协议在执行"
                             " (designated on the date asked: an agreement covering one-stop settlement in force)")
    agreement: AgreementOut | None = Field(
        description="查询日执行中的一站式结算协议 (the agreement in force that date)")


class HospitalPage(BaseModel):
    items: list[HospitalOut]
    total: int
    limit: int
    offset: int


class HospitalVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    valid_from: date | None = Field(description="生效日；空为自有记录起 (in effect from; empty: since the records)")
    name: str
    region_code: str
    ownership: str
    level: Level | None
    grade: Grade | None
    kind: HospitalKind | None
    changed: list[str] = Field(description="相对上一版本变更的字段 (fields changed from the version before)")
    reason: str
    recorded_by: str
    recorded_at: datetime


class SuspensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suspended_from: BusinessDate = Field(description="暂停起始日 (first day suspended)")
    reason: Reason


class SuspensionLift(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lifted_on: BusinessDate = Field(description="恢复日，当日起恢复 (first day in force again)")
    reason: Reason


class Termination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminated_on: BusinessDate = Field(description="解除日，当日起失效 (first day no longer in force)")
    reason: Reason


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    services: Services
    applied_on: BusinessDate = Field(description="申请日 (applied on)")


class Evaluation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evaluated_on: BusinessDate = Field(description="审核评估日 (evaluated on)")
    evaluation: plain_text(256) = Field(description="评估意见 (the evaluation's finding)")  # type: ignore[valid-type]


class NoticeStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice_from: BusinessDate = Field(description="公示起始日；公示5个工作日 (first day of the 5-working-day notice)")


class Signing(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "signed_on": "2026-03-02", "number": "枣医保协〔2026〕1号", "starts_on": "2026-03-02", "ends_on": "2028-12-31",
    }]})

    signed_on: BusinessDate = Field(description="签订日，须在公示期满后 (after the public notice)")
    number: plain_text(64) = Field(description="协议编号 (agreement number)")  # type: ignore[valid-type]
    starts_on: BusinessDate = Field(description="协议起始日，不早于签订日 (first day in force, not before signing)")
    ends_on: BusinessDate | None = Field(default=None, description=ENDS_ON)


class Refusal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refused_on: BusinessDate
    reason: Reason


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hospital_code: str
    services: list[AgreementService]
    status: ApplicationStatus = Field(description="applied 已申请、evaluated 已评估、in_notice 公示中、signed 已签订、"
                                      "refused 不予签订")
    applied_on: date
    evaluated_on: date | None
    evaluation: str | None
    notice_from: date | None
    notice_until: date | None = Field(description="公示期最后一个工作日（含法定节假日与调休）"
                                      " (last working day of the notice, holidays and make-up days counted)")
    signed_on: date | None
    agreement_id: int | None
    refused_on: date | None
    refusal_reason: str | None
    recorded_by: str
    updated_at: datetime


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    hospital_code: str
    kind: str = Field(
        description="registered / changed / agreement_signed / suspended / suspension_lifted / terminated")
    recorded_at: datetime


class ChangePage(BaseModel):
    items: list[ChangeOut] = Field(description="after 之后的变更，按序号 (changes after `after`, in order)")
    last_seq: int = Field(description="已知最大序号；下次以 after=last_seq 查询 (ask next with after=last_seq)")
