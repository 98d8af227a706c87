"""The 品目 tree loaded from catalog/data (conftest loads it once per session)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog.categories import by_code, code_2022_for, descendant_ids, load_categories
from catalog.models import Category, GreenCodeMap

REQUIRED = {
    "A02010105": "台式计算机",
    "A02010108": "便携式计算机",
    "A05040101": "复印纸",
    "A07030100": "谷物",
    "C23120301": "车辆维修和保养服务",
}


def significant(code: str) -> str:
    """A 2022 code without its zero padding: A02010000 → A0201 (segments of two digits)."""
    while len(code) > 1 and code.endswith("00"):
        code = code[:-2]
    return code


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_at_least_80_categories_are_loaded(db):
    assert count(db, Category) >= 80


@pytest.mark.parametrize(("code", "name"), sorted(REQUIRED.items()))
def test_required_category_is_present_with_its_name(db, code, name):
    category = by_code(db, code)
    assert category is not None
    assert category.name == name


def test_every_non_root_parent_code_is_a_prefix_one_level_up(db):
    cats = {c.id: c for c in db.scalars(select(Category))}
    broken = []
    for c in cats.values():
        if c.parent_id is None:
            continue
        parent = cats[c.parent_id]
        child_sig, parent_sig = significant(c.code), significant(parent.code)
        if not (child_sig.startswith(parent_sig) and len(child_sig) == len(parent_sig) + 2
                and c.depth == parent.depth + 1):
            broken.append((c.code, parent.code))
    assert broken == []


def test_roots_are_the_three_top_classes(db):
    roots = set(db.scalars(select(Category.code).where(Category.parent_id.is_(None))))
    assert roots == {"A", "B", "C"}  # 货物、工程、服务


def test_desktop_computers_are_mandatory_green(db):
    assert by_code(db, "A02010105").mandatory_green is True


def test_copy_paper_is_priority_green(db):
    paper = by_code(db, "A05040101")
    assert paper.priority_green is True
    assert paper.mandatory_green is False


def test_cereals_are_canteen_food(db):
    assert by_code(db, "A07030100").canteen_food is True
    assert by_code(db, "A02010105").canteen_food is False


def test_load_categories_is_idempotent(db):
    categories, mappings = count(db, Category), count(db, GreenCodeMap)
    desktop = by_code(db, "A02010105")
    read = load_categories(db)
    assert read == categories
    assert count(db, Category) == categories
    assert count(db, GreenCodeMap) == mappings
    db.refresh(desktop)
    assert desktop.name == "台式计算机" and desktop.mandatory_green is True


def test_2013_code_of_green_list_translates_to_2022(db):
    assert "A02010105" in code_2022_for(db, "A02010104")


def test_unknown_2013_code_translates_to_nothing(db):
    assert code_2022_for(db, "Z99") == []


@pytest.mark.parametrize("ancestor", ["A02000000", "A02010000", "A02010100"])
def test_descendants_of_an_ancestor_include_desktop_computers(db, ancestor):
    found = descendant_ids(db, by_code(db, ancestor).id)
    assert by_code(db, "A02010105").id in found
    assert by_code(db, ancestor).id in found
    assert by_code(db, "A05040101").id not in found


# --- API and page -------------------------------------------------------------------------


def test_api_lists_the_whole_tree(client, db):
    res = client.get("/api/v1/categories")
    assert res.status_code == 200
    codes = {c["code"] for c in res.json}
    assert set(REQUIRED) <= codes
    assert len(res.json) == count(db, Category)


def test_api_lists_children_of_a_parent(client, db):
    res = client.get("/api/v1/categories?parent=A02010000")  # 信息化设备
    assert res.status_code == 200
    parent_id = by_code(db, "A02010000").id
    assert res.json and all(c["parent_id"] == parent_id for c in res.json)
    assert "A02010100" in {c["code"] for c in res.json}  # 计算机
    assert "A02010105" not in {c["code"] for c in res.json}  # a grandchild


def test_api_unknown_parent_is_404(client):
    res = client.get("/api/v1/categories?parent=A9999")
    assert res.status_code == 404
    assert res.json["code"] == "category_not_found"


def test_api_shows_one_category(client):
    res = client.get("/api/v1/categories/A02010105")
    assert res.status_code == 200
    assert res.json["name"] == "台式计算机"
    assert res.json["mandatory_green"] is True
    assert res.json["depth"] == 4


def test_api_unknown_code_is_404_envelope(client):
    res = client.get("/api/v1/categories/Z00000000")
    assert res.status_code == 404
    assert res.json["code"] == "category_not_found"
    assert set(res.json) == {"code", "message", "errors"}


def test_category_page_renders_the_tree(client):
    res = client.get("/categories")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "台式计算机" in html and "A02010105" in html
