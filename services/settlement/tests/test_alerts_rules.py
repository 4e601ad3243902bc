"""High-cost monitoring's pure rules: the data file, the lines, who is flagged against which line, and
which agency sees whom."""

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.settlement.alerts.rules import (
    HighCostData,
    Lines,
    PersonBurden,
    Threshold,
    agencies_of,
    flag,
    flagged_event,
    visible_categories,
)
from shared.categories import Agency, Category
from shared.errors import Unprocessable

DATA = HighCostData.load()
LINES = Lines.of(DATA.rule_on(date(2023, 3, 31)), DATA.income_for(2023))
MARGIN, MONITORING = Category.ALLOWANCE_MARGIN, Category.POVERTY_MONITORING


def person(burden: str, last_under: dict[Category, date] | None = None, any_identity: bool = False) -> PersonBurden:
    return PersonBurden("370602199001010033", D(burden), 1, last_under or {}, any_identity or bool(last_under))


def test_the_lines_are_50_and_150_percent_of_the_previous_years_figure() -> None:
    assert DATA.income_for(2023).year == 2022
    assert (LINES.monitored, LINES.ordinary, LINES.lowest) == (D("18780.00"), D("56340.00"), D("18780.00"))
    assert DATA.rule_on(date(2023, 1, 1)).source == "烟政办发〔2022〕25号 四(九)"


def test_a_year_with_no_figure_and_a_day_before_the_plan_are_refused() -> None:
    with pytest.raises(Unprocessable) as missing:
        DATA.income_for(2025)
    assert missing.value.code == "income_figure_missing"
    assert "2024" in missing.value.detail
    with pytest.raises(Unprocessable) as before:
        DATA.rule_on(date(2022, 12, 31))
    assert before.value.code == "high_cost_rule_not_in_force"


def test_the_shipped_figures_are_placeholders() -> None:
    assert [(i.year, i.verified) for i in DATA.incomes] == [(2022, False), (2023, False)]


def test_two_figures_for_one_year_stop_the_file(tmp_path: Path) -> None:
    text = Path("services/settlement/alerts/data/high_cost.toml").read_text(encoding="utf-8")
    path = tmp_path / "high_cost.toml"
    path.write_text(text.replace("year = 2023", "year = 2022"), encoding="utf-8")
    with pytest.raises(ValidationError, match="two income figures"):
        HighCostData.load(path)


def test_strictly_above_the_line() -> None:
    at_the_line = person("18780.00", {MARGIN: date(2023, 3, 1)})
    assert flag(at_the_line, LINES) is None
    above = flag(person("18780.01", {MARGIN: date(2023, 3, 1)}), LINES)
    assert above is not None
    assert (above.threshold, above.category, above.line) == (Threshold.MONITORED, MARGIN, D("18780.00"))
    assert flag(person("56340.00"), LINES) is None
    ordinary = flag(person("56340.01"), LINES)
    assert ordinary is not None
    assert (ordinary.threshold, ordinary.category, ordinary.line) == (Threshold.ORDINARY, None, D("56340.00"))


def test_the_latest_monitored_identity_names_the_agency_and_other_identities_are_in_neither_list() -> None:
    both = flag(person("20000", {MARGIN: date(2023, 3, 1), MONITORING: date(2023, 3, 9)}), LINES)
    assert both is not None
    assert both.category is MONITORING
    # Settled under 低保 only: past both lines, in neither list (assisted in full, not monitored).
    assert flag(person("90000", any_identity=True), LINES) is None


def test_each_agency_sees_the_identities_whose_lists_it_keeps() -> None:
    monitored = DATA.rules[0].monitored_categories
    assert visible_categories(Agency.CIVIL_AFFAIRS, monitored) == {MARGIN}
    assert visible_categories(Agency.RURAL_REVITALIZATION, monitored) == {MONITORING}
    assert visible_categories(None, monitored) is None


def test_a_flags_event_names_no_days_and_whose_lists_it_is_on() -> None:
    class Row:
        id_number, year, month, threshold, category = "370602199001010033", 2023, "2023-03", "ordinary", None
        burden, line, income, income_verified, settlements = D("57000.00"), D("56340.00"), D("37560.00"), False, 1
        flagged_at = date(2023, 4, 1)

    event = flagged_event(Row())
    assert (event.type, event.effective_from, event.effective_until) == ("high_cost_alert.flagged", None, None)
    assert event.after == {"year": 2023, "month": "2023-03", "threshold": "ordinary", "category": None,
                           "agencies": ["civil_affairs", "rural_revitalization"], "burden": "57000.00",
                           "line": "56340.00", "income": "37560.00", "income_verified": False, "settlements": 1}
    assert agencies_of(MARGIN) == [Agency.CIVIL_AFFAIRS]
