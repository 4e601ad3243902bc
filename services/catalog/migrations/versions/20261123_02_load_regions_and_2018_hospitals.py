"""load the region tree and the 231 designated hospitals of the 2018 notice

Revision ID: 20261123_02
Revises: 20261123_01
Create Date: 2026-11-23
"""

import csv
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "20261123_02"
down_revision = "20261123_01"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[2] / "data"
# Seed 000: one-stop settlement starts at these hospitals on 2018-05-22.
DESIGNATED_FROM = date(2018, 5, 22)
SOURCE = "烟台市医疗救助“一站式”即时结算第一批定点医疗机构（2018）"
OWNERSHIP = {"公立": "公立", "民营": "民营"}

regions = sa.table(
    "regions", sa.column("code"), sa.column("name"), sa.column("kind"), sa.column("parent_code"),
)
hospitals = sa.table(
    "hospitals", sa.column("code"), sa.column("name"), sa.column("region_code"), sa.column("ownership"),
    sa.column("level"), sa.column("designated_from", sa.Date), sa.column("designated_until", sa.Date),
    sa.column("designation_source"),
)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def upgrade() -> None:
    region_rows = _rows("regions.csv")
    op.bulk_insert(regions, [{**r, "parent_code": r["parent_code"] or None} for r in region_rows])
    yantai_by_name = {r["name"]: r["code"] for r in region_rows if r["parent_code"] == "370600"}
    hospital_rows = _rows("designated_hospitals_2018.csv")
    op.bulk_insert(hospitals, [
        {
            "code": h["code"], "name": h["name"], "region_code": yantai_by_name[h["district"]],
            "ownership": OWNERSHIP[h["ownership"]], "level": None, "designated_from": DESIGNATED_FROM,
            "designated_until": None, "designation_source": SOURCE,
        }
        for h in hospital_rows
    ])


def downgrade() -> None:
    op.execute(hospitals.delete())
    op.execute(regions.delete())
