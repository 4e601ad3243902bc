"""claim periods: the rules of each policy region (data), a hospital's periods and their frozen claims,
the funds a settlement paid that were only on its statement, and the state-change audit

Revision ID: 20261201_10
Revises: 20261201_30
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '20261201_10'
down_revision = '20261201_30'
branch_labels = None
depends_on = None

TAIERZHUANG_DOCUMENTS = [
    {"code": "settlement_report", "label": "救助资金结算报表"},
    {"code": "id_card_copies", "label": "医疗救助对象身份证复印件"},
    {"code": "identity_certificate_copies", "label": "低保证（农村五保供养证、老年福利证、建档立卡扶贫对象证明）复印件"},
    {"code": "inpatient_invoice_copies", "label": "住院收费专用票据复印件"},
    {"code": "insurance_settlement_sheets", "label": "医疗保险费用结算单"},
    {"code": "assistance_settlement_sheets", "label": "城乡医疗救助结算单"},
    {"code": "passbook_copies", "label": "农村商业银行存折（卡）复印件（镇（街）报送的区外就诊救助）"},
]
YANTAI_2018 = "烟台市民政局 烟台市社会保险服务中心《关于开展居民医疗救（补）助“一站式”联网即时结算业务的通知》（2018-05-18）"
RULES = [
    {"id": "yantai-2018", "region_code": "370600", "effective_from": "2018-05-22", "effective_until": "2020-08-01",
     "months": 1, "due_months": None, "payees": ["hospital"], "documents": [],
     "source": f"{YANTAI_2018} 一：社保经办机构与定点医疗机构结算基本医疗保险费用的同时结算医疗救（补）助费用（按月）"},
    {"id": "yantai-2020", "region_code": "370600", "effective_from": "2020-08-01", "effective_until": None,
     "months": 1, "due_months": 1, "payees": ["hospital"], "documents": [],
     "source": "烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）"
               " 基本医疗保险定点医疗机构费用结算：按月结算，次月底前完成费用拨付"},
    {"id": "taierzhuang-2017", "region_code": "370405", "effective_from": "2017-05-01", "effective_until": None,
     "months": 3, "due_months": None, "payees": ["hospital", "passbook"], "documents": TAIERZHUANG_DOCUMENTS,
     "source": "台民字〔2017〕26号《台儿庄区城乡医疗救助“一站式”即时结算服务实施方案》五（三）："
               "每季度最后一个月的月底报区民政局核查审批，区财政局划拨到各定点医院或救助人员存折"},
]

# A period no longer open is never edited: of its columns, only those still empty may be written (the
# next step's own fields), and its status moves one step forward at a time. Its lines and fund sums are
# written while it is open (the close, one transaction) and never change after.
_GUARDS = ["""
CREATE FUNCTION claim_period_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    steps text[] := ARRAY['open', 'closed', 'reviewed', 'approved', 'paid'];
    field record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'open' THEN
            RAISE EXCEPTION 'claim period % is %: it is never deleted', OLD.id, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF array_position(steps, NEW.status) NOT IN (array_position(steps, OLD.status),
                                                  array_position(steps, OLD.status) + 1) THEN
        RAISE EXCEPTION 'claim period %: % cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'open' THEN
        FOR field IN SELECT o.key, o.value AS before, n.value AS after
                     FROM jsonb_each(to_jsonb(OLD)) o JOIN jsonb_each(to_jsonb(NEW)) n USING (key)
                     WHERE o.key <> 'status' AND o.value <> 'null'::jsonb AND o.value IS DISTINCT FROM n.value
        LOOP
            RAISE EXCEPTION 'claim period % is %: % is frozen', OLD.id, OLD.status, field.key
                USING ERRCODE = 'integrity_constraint_violation';
        END LOOP;
    END IF;
    RETURN NEW;
END $$""", """
CREATE TRIGGER claim_periods_frozen BEFORE UPDATE OR DELETE ON claim_periods
    FOR EACH ROW EXECUTE FUNCTION claim_period_frozen()""", """
