from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.catalog.database import Base
from shared.db import BigId, UtcDateTime

LEVELS = "level IN ('level_1', 'level_2', 'level_3')"
GRADES = "grade IN ('A', 'B', 'C')"
KINDS = ("kind IN ('general', 'tcm', 'integrated', 'specialized', 'maternal_child', 'primary_care', 'other')")
OWNERSHIPS = "ownership IN ('公立', '民营')"


class HospitalRow(Base):
    """A hospital as its latest version has it (for search); the versions are the record of what
    it was on any date."""

    __tablename__ = "hospitals"
    __table_args__ = (
        CheckConstraint(LEVELS, name="level"), CheckConstraint(GRADES, name="grade"),
        CheckConstraint(KINDS, name="kind"), CheckConstraint(OWNERSHIPS, name="ownership"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    ownership: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    grade: Mapped[str | None] = mapped_column(String(1))
    kind: Mapped[str | None] = mapped_column(String(16))


class HospitalVersionRow(Base):
    """What a hospital was from `valid_from` until its next version. Append-only. `valid_from` is
    empty for what the 2018 notice recorded: as far back as the records go."""

    __tablename__ = "hospital_versions"
    __table_args__ = (
        CheckConstraint(LEVELS, name="level"), CheckConstraint(GRADES, name="grade"),
        CheckConstraint(KINDS, name="kind"), CheckConstraint(OWNERSHIPS, name="ownership"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hospital_code: Mapped[str] = mapped_column(ForeignKey("hospitals.code"), index=True)
    valid_from: Mapped[date | None]
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    ownership: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    grade: Mapped[str | None] = mapped_column(String(1))
    kind: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(256))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AgreementRow(Base):
    """A service agreement (定点服务协议) with a hospital: in force from `starts_on` to `ends_on`
    (inclusive), unless terminated (from `terminated_on`) or suspended (`SuspensionRow`)."""

    __tablename__ = "hospital_agreements"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        Index("ix_hospital_agreements_hospital", "hospital_code", "starts_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    hospital_code: Mapped[str] = mapped_column(ForeignKey("hospitals.code"))
    services: Mapped[list[str]] = mapped_column(JSON)
    signed_on: Mapped[date | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    terminated_on: Mapped[date | None]
    termination_reason: Mapped[str | None] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(256))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SuspensionRow(Base):
    """An agreement suspended from `suspended_from` until the day it is lifted (`lifted_on`, the
    first day in force again), or for good while not lifted."""

    __tablename__ = "agreement_suspensions"
    __table_args__ = (CheckConstraint("lifted_on IS NULL OR lifted_on >= suspended_from", name="period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("hospital_agreements.id"), index=True)
    suspended_from: Mapped[date]
    reason: Mapped[str] = mapped_column(String(256))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lifted_on: Mapped[date | None]
    lift_reason: Mapped[str | None] = mapped_column(String(256))
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ApplicationRow(Base):
    """A hospital's application for an agreement (003 医疗机构申请定点协议管理): applied → evaluated →
    public notice → signed, or refused at any step before signing."""

    __tablename__ = "agreement_applications"
    __table_args__ = (
        CheckConstraint("status IN ('applied', 'evaluated', 'in_notice', 'signed', 'refused')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hospital_code: Mapped[str] = mapped_column(ForeignKey("hospitals.code"), index=True)
    services: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    applied_on: Mapped[date]
    evaluated_on: Mapped[date | None]
    evaluation: Mapped[str | None] = mapped_column(String(256))
    notice_from: Mapped[date | None]
    notice_until: Mapped[date | None]
    signed_on: Mapped[date | None]
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("hospital_agreements.id"))
    refused_on: Mapped[date | None]
    refusal_reason: Mapped[str | None] = mapped_column(String(256))
    recorded_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HospitalChangeRow(Base):
    """One row per write to a hospital or its agreements, numbered in commit order (writers are
    serialized: `HospitalRepository.serialize_writes`), so a reader that has seen up to `seq` misses
    nothing by asking for what came after it."""

    __tablename__ = "hospital_changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hospital_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
