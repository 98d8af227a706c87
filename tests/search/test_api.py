"""The search API (/api/v1/search): results, facets, policy rules, bad input, roles."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from mall.roles import Role
from tests import factories
from tests.conftest import bearer
from tests.search.conftest import index_now

CERT = {"kind": "energy", "number": "CQC2026000002", "certifier": "中国质量认证中心",
        "valid_until": date.today() + timedelta(days=365)}
WORD = "接口检索"


@pytest.fixture
def shop(db, app, app_backend):
    """Desktops (a mandatory-green category: one certified, one not), paper from an 832
    supplier, paper delivered only to Guizhou."""
    farm = factories.supplier(db, region="522727", size="micro")
    made = {
        "green_pc": factories.offer(db, status="active", title=f"联想 {WORD} 台式计算机 节能",
                                    category_code="A02010105", brand="联想", model="API-PC1",
                                    price="4999.00", certificates=[CERT]),
        "plain_pc": factories.offer(db, status="active", title=f"联想 {WORD} 台式计算机 普通",
                                    category_code="A02010105", brand="联想", model="API-PC2",
                                    price="3999.00"),
        "farm_paper": factories.offer(db, farm.id, status="active", title=f"得力 {WORD} 竹浆复印纸",
                                      model="API-P1", price="30.00"),
        "gz_paper": factories.offer(db, status="active", title=f"晨光 {WORD} 复印纸",
                                    brand="晨光", model="API-P2", price="22.00",
                                    delivery_regions="52"),
    }
    db.commit()
    index_now(app)
    return {k: o.id for k, o in made.items()}


def _ids(body) -> set[int]:
    return {i["offer"]["id"] for i in body["items"]} | {s["id"] for s in body["slots"]}


def test_search_needs_a_token(client, shop):
    res = client.get(f"/api/v1/search?q={WORD}")
    assert res.status_code == 401 and res.json["code"] == "auth_required"


def test_buyers_do_not_see_uncertified_offers_of_mandatory_green_categories(client, db, shop):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    body = client.get(f"/api/v1/search?q={WORD}", headers=buyer).json
    assert shop["plain_pc"] not in _ids(body)
    assert shop["green_pc"] in _ids(body)
    operator = bearer(db, factories.user(db, Role.OPERATOR))
    body = client.get(f"/api/v1/search?q={WORD}", headers=operator).json
    assert shop["plain_pc"] in _ids(body)


def test_results_have_slots_groups_facets_and_highlights(client, db, shop):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    body = client.get(f"/api/v1/search?q={WORD}", headers=buyer).json
    slots = {s["id"]: s["priority"] for s in body["slots"]}
    assert slots == {shop["green_pc"]: ["green"], shop["farm_paper"]: ["832"]}
    assert [i["offer"]["id"] for i in body["items"]] == [shop["gz_paper"]]
    assert body["total"] == 1 and body["total_offers"] == 3
    item = body["items"][0]
    assert item["offer_count"] == 1 and item["min_price"] == "22.00"
    assert f"<mark>{WORD}</mark>" in item["offer"]["highlight"]
    assert item["offer"]["url"] == f"/offers/{shop['gz_paper']}"
    brands = {f["value"]: (f["label"], f["count"]) for f in body["facets"]["brand"]}
    assert brands == {"联想": ("联想", 1), "得力": ("得力", 1), "晨光": ("晨光", 1)}
    categories = {f["label"]: f["count"] for f in body["facets"]["category"]}
    assert categories == {"台式计算机": 1, "复印纸": 2}
    assert body["facets"]["is_832"] == [{"value": "true", "label": "832 脱贫地区供应商",
                                         "count": 1}]


def test_filters_and_storefronts(client, db, shop):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    get = lambda qs: client.get(f"/api/v1/search?q={WORD}&{qs}", headers=buyer).json  # noqa: E731
    assert _ids(get("store=832")) == {shop["farm_paper"]}
    assert get("store=832")["slots"] == []  # storefronts have no priority slots
    assert _ids(get("store=green")) == {shop["green_pc"]}
    assert _ids(get("brand=晨光&brand=得力")) == {shop["gz_paper"], shop["farm_paper"]}
    assert _ids(get("category=A05040100")) == {shop["gz_paper"], shop["farm_paper"]}
    assert _ids(get("price_min=25&price_max=100")) == {shop["farm_paper"]}
    assert _ids(get("region=520100")) == {shop["gz_paper"], shop["farm_paper"],
                                           shop["green_pc"]}
    assert _ids(get("region=330106")) == {shop["farm_paper"], shop["green_pc"]}
    assert _ids(get("deliverable=true")) == {shop["farm_paper"], shop["green_pc"]}  # 330100
    assert _ids(get("size=micro")) == {shop["farm_paper"]}
    body = get("sort=price_asc&slots=false")
    assert [i["offer"]["id"] for i in body["items"]] == [
        shop["gz_paper"], shop["farm_paper"], shop["green_pc"]]


@pytest.mark.parametrize("qs, field", [
    ("price_min=100&price_max=10", "price_max"),
    ("sort=cheapest", "sort"),
    ("per_page=500", "per_page"),
    ("region=33", "region"),
    ("store=market", "store"),
    ("size=huge", "size"),
    ("q=" + "很长" * 60, "q"),
])
def test_bad_input_is_a_400_naming_the_field(client, db, shop, qs, field):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    res = client.get(f"/api/v1/search?{qs}", headers=buyer)
    assert res.status_code == 400
    assert res.json["code"] == "validation_error" and field in res.json["errors"]


def test_unknown_category_and_deliverable_without_a_unit(client, db, shop):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    res = client.get("/api/v1/search?category=A99999999", headers=buyer)
    assert res.status_code == 400 and res.json["code"] == "category_not_found"
    supplier = bearer(db, factories.user(db, Role.SUPPLIER))
    res = client.get("/api/v1/search?deliverable=true", headers=supplier)
    assert res.status_code == 400 and res.json["code"] == "no_region"


def test_suggestions(client, db, shop):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    res = client.get("/api/v1/search/suggestions?q=lianx", headers=buyer)
    assert "联想 台式计算机" in res.json["suggestions"]
    res = client.get("/api/v1/search/suggestions", headers=buyer)
    assert res.status_code == 400 and "q" in res.json["errors"]


def test_index_status_is_for_operators(client, db, shop, app_backend):
    operator = bearer(db, factories.user(db, Role.OPERATOR))
    body = client.get("/api/v1/search/status", headers=operator).json
    # The index may also hold offers other tests committed; the status reports its real count.
    assert body["backend"] == "embedded"
    assert body["documents"] == app_backend.count() >= len(shop)
    buyer = bearer(db, factories.user(db, Role.BUYER))
    res = client.get("/api/v1/search/status", headers=buyer)
    assert res.status_code == 403 and res.json["code"] == "role_forbidden"


def test_a_change_over_the_api_is_searchable_right_after_the_response(client, db, app_backend):
    supplier = factories.supplier(db)
    seller = bearer(db, factories.user(db, Role.SUPPLIER, supplier_id=supplier.id))
    operator = bearer(db, factories.user(db, Role.OPERATOR))
    buyer = bearer(db, factories.user(db, Role.BUYER))
    word = f"即时{uuid.uuid4().hex[:4]}"
    res = client.post("/api/v1/offers", headers=seller, json={
        "category_code": "A05040101", "brand": "齐心", "model": "NOW-1",
        "title": f"齐心 {word} 复印纸", "price": "26.00", "submit": True})
    client.post(f"/api/v1/offers/{res.json['id']}/transitions", headers=operator,
                json={"action": "approve"})
    body = client.get(f"/api/v1/search?q={word}", headers=buyer).json
    assert _ids(body) == {res.json["id"]}  # drained inline after the approval committed


@pytest.mark.parametrize("text", ['"', "' OR 1=1 --", "NEAR(a b)", "*", "：、！", "title:联想"])
def test_odd_text_never_breaks_the_query(client, db, shop, text):
    buyer = bearer(db, factories.user(db, Role.BUYER))
    res = client.get("/api/v1/search", query_string={"q": text}, headers=buyer)
    assert res.status_code == 200, res.json
    res = client.get("/api/v1/search/suggestions", query_string={"q": text}, headers=buyer)
    assert res.status_code == 200, res.json
