"""Delivery regions read as names, not codes (mall/regions.py)."""

from mall.regions import PROVINCES, region_label, regions_label


def test_every_province_level_division_has_a_name():
    assert len(PROVINCES) == 34
    assert PROVINCES["33"] == "浙江省" and PROVINCES["52"] == "贵州省"


def test_region_lists_read_as_names():
    assert regions_label(["*"]) == "全国"
    assert regions_label(["31", "32", "33"]) == "上海市、江苏省、浙江省"
    assert region_label("3301") == "浙江省 3301"
    assert regions_label([]) == "—"


def test_the_offer_page_names_the_delivery_provinces(client, db):
    from mall.roles import Role
    from tests import factories
    from tests.conftest import login

    offer = factories.offer(db, status="active", delivery_regions="31,33")
    buyer = factories.user(db, Role.BUYER)
    login(client, buyer.username, factories.PASSWORD)
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "上海市、浙江省" in page