CREATE FUNCTION claim_part_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of a claim are never changed', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$""", """
CREATE FUNCTION claim_part_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM added JOIN claim_periods p ON p.id = added.period_id WHERE p.status <> TG_ARGV[0]) THEN
        RAISE EXCEPTION '% are added only to a % claim period', TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$""",
    # Per statement, not per row: a close adds a month's lines (100,000 for a large hospital) at once.
    *(trigger for table, status in (("claim_lines", "open"), ("claim_funds", "open"), ("claim_rejections", "closed"))
      for trigger in (
          f"""CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
              FOR EACH STATEMENT EXECUTE FUNCTION claim_part_frozen()""",
          f"""CREATE TRIGGER {table}_added AFTER INSERT ON {table} REFERENCING NEW TABLE AS added
              FOR EACH STATEMENT EXECUTE FUNCTION claim_part_added('{status}')""",
      )),
]


def upgrade() -> None:
    with op.batch_alter_table('settlements') as batch:
        batch.add_column(sa.Column('special_drugs', sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column('large_expense', sa.Numeric(14, 2), nullable=True))
    op.create_index('ix_settlements_hospital_cancelled', 'settlements', ['hospital_code', 'cancelled_at'])
    rules = op.create_table(
        'claim_period_rules',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('region_code', sa.String(length=6), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('effective_until', sa.Date(), nullable=True),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('due_months', sa.Integer(), nullable=True),
        sa.Column('payees', sa.Text(), nullable=False),
        sa.Column('documents', sa.Text(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
    )
    op.bulk_insert(rules, [
        rule | {"effective_from": date.fromisoformat(rule["effective_from"]),
                "effective_until": rule["effective_until"] and date.fromisoformat(rule["effective_until"]),
                "payees": json.dumps(rule["payees"]), "documents": json.dumps(rule["documents"], ensure_ascii=False)}
        for rule in RULES
    ])
    op.create_table(
        'claim_periods',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('hospital_code', sa.String(length=12), nullable=False),
        sa.Column('rule_id', sa.String(length=32), sa.ForeignKey('claim_period_rules.id'), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('opened_by', sa.String(length=64), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=64), nullable=True),
        sa.Column('close_override_reason', sa.String(length=200), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('settlements_count', sa.Integer(), nullable=True),
        sa.Column('adjustments_count', sa.Integer(), nullable=True),
        sa.Column('total', sa.Numeric(14, 2), nullable=True),
        sa.Column('payable', sa.Numeric(14, 2), nullable=True),
        sa.Column('documents', sa.Text(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reviewed_by', sa.String(length=64), nullable=True),
        sa.Column('review_outcome', sa.String(length=16), nullable=True),
        sa.Column('review_note', sa.String(length=200), nullable=True),
        sa.Column('rejected_amount', sa.Numeric(14, 2), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.Column('approved_amount', sa.Numeric(14, 2), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('paid_amount', sa.Numeric(14, 2), nullable=True),
        sa.Column('payment_reference', sa.String(length=64), nullable=True),
        sa.Column('payee', sa.String(length=16), nullable=True),
        sa.Column('paid_by', sa.String(length=64), nullable=True),
        sa.UniqueConstraint('hospital_code', 'starts_on', name='uq_claim_periods_hospital_start'),
        sa.CheckConstraint("status IN ('open', 'closed', 'reviewed', 'approved', 'paid')",
                           name='ck_claim_periods_status_known'),
    )
    op.create_index('ix_claim_periods_status_due', 'claim_periods', ['status', 'due_on'])
    op.create_table(
        'claim_lines',
        sa.Column('settlement_id', sa.String(length=32), sa.ForeignKey('settlements.id'), primary_key=True),
        sa.Column('kind', sa.String(length=12), primary_key=True),
        sa.Column('period_id', sa.String(length=32), sa.ForeignKey('claim_periods.id'), nullable=False),
    )
    op.create_index('ix_claim_lines_period', 'claim_lines', ['period_id', 'kind'])
    op.create_table(
        'claim_funds',
        sa.Column('period_id', sa.String(length=32), sa.ForeignKey('claim_periods.id'), primary_key=True),
        sa.Column('fund', sa.String(length=24), primary_key=True),
        sa.Column('amount', sa.Numeric(14, 2), nullable=False),
    )
    op.create_table(
        'claim_rejections',
        sa.Column('settlement_id', sa.String(length=32), primary_key=True),
        sa.Column('kind', sa.String(length=12), primary_key=True),
        sa.Column('period_id', sa.String(length=32), sa.ForeignKey('claim_periods.id'), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['settlement_id', 'kind'], ['claim_lines.settlement_id', 'claim_lines.kind'],
                                name='fk_claim_rejections_line'),
    )
    op.create_index('ix_claim_rejections_period', 'claim_rejections', ['period_id'])
    op.create_table(
        'state_changes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True, autoincrement=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('entity_key', sa.String(length=64), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
    )
    op.create_index('ix_state_changes_entity', 'state_changes', ['entity', 'entity_key', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        for statement in _GUARDS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION claim_period_frozen() CASCADE")
        op.execute("DROP FUNCTION claim_part_frozen() CASCADE")
        op.execute("DROP FUNCTION claim_part_added() CASCADE")
    for table in ('state_changes', 'claim_rejections', 'claim_funds', 'claim_lines', 'claim_periods',
                  'claim_period_rules'):
        op.drop_table(table)
    op.drop_index('ix_settlements_hospital_cancelled', 'settlements')
    with op.batch_alter_table('settlements') as batch:
        batch.drop_column('large_expense')
        batch.drop_column('special_drugs')
