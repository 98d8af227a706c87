"""The 832 poverty-alleviation counties (脱贫县), read from `suppliers/data/counties_832.csv`.

A supplier's 832 flag comes only from its registered county (region code), never from a
free-text claim. See `suppliers/data/SOURCES.md` for where the list comes from.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "counties_832.csv"


@dataclass(frozen=True)
class County:
    region_code: str
    province: str
    prefecture: str
    county: str


@cache
def counties_832() -> dict[str, County]:
    with DATA_FILE.open(encoding="utf-8") as fh:
        return {row["region_code"]: County(**row) for row in csv.DictReader(fh)}


def is_832_county(region_code: str) -> bool:
    return region_code in counties_832()


def county(region_code: str) -> County | None:
    return counties_832().get(region_code)
