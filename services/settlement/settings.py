from datetime import date
from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.categories import Category
from shared.settings import ChangeFeedSettings, PeerSettings


class SettlementSettings(ChangeFeedSettings, PeerSettings):
    """Environment: SETTLEMENT_DATABASE_URL, SETTLEMENT_JWT_PUBLIC_KEYS, SETTLEMENT_REGISTRY_URL, ..."""

    model_config = SettingsConfigDict(env_prefix="SETTLEMENT_")

    database_url: str = "sqlite:///var/settlement.db"
    registry_url: str = Field(default="http://127.0.0.1:8101", description="registry service base URL")
    catalog_url: str = Field(default="http://127.0.0.1:8102", description="catalog service base URL")
    assistance_url: str = Field(default="http://127.0.0.1:8103", description="assistance service base URL")
    treat_first_pay_later: list[Category] = Field(
        default=[Category.EXTREME_POVERTY, Category.MINIMUM_ALLOWANCE, Category.RETURNED_TO_POVERTY],
        description="先诊疗后付费：入院免交押金的身份 (004 §四(十)) (identities admitted without deposit)",
    )
    treat_first_pay_later_region: str = Field(
        default="370600", pattern=r"^[0-9]{6}$",
        description="先诊疗后付费：医院须在此行政区域内 (004 §四(十) 我市行政区域内: the hospital's region)",
    )
    treat_first_pay_later_from: date = Field(
        default=date(2023, 1, 1),
        description="先诊疗后付费施行日 (the day the plan granting it came into force: 004, 2023-01-01)",
    )
    # A HIS window does not wait longer; far below the claim lease (settlements.repository.CLAIM_LEASE,
    # 5 minutes), so a live settlement is never taken over.
    settlement_deadline_seconds: float = Field(
        default=30, gt=0, le=120,
        description="a settlement not done by then is 503 settlement_timeout and its serial given back",
    )
    max_csv_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024,
        description="a reconciliation's detail file (text/csv): 100,000 lines are about 7 MB",
    )
    max_attempts: int = Field(
        default=40, ge=1, le=1000,
        description="computations of one settlement while concurrent settlements of the person move its "
        "balances, before 503 person_busy",
    )
    hospital_changes_poll_seconds: float = Field(
        default=1, gt=0, le=60,
        description="how often the hospital cache asks the catalog what changed (GET /v1/hospitals/changes)",
    )
    lookup_rate_per_second: float = Field(
        default=20, gt=0, description="look-ups of persons (admissions, settlements) a hospital earns back a second",
    )
    lookup_burst: int = Field(
        default=200, ge=1, description="look-ups a hospital may make at once, before 429 lookup_rate_limited",
    )
    monitoring_min_share: Decimal = Field(
        default=Decimal("0.10"), ge=0, le=1, decimal_places=4,
        description="目录外费用占比高于此值的医院列入监测 (004 §四(十); the share is ours, docs/rules.md §10) "
        "(hospitals above this out-of-catalog share are listed)",
    )
    fund_city_code: str = Field(
        default="370600", pattern=r"^[0-9]{4}00$",
        description="资金往来清算的城市 (烟台 2018 通知 二、2: the city whose civil affairs pre-funds its centre)",
    )
    fund_low_days_of_cover: Decimal = Field(
        default=Decimal(15), ge=0, le=366,
        description="预拨资金余额按近期日均支出可支付天数低于此值时预警 (warn when the balance lasts fewer days)",
    )
    fund_draw_window_days: int = Field(
        default=30, ge=1, le=366, description="日均支出按此前多少天计算 (the days the daily draw is averaged over)",
    )
    fund_metrics_refresh_seconds: float = Field(
        default=60, gt=0, le=3600, description="资金余额指标的刷新间隔 (how often the balance gauges are recomputed)",
    )
    recalculation_chunk_rows: int = Field(
        default=200, ge=1, le=5000,
        description="补算批次每块约多少行（整人整年，块内一轮为一次批量计算） (rows per chunk of a recalculation batch;"
        " whole person-years; each round of a chunk is one calculations:batch call within the peer timeout)",
    )
    recalculation_stop_after_chunks: int = Field(
        default=0, ge=0,
        description="仅供测试：补算任务提交这么多块后如崩溃般停止；0 为关闭 (a test hook: the task stops as a crash"
        " would after committing this many chunks; 0 is off)",
    )
