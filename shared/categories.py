"""The stable codes of docs/rules.md §1 that registry, assistance and settlement share: insurance and
medical types, identity categories and the agency that owns each list."""

from enum import StrEnum


class InsuranceType(StrEnum):
    EMPLOYEE = "employee"  # 职工 insutype 310
    RESIDENT = "resident"  # 居民 insutype 390


class MedicalType(StrEnum):
    INPATIENT = "inpatient"  # 住院 med_type 21
    OUTPATIENT_CHRONIC = "outpatient_chronic"  # 门诊慢特病 14
    OUTPATIENT = "outpatient"  # 普通门诊 11


class Agency(StrEnum):
    CIVIL_AFFAIRS = "civil_affairs"  # 民政
    RURAL_REVITALIZATION = "rural_revitalization"  # 乡村振兴


class Category(StrEnum):
    EXTREME_POVERTY = "extreme_poverty"
    MINIMUM_ALLOWANCE = "minimum_allowance"
    RETURNED_TO_POVERTY = "returned_to_poverty"
    ALLOWANCE_MARGIN = "allowance_margin"
    POVERTY_MONITORING = "poverty_monitoring"
    ILLNESS_POVERTY = "illness_poverty"
    DOWNSIZED_RETIREE = "downsized_retiree"
    REGISTERED_POOR = "registered_poor"


LABELS_ZH: dict[Category, str] = {
    Category.EXTREME_POVERTY: "特困人员",
    Category.MINIMUM_ALLOWANCE: "低保对象",
    Category.RETURNED_TO_POVERTY: "返贫致贫人口",
    Category.ALLOWANCE_MARGIN: "低保边缘家庭成员",
    Category.POVERTY_MONITORING: "防止返贫监测帮扶对象",
    Category.ILLNESS_POVERTY: "因病致贫重病患者",
    Category.DOWNSIZED_RETIREE: "精简退职老职工",
    Category.REGISTERED_POOR: "建档立卡贫困人口",
}

MEDICAL_TYPE_LABELS_ZH: dict[MedicalType, str] = {
    MedicalType.INPATIENT: "住院", MedicalType.OUTPATIENT_CHRONIC: "门诊慢特病", MedicalType.OUTPATIENT: "普通门诊",
}

AGENCY_LABELS_ZH: dict[Agency, str] = {
    Agency.CIVIL_AFFAIRS: "民政部门",
    Agency.RURAL_REVITALIZATION: "乡村振兴部门",
}

# 004 §二: civil affairs keeps 特困/低保/低保边缘/因病致贫, rural revitalization 返贫致贫/监测帮扶.
# 2018 lists: 精简退职老职工 came from civil affairs, 建档立卡 from the poverty-alleviation office
# that rural revitalization replaced.
OWNER: dict[Category, Agency] = {
    Category.EXTREME_POVERTY: Agency.CIVIL_AFFAIRS,
    Category.MINIMUM_ALLOWANCE: Agency.CIVIL_AFFAIRS,
    Category.ALLOWANCE_MARGIN: Agency.CIVIL_AFFAIRS,
    Category.ILLNESS_POVERTY: Agency.CIVIL_AFFAIRS,
    Category.DOWNSIZED_RETIREE: Agency.CIVIL_AFFAIRS,
    Category.RETURNED_TO_POVERTY: Agency.RURAL_REVITALIZATION,
    Category.POVERTY_MONITORING: Agency.RURAL_REVITALIZATION,
    Category.REGISTERED_POOR: Agency.RURAL_REVITALIZATION,
}

# The order of docs/rules.md §1: breaks ties between identities that pay the same (§3 Decision).
PRECEDENCE: tuple[Category, ...] = tuple(Category)
