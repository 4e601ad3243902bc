"""GB/T 2260 region codes nest by prefix: 37 province, 3706 city, 370602 district."""


def enclosing_regions(region_code: str) -> list[str]:
    """The region, its city and its province, most specific first."""
    return list(dict.fromkeys([region_code, region_code[:4] + "00", region_code[:2] + "0000"]))


def inside(region_code: str, region: str) -> bool:
    """Whether a district/county code lies inside `region` (itself, its city or its province)."""
    return region in enclosing_regions(region_code)


def region_prefix(region: str) -> str:
    """The code prefix every district inside `region` starts with: 37, 3706 or 370602."""
    return region[:2] if region.endswith("0000") else region[:4] if region.endswith("00") else region


def pooling_region(region_code: str) -> str:
    """The city whose insurance pool a district belongs to (市级统筹): care in another district of
    the same city is not out-of-region care (docs/rules.md §12)."""
    return region_code[:4] + "00"


def same_pool(region_code: str, other: str) -> bool:
    return pooling_region(region_code) == pooling_region(other)
