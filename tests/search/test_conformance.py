"""The conformance suite: every backend answers the same queries the same way.

Runs against the embedded FTS5 backend and against Elasticsearch (a real osmem-server).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from search.analysis import Synonyms
from search.query import SearchQuery
from tests.search.conftest import BACKENDS, doc, make_backend

TODAY = date(2026, 6, 1)
PC = ("A02010105", "台式计算机")
LAPTOP = ("A02010108", "便携式计算机")
PRINTER = ("A02021000", "打印机")
RICE = ("A07030101", "稻谷")


def q(**kw) -> SearchQuery:
    kw.setdefault("today", TODAY)
    return SearchQuery(**kw)


def offer_ids(result) -> list[int]:
    return [g.hit.doc["id"] for g in result.groups]


def product_ids(result) -> list[int]:
    return [g.product_id for g in result.groups]


@pytest.fixture
def shop(backend):
    docs = {
        "pc": doc("联想台式计算机 启天M437", brand="联想", category=PC, price="4999.00",
                  product_id=1, sales_count=50, created_at="2026-03-01T00:00:00+00:00"),
        "pc_cheap": doc("联想台式计算机 启天M437 教育优惠", brand="联想", category=PC,
                        price="4599.00", product_id=1, sales_count=5, supplier_size="micro"),
        "laptop": doc("华为笔记本电脑 MateBook 14", brand="华为", category=LAPTOP,
                      price="6999.00", product_id=2, energy_until="2030-01-01",
                      supplier_size="large", created_at="2026-05-01T00:00:00+00:00"),
        "paper": doc("得力A4复印纸 70g 500张/包", product_id=3, sales_count=500,
                     supplier_size="medium"),
        "rice": doc("平塘县天眼农业 有机大米 5kg", brand="天眼农业", category=RICE,
                    price="88.00", product_id=4, is_832=True, region_code="522727",
                    province_code="52", supplier_size="micro"),
        "printer": doc("惠普激光打印机 LaserJet M404dn", brand="惠普", category=PRINTER,
                       price="1899.00", product_id=5, environment_until="2020-01-01",
                       stock=0, delivery_regions=["33"]),
    }
    backend.index(list(docs.values()))
    return {k: d["id"] for k, d in docs.items()}


# --- text ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["计算机", "台式机", "联想", "联想台式计算机"])
def test_chinese_words_find_the_desktop(backend, shop, text):
    result = backend.search(q(text=text))
    [desktop] = [g for g in result.groups if g.product_id == 1]
    assert desktop.offer_count == 2


@pytest.mark.parametrize("text", ["lianxiang", "lx", "lianx", "LianXiang"])
def test_pinyin_and_initials_find_lenovo(backend, shop, text):
    assert product_ids(backend.search(q(text=text))) == [1]


def test_synonyms_from_the_default_file(backend, shop):
    # 电脑 = 计算机: the desktop says 计算机, the laptop says 电脑.
    assert set(product_ids(backend.search(q(text="电脑")))) == {1, 2}
    assert set(product_ids(backend.search(q(text="计算机")))) == {1, 2}
    assert product_ids(backend.search(q(text="打印纸"))) == [3]  # 打印纸 = 复印纸


@pytest.mark.parametrize("kind", BACKENDS)
def test_synonyms_are_configurable(kind, request, tmp_path):
    custom = make_backend(kind, request, tmp_path, Synonyms([["稻米", "大米"], ["办公用纸", "复印纸"]]))
    custom.index([doc("有机大米 5kg", category=RICE), doc("得力复印纸 A4")])
    assert [g.hit.doc["title"] for g in custom.search(q(text="稻米")).groups] == ["有机大米 5kg"]
    assert [g.hit.doc["title"] for g in custom.search(q(text="办公用纸")).groups] == ["得力复印纸 A4"]


def test_single_character_and_model_numbers(backend, shop):
    assert product_ids(backend.search(q(text="纸"))) == [3]
    assert product_ids(backend.search(q(text="M404dn"))) == [5]
    assert product_ids(backend.search(q(text="matebook"))) == [2]


def test_every_word_must_match(backend, shop):
    assert product_ids(backend.search(q(text="联想 笔记本"))) == []
    assert product_ids(backend.search(q(text="华为 笔记本"))) == [2]


def test_specs_and_supplier_names_are_searchable(backend):
    backend.index([doc("办公椅", specs={"材质": "真皮"}, category=("A05010301", "办公椅"),
                       supplier_name="贵阳家具制造有限公司")])
    assert len(backend.search(q(text="真皮")).groups) == 1
    assert len(backend.search(q(text="贵阳家具")).groups) == 1


def test_highlights_mark_the_matched_words(backend, shop):
    [group] = backend.search(q(text="台式机")).groups
    assert "<mark>台式" in group.hit.highlight
    [group] = backend.search(q(text="lx")).groups
    assert group.hit.highlight.startswith("<mark>联想</mark>")


def test_highlight_escapes_html(backend):
    backend.index([doc("<b>得力</b> 复印纸")])
    [group] = backend.search(q(text="得力")).groups
    assert group.hit.highlight == "&lt;b&gt;<mark>得力</mark>&lt;/b&gt; 复印纸"


def test_no_text_lists_everything(backend, shop):
    result = backend.search(q())
    assert result.total_offers == 6 and result.total_products == 5


# --- grouping, sorting, paging ------------------------------------------------------------

def test_results_are_grouped_by_product_with_count_and_lowest_price(backend, shop):
    [group] = backend.search(q(text="联想")).groups
    assert group.offer_count == 2
    assert group.min_price == Decimal("4599.00")


@pytest.mark.parametrize("sort, expected", [
    ("price_asc", [3, 4, 5, 1, 2]),
    ("price_desc", [2, 1, 5, 4, 3]),
    ("sales", [3, 1, 2, 4, 5]),
    ("newest", [2, 1, 3, 4, 5]),
])
def test_sorts(backend, shop, sort, expected):
    assert product_ids(backend.search(q(sort=sort))) == expected


def test_relevance_puts_title_matches_first(backend):
    backend.index([doc("文件柜", specs={"说明": "可放置打印机"}, category=("A05010501", "文件柜"),
                       product_id=1),
                   doc("打印机 黑白激光", category=PRINTER, product_id=2)])
    assert product_ids(backend.search(q(text="打印机"))) == [2, 1]


def test_pagination_counts_products(backend):
    backend.index([doc(f"得力复印纸 {i}", product_id=500 + i, price=f"{20 + i}.00")
                   for i in range(7)])
    first = backend.search(q(text="复印纸", sort="price_asc", per_page=3))
    third = backend.search(q(text="复印纸", sort="price_asc", per_page=3, page=3))
    assert first.total_products == 7 and len(first.groups) == 3
    assert product_ids(first) == [500, 501, 502]
    assert product_ids(third) == [506]


# --- filters and facets -------------------------------------------------------------------

def test_category_filter_takes_the_expanded_codes(backend, shop):
    assert set(product_ids(backend.search(q(category_codes=[PC[0], LAPTOP[0]])))) == {1, 2}
    assert backend.search(q(category_codes=[])).total_offers == 0


def test_brand_price_size_filters(backend, shop):
    assert product_ids(backend.search(q(brands=["华为", "惠普"], sort="price_asc"))) == [5, 2]
    assert product_ids(backend.search(q(price_min=Decimal("80"), price_max=Decimal("1899"),
                                        sort="price_asc"))) == [4, 5]
    micro = backend.search(q(sizes=["micro"], sort="price_asc"))
    assert product_ids(micro) == [4, 1] and micro.groups[1].offer_count == 1


def test_832_green_stock_and_region_filters(backend, shop):
    assert product_ids(backend.search(q(only_832=True))) == [4]
    assert product_ids(backend.search(q(green=True))) == [2]  # the printer's cert expired
    assert product_ids(backend.search(q(cert_kind="energy"))) == [2]
    assert product_ids(backend.search(q(cert_kind="environment"))) == []
    assert 5 not in product_ids(backend.search(q(in_stock=True)))
    assert 5 in product_ids(backend.search(q(region="330106")))  # printer delivers to 33…
    assert 5 not in product_ids(backend.search(q(region="520100")))
    assert product_ids(backend.search(q(province="52"))) == [4]
    assert product_ids(backend.search(q(county="522727"))) == [4]
    assert product_ids(backend.search(q(county="330106"))) == []  # not an 832 supplier


def test_green_is_judged_on_the_query_day(backend, shop):
    assert product_ids(backend.search(q(green=True, today=date(2019, 12, 1)))) == [2, 5]
    assert product_ids(backend.search(q(green=True, today=date(2030, 1, 2)))) == []


def test_facet_counts(backend, shop):
    f = backend.search(q(region="520100")).facets
    assert f.categories == {PC[0]: 2, LAPTOP[0]: 1, "A05040101": 1, RICE[0]: 1}
    assert f.brands == {"联想": 2, "华为": 1, "得力": 1, "天眼农业": 1}
    assert f.prices == {"0-100": 2, "1000-5000": 2, "5000-10000": 1}
    assert f.sizes == {"micro": 2, "small": 1, "large": 1, "medium": 1}
    assert (f.is_832, f.green, f.in_stock, f.deliverable) == (1, 1, 5, 5)
    assert f.cert_kinds == {"energy": 1, "environment": 0}
    assert f.provinces == {"52": 1} and f.counties == {"522727": 1}


def test_facets_follow_the_text_and_filters(backend, shop):
    f = backend.search(q(text="联想")).facets
    assert f.brands == {"联想": 2} and f.sizes == {"small": 1, "micro": 1}
    assert f.deliverable is None
    f = backend.search(q(in_stock=True, brands=["惠普"])).facets
    assert f.brands == {} and f.categories == {}


# --- policy: priority slots, mandatory green ----------------------------------------------

def test_priority_slots_put_green_and_832_offers_first_without_duplicates(backend):
    plain = [doc(f"得力复印纸 A4 {i}", product_id=10 + i, sales_count=100 - i) for i in range(4)]
    green = doc("得力复印纸 A4 再生环保", product_id=20, environment_until="2030-01-01")
    farm = doc("复印纸 贵州竹浆", product_id=21, is_832=True, region_code="522727",
               province_code="52")
    backend.index([*plain, green, farm])
    result = backend.search(q(text="复印纸", priority_slots=3))
    assert {h.doc["product_id"] for h in result.slots} == {20, 21}
    marks = {h.doc["product_id"]: h.priority for h in result.slots}
    assert marks == {20: ["green"], 21: ["832"]}
    assert not {20, 21} & set(product_ids(result))  # organic results do not repeat them
    assert result.total_products == 4 and result.total_offers == 6


def test_priority_slot_count_is_configurable_and_zero_turns_them_off(backend):
    backend.index([doc(f"复印纸 环保 {i}", product_id=30 + i, energy_until="2030-01-01")
                   for i in range(5)])
    assert len(backend.search(q(text="复印纸", priority_slots=2)).slots) == 2
    assert len(backend.search(q(text="复印纸", priority_slots=3)).slots) == 3
    none = backend.search(q(text="复印纸"))
    assert none.slots == [] and none.total_products == 5


def test_priority_slots_take_the_best_match(backend):
    backend.index([doc("复印纸 环保", product_id=40, environment_until="2030-01-01"),
                   doc("打印机 环保 可用复印纸", category=PRINTER, product_id=41,
                       environment_until="2030-01-01")])
    result = backend.search(q(text="复印纸", priority_slots=1))
    assert [h.doc["product_id"] for h in result.slots] == [40]
    assert product_ids(result) == [41]


def test_mandatory_green_categories_hide_uncertified_offers_from_buyers(backend):
    lenovo = {"brand": "联想", "category": PC, "mandatory_green": True}
    backend.index([doc("联想台式计算机 无认证", product_id=50, **lenovo),
                   doc("联想台式计算机 节能", product_id=51, energy_until="2030-01-01", **lenovo),
                   doc("联想台式计算机 证书过期", product_id=52, energy_until="2026-01-01",
                       **lenovo),
                   doc("联想服务器", brand="联想", category=("A02010104", "服务器"),
                       product_id=53)])
    buyer = backend.search(q(text="联想", hide_uncertified_mandatory=True))
    assert set(product_ids(buyer)) == {51, 53}
    assert buyer.facets.brands == {"联想": 2}
    assert set(product_ids(backend.search(q(text="联想")))) == {50, 51, 52, 53}


# --- writes, rebuild, drift ---------------------------------------------------------------

def test_index_replaces_and_delete_removes(backend):
    d = doc("得力复印纸", price="25.00")
    backend.index([d])
    backend.index([{**d, "title": "晨光复印纸", "brand": "晨光", "product_name": "晨光复印纸",
                    "price": "23.00"}])
    [group] = backend.search(q(text="复印纸")).groups
    assert group.hit.doc["title"] == "晨光复印纸" and group.min_price == Decimal("23.00")
    assert backend.search(q(text="得力")).groups == []
    backend.delete([d["id"], 999999])
    assert backend.search(q(text="复印纸")).groups == [] and backend.count() == 0


def test_reindex_switches_atomically_and_readers_see_the_old_index_meanwhile(backend):
    old = doc("旧的复印纸")
    backend.index([old])
    seen_during_build = []

    def chunks():
        yield [doc("新的复印纸 一")]
        seen_during_build.append([g.hit.doc["title"] for g in
                                  backend.search(q(text="复印纸")).groups])
        yield [doc("新的复印纸 二")]

    assert backend.reindex(chunks()) == 2
    assert seen_during_build == [["旧的复印纸"]]
    titles = sorted(g.hit.doc["title"] for g in backend.search(q(text="复印纸")).groups)
    assert titles == ["新的复印纸 一", "新的复印纸 二"]
    assert backend.count() == 2


def test_digests_list_what_is_indexed(backend):
    a, b = doc("复印纸 甲"), doc("复印纸 乙")
    backend.index([a, b])
    assert backend.digests() == {a["id"]: a["digest"], b["id"]: b["digest"]}


def test_suggestions_complete_brands_and_categories(backend, shop):
    assert "联想 台式计算机" in backend.suggest("联")
    assert "联想 台式计算机" in backend.suggest("lianx")
    assert backend.suggest("   ") == []


def test_elasticsearch_reindex_moves_the_alias_and_drops_the_old_index(request, tmp_path,
                                                                        synonyms):
    es = make_backend("elasticsearch", request, tmp_path, synonyms)
    es.index([doc("复印纸 旧索引")])
    [old] = es._indices()
    es.reindex([[doc("复印纸 新索引")]])
    [new] = es._indices()
    assert new != old and new.startswith(es.alias + "-")
    assert not es.client.indices.exists(index=old)
    mapping = es.client.indices.get_mapping(index=new).body[new]["mappings"]["properties"]
    assert mapping["cjk"]["analyzer"] == "cjk" and mapping["brand"]["type"] == "keyword"
