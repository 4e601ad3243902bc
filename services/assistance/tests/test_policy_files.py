"""Policy files: an invalid one stops the service with a message naming the file and the fault,
and a new region or year is a data file, not code."""

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.assistance.calculation.chain import calculate
from services.assistance.policies.book import PolicyBook
from services.assistance.settings import AssistanceSettings
from shared.contracts.calculation import Bill, CalculationRequest

DATA = AssistanceSettings.model_fields["policy_dir"].default


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path / "data"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_files_load() -> None:
    assert set(PolicyBook.load(DATA).parameters) == {
        "yantai-2018", "yantai-2018-development-zone", "yantai-2023", "taierzhuang-2017",
    }


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("index.toml", "effective_until = 2022-12-31\nsource = \"000 烟台市民政局",
     "effective_until = 2023-01-31\nsource = \"000 烟台市民政局", "overlap in region 370600"),
    ("yantai-2023.toml", 'threshold = "3000"\nratios = { inpatient = "0.50"',
     'ratios = { inpatient = "0.50"', None),  # a threshold may be left out (0): not an error
    ("yantai-2023.toml", 'ratios = { inpatient = "1.00", outpatient_chronic = "1.00" }\ncaps = { all = "30000" }',
     'ratios = { inpatient = "1.00", outpatient_chronic = "1.00" }', "caps"),
    ("yantai-2023.toml", 'ratios = { inpatient = "1.00", outpatient_chronic = "1.00" }\ncaps = { all = "30000" }',
     'ratios = { inpatient = "1.00", outpatient_chronic = "1.00" }\ncaps = { ordinary = "30000" }',
     "caps on pools no ratio pays into"),
    ("yantai-2018.toml", 'caps = { all = "30000", outpatient = "3000" }', 'caps = { outpatient = "3000" }',
     "ratios under no cap"),
    ("index.toml", 'region_code = "370672"\neffective_from = 2018-05-22\neffective_until = 2022-12-31',
     'region_code = "370672"\neffective_from = 2018-05-22', "beyond yantai-2018's dates"),
    ("yantai-2023.toml", '{ from = "300000", ratio = "0.80" },', '{ from = "300000", to = "400000", ratio = "0.80" },',
     "open-ended"),
    ("yantai-2018.toml", 'inpatient_ordinary = "2/3"', 'inpatient_ordinary = "2/0"', "not a ratio"),
    ("taierzhuang-2017.toml", "traffic_accident = ", "Traffic-Accident = ", "string_pattern_mismatch"),
    ("taierzhuang-2017.toml", 'ratios = { inpatient = "0.70" }', 'ratios = { inpatient = "0.60" }',
     "below the document's minimum"),
    ("taierzhuang-2017.toml", 'ratios = { inpatient = "0.70" }\nminimum_ratios = { inpatient = "0.70" }\n'
     'caps = { inpatient = "10000" }', 'ratios = { inpatient = "0.70", outpatient = "0.20" }\n'
     'minimum_ratios = { inpatient = "0.70" }\ncaps = { inpatient = "10000", outpatient = "1000" }',
     "one rule per cost"),
    ("taierzhuang-2017.toml", 'medical_types = ["outpatient", "outpatient_chronic"]',
     'medical_types = ["inpatient", "outpatient"]', "cannot pay inpatient"),
    ("yantai-2018.toml", 'caps = { all = "8000", ordinary = "5000" }', 'caps = { all = "8000", ordinary = "9000" }',
     "sub-cap above the annual cap"),
    ("yantai-2023.toml", '{ from = "100000", to = "200000", ratio = "0.70" },',
     '{ from = "120000", to = "200000", ratio = "0.70" },', "contiguous"),
    ("yantai-2023.toml", 'ratio = "0.80"\nannual_cap = "400000"', 'ratio = "1.80"\nannual_cap = "400000"',
     "less than or equal to 1"),
    ("yantai-2018-development-zone.toml", 'extends = "yantai-2018"', 'extends = "yantai-2019"', "no parameter file"),
    ("yantai-2023.toml", "[assistance.extreme_poverty]", "[assistance.extreme_poverty_typo]", "extreme_poverty_typo"),
    ("taierzhuang-2017.toml", 'excluded_causes_medical_types = ["inpatient"]\n', "", "excluded_causes_medical_types"),
])
def test_an_invalid_file_is_refused_with_its_fault(
    policy_dir: Path, file: str, old: str, new: str, message: str | None,
) -> None:
    _edit(policy_dir / file, old, new)
    if message is None:
        PolicyBook.load(policy_dir)
        return
    with pytest.raises(ValueError, match=message):
        PolicyBook.load(policy_dir)


