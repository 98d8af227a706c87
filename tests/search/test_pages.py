"""Search pages: the results page with facets, the two storefronts, suggestions, the search
box on every page, bad input and login."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mall.roles import Role
from tests import factories
from tests.conftest import login
from tests.search.conftest import index_now

CERT = {"kind": "environment", "number": "CEC2026ELP000003",
        "certifier": "中环联合（北京）认证中心有限公司",
        "valid_until": date.today() + timedelta(days=365)}
WORD = "页面检索"


@pytest.fixture
def shop(db, app, app_backend):
    farm = factories.supplier(db, region="522727", size="micro")
    made = {
        "rice": factories.offer(db, farm.id, status="active", title=f"平塘 {WORD} 有机大米 5kg",
                                category_code="A07030101", brand="天眼农业", model="PG-R1",
                                price="88.00"),
        "paper": factories.offer(db, status="active", title=f"得力 {WORD} 再生复印纸",
                                 model="PG-P1", certificates=[CERT]),
        "chair": factories.offer(db, status="active", title=f"震旦 {WORD} 办公椅",
                                 category_code="A05010301", brand="震旦", model="PG-C1",
                                 price="680.00"),
    }
    db.commit()
    index_now(app)
    return {k: o.id for k, o in made.items()}


def _buyer(client, db):
    user = factories.user(db, Role.BUYER)
    login(client, user.username, factories.PASSWORD)
    return user


def test_search_pages_need_a_login(client, shop):
    for path in ("/search?q=x", "/stores/832", "/stores/green", "/search/suggest?q=x"):
        res = client.get(path)
        assert res.status_code == 302 and "/login" in res.headers["Location"]


def test_results_page_shows_slots_results_and_facets(client, db, shop):
    _buyer(client, db)
    html = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert 'data-testid="slots"' in html and "832 优先" in html and "绿色优先" in html
    assert f"震旦 <mark>{WORD}</mark> 办公椅" in html
    assert 'data-testid="facet-brand" data-value="震旦"' in html
    assert "办公椅" in html and "(1)" in html


def test_a_facet_link_filters_the_results(client, db, shop):
    _buyer(client, db)
    html = client.get(f"/search?q={WORD}&brand=震旦&slots=false").get_data(as_text=True)
    assert f'data-offer="{shop["chair"]}"' in html
    assert f'data-offer="{shop["paper"]}"' not in html
    assert "✓ 震旦" in html


def test_storefronts_show_only_their_offers(client, db, shop):
    _buyer(client, db)
    html = client.get("/stores/832").get_data(as_text=True)
    assert f'data-offer="{shop["rice"]}"' in html
    assert f'data-offer="{shop["paper"]}"' not in html
    assert 'data-facet="province"' in html and "贵州" in html
    html = client.get("/stores/832?province=52").get_data(as_text=True)
    assert 'data-facet="county"' in html and "平塘县" in html
    html = client.get("/stores/green").get_data(as_text=True)
    assert f'data-offer="{shop["paper"]}"' in html
    assert f'data-offer="{shop["rice"]}"' not in html
    assert 'data-facet="cert"' in html and "环境标志" in html


def test_suggestions_for_the_search_box(client, db, shop):
    _buyer(client, db)
    res = client.get("/search/suggest?q=zhendan")
    assert res.status_code == 200 and "震旦 办公椅" in res.json["suggestions"]
    assert client.get("/search/suggest?q=").status_code == 400


def test_every_page_has_the_search_box(client, db, shop):
    _buyer(client, db)
    for path in ("/", "/search", "/stores/green"):
        assert 'data-testid="search-box"' in client.get(path).get_data(as_text=True)


def test_bad_filters_are_a_400_page(client, db, shop):
    _buyer(client, db)
    res = client.get("/search?q=x&price_min=9&price_max=1")
    assert res.status_code == 400 and "最低价不能高于最高价" in res.get_data(as_text=True)
    assert client.get("/search?sort=best").status_code == 400


def test_a_capped_result_says_so(client, db, shop, monkeypatch):
    from search import embedded

    monkeypatch.setattr(embedded, "MAX_HITS", 1)
    _buyer(client, db)
    html = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert 'data-testid="capped"' in html and "共 1+ 个报价" in html
