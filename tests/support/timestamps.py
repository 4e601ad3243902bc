"""Timestamps in a JSON answer, to check that each carries its offset."""

import re

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def timestamps(value: object, key: str = "") -> list[tuple[str, str]]:
    """Every (field name, value) whose value reads as a date and time, however deep."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in timestamps(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in timestamps(v, key)]
    return [(key, value)] if isinstance(value, str) and _DATETIME.match(value) else []


def without_offset(stamps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(key, value) for key, value in stamps if not OFFSET.search(value)]
