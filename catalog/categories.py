"""The 品目 tree: loading the 2022 catalogue data file, flags, and tree helpers."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Category, GreenCodeMap

DATA_DIR = Path(__file__).parent / "data"
CATEGORIES_FILE = DATA_DIR / "categories_2022.csv"
GREEN_MAP_FILE = DATA_DIR / "green_code_map_2013.csv"


def _flag(value: str) -> bool:
    return value.strip() == "1"


def load_categories(session: Session) -> int:
    """Insert or update every category of the data file; returns how many rows were read.

    Parents come before children in the file, so one pass resolves every parent.
    """
    existing = {c.code: c for c in session.scalars(select(Category))}
    count = 0
    with CATEGORIES_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            count += 1
            parent = existing.get(row["parent_code"]) if row["parent_code"] else None
            if row["parent_code"] and parent is None:
                raise ValueError(f"category {row['code']}: parent {row['parent_code']} unknown")
            cat = existing.get(row["code"])
            if cat is None:
                cat = Category(code=row["code"])
                session.add(cat)
                existing[cat.code] = cat
            cat.name = row["name"]
            cat.parent = parent
            cat.depth = parent.depth + 1 if parent is not None else 0
            cat.mandatory_green = _flag(row["mandatory_green"])
            cat.priority_green = _flag(row["priority_green"])
            cat.canteen_food = _flag(row["canteen_food"])
    session.flush()
    known = {(m.code_2013, m.code_2022, m.list_name)
             for m in session.scalars(select(GreenCodeMap))}
    with GREEN_MAP_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["code_2013"], row["code_2022"], row["list"])
            if key not in known:
                known.add(key)
                session.add(GreenCodeMap(code_2013=row["code_2013"], code_2022=row["code_2022"],
                                         name=row["name"], list_name=row["list"]))
    session.flush()
    return count


def by_code(session: Session, code: str) -> Category | None:
    return session.scalar(select(Category).where(Category.code == code))


def descendant_ids(session: Session, category_id: int) -> set[int]:
    """The category and everything below it (for 'category including sub-categories')."""
    children: dict[int | None, list[int]] = {}
    for cid, pid in session.execute(select(Category.id, Category.parent_id)):
        children.setdefault(pid, []).append(cid)
    found, stack = set(), [category_id]
    while stack:
        cid = stack.pop()
        found.add(cid)
        stack.extend(children.get(cid, []))
    return found


def code_2022_for(session: Session, code_2013: str) -> list[str]:
    """Translate a code of the 2019 green lists (2013 catalogue) to 2022 codes."""
    return list(session.scalars(select(GreenCodeMap.code_2022)
                                .where(GreenCodeMap.code_2013 == code_2013)))


def tree(session: Session) -> list[tuple[Category, int]]:
    """All categories in depth-first order with their depth, for pages."""
    cats = list(session.scalars(select(Category).order_by(Category.code)))
    return [(c, c.depth) for c in cats]