def test_the_zone_pays_the_city_table_until_its_standard_is_configured(policy_dir: Path) -> None:
    """000 §二 2 gives the zone no figures: the shipped zone file overrides nothing, so no invented
    figure ships. A deployment that has the zone's standard adds a block, and that block replaces the
    identity's rule whole while the rest stays the city's."""
    shipped = PolicyBook.load(DATA).parameters
    zone, city = shipped["yantai-2018-development-zone"], shipped["yantai-2018"]
    assert zone.model_dump(exclude={"id", "extends", "region_code"}) == city.model_dump(
        exclude={"id", "extends", "region_code"})
    assert zone.placeholders == []
    with (policy_dir / "yantai-2018-development-zone.toml").open("a", encoding="utf-8") as f:
        f.write('\n[assistance.registered_poor]\nsource = "test: the zone\'s own standard"\n'
                'ratios = { inpatient_ordinary = "0.60", inpatient_major = "0.60" }\ncaps = { all = "10000" }\n')
    configured = PolicyBook.load(policy_dir).parameters["yantai-2018-development-zone"]
    assert dict(configured.assistance["registered_poor"].caps) == {"all": Decimal("10000")}
    assert configured.assistance["extreme_poverty"].caps["outpatient"] == Decimal("3000")  # not overridden: the city's


def test_a_policy_file_without_its_index_entry_is_refused(policy_dir: Path) -> None:
    (policy_dir / "yantai-2024.toml").write_text('id = "yantai-2024"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="yantai-2024.toml"):
        PolicyBook.load(policy_dir)


def test_a_new_region_is_a_data_file(policy_dir: Path) -> None:
    """Laishan district (370613) adopts the 2023 plan in 2024 with 低保 at 90%: a copy of the file,
    one changed ratio, one index entry."""
    with (policy_dir / "index.toml").open("a", encoding="utf-8") as index:
        index.write('\n[[policy]]\nid = "laishan-2024"\nname = "莱山区（测试）"\nregion_code = "370613"\n'
                    'effective_from = 2024-01-01\nsource = "test: a copy of yantai-2023 with 低保 at 90%"\n')
    text = (DATA / "yantai-2023.toml").read_text(encoding="utf-8")
    text = text.replace('id = "yantai-2023"', 'id = "laishan-2024"').replace(
        'ratios = { inpatient = "0.80", outpatient_chronic = "0.80" }',
        'ratios = { inpatient = "0.90", outpatient_chronic = "0.90" }')
    (policy_dir / "laishan-2024.toml").write_text(text, encoding="utf-8")
    book = PolicyBook.load(policy_dir)
    bill = Bill(total=Decimal("50000"), full_self_pay=Decimal("3000"), pre_self_pay=Decimal("2000"),
                basic_insurance_paid=Decimal("26520"))

    def settle(region: str) -> Decimal:
        request = CalculationRequest(region_code=region, insurance_type="resident", medical_type="inpatient",
                                     discharged_on=date(2024, 3, 20), identities=["minimum_allowance"], bill=bill)
        info, policy = book.select(region, request.discharged_on)
        return calculate(policy, request).assistance

    assert settle("370613") == Decimal("9916.20")  # 11,018 × 90%
    assert settle("370602") == Decimal("8814.40")  # the rest of Yantai: 80%


def test_the_employee_large_expense_subsidy_when_a_policy_configures_it(policy_dir: Path) -> None:
    """Off in every shipped policy (docs/rules.md §4 step 5); a city that has it adds one block."""
    with (policy_dir / "yantai-2023.toml").open("a", encoding="utf-8") as f:
        f.write('\n[large_expense]\nsource = "test"\nthreshold = "1000"\nratio = "0.50"\nannual_cap = "2000"\n')
    book = PolicyBook.load(policy_dir)
    _, policy = book.select("370602", date(2023, 3, 20))
    bill = Bill(total=Decimal("30000"), basic_insurance_paid=Decimal("20000"))

    def settle(insurance_type: str) -> tuple[Decimal, Decimal]:
        result = calculate(policy, CalculationRequest(
            region_code="370602", insurance_type=insurance_type, medical_type="inpatient",
            discharged_on=date(2023, 3, 20), identities=["returned_to_poverty"], bill=bill,
        ))
        return result.large_expense, result.assistance

    # employee: C = (10,000 − 6,000) × 85% = 3,400; H = (6,600 − 1,000) × 50% = 2,800 → cap 2,000;
    # A = 10,000 − 3,400 − 2,000 = 4,600 × 70% = 3,220
    assert settle("employee") == (Decimal("2000.00"), Decimal("3220.00"))
    # residents have no large-expense subsidy: C = (10,000 − 7,000) × 65% = 1,950; A = 8,050 × 70%
    assert settle("resident") == (Decimal("0"), Decimal("5635.00"))
