"""Call-off pages: the buyer's form, sealed bids on the pages, roles, units and suppliers,
rotation position and savings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from orders.models import CallOff
from suppliers import agreements
from tests import agreement_factories as af
from tests import factories
from tests.suppliers.test_agreements_views import as_user, post


def setup(db, clock):
    agreement, agency_user, users = af.active_closed(db, prices=("4500", "4600", "4700"))
    buyer, line = af.buyer(db)
    clock.advance(days=4)
    return agreement, agency_user, users, buyer, line


FORM = {"method": "bidding", "quantity": "10", "budget_amount": "50000.00",
        "deadline": "2026-12-03T17:00", "requirement": "三年保修"}


def test_buyer_starts_bidding_and_bids_stay_sealed_on_the_pages(client, db, clock):
    agreement, agency_user, users, buyer, line = setup(db, clock)
    as_user(client, buyer)
    new = f"/agreements/{agreement.id}/calloffs/new"
    res = post(client, new, FORM | {"item_id": str(agreement.items[0].id),
                                    "budget_line_id": str(line.id)}, page=new)
    assert res.status_code == 302, res.get_data(as_text=True)[:400]
    detail = res.headers["Location"]
    as_user(client, users[0])
    page = client.get(detail).get_data(as_text=True)
    assert 'data-testid="bid-form"' in page
    post(client, f"{detail}/bid", {"unit_price": "4321.00"})
    assert "¥4,321.00" in client.get(detail).get_data(as_text=True)  # its own bid
    for reader in (buyer, users[1], agency_user, factories.user(db, "regulator")):
        as_user(client, reader)
        page = client.get(detail).get_data(as_text=True)
        assert "4,321" not in page and "4321" not in page
    as_user(client, buyer)
    page = client.get(detail).get_data(as_text=True)
    assert "报价密封中" in page and "已收到 1 份报价" in page
    clock.advance(days=7)
    post(client, f"{detail}/award", {})
    page = client.get(detail).get_data(as_text=True)
    assert "已成交" in page and "¥43,210.00" in page and 'data-testid="order-link"' in page


def test_bad_calloff_form_is_400_and_writes_nothing(client, db, clock):
    agreement, _, _, buyer, line = setup(db, clock)
    as_user(client, buyer)
    new = f"/agreements/{agreement.id}/calloffs/new"
    before = db.scalar(select(func.count()).select_from(CallOff))
    for bad in ({"quantity": "zero"}, {"deadline": "2026-12-01T17:00"},
                {"method": "direct", "reason_code": "price"}, {"budget_amount": ""}):
        res = post(client, new, FORM | {"item_id": str(agreement.items[0].id),
                                        "budget_line_id": str(line.id)} | bad, page=new)
        assert res.status_code in (400, 422), bad
        assert 'class="alert alert-danger"' in res.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(CallOff)) == before


def test_calloff_pages_refuse_wrong_roles_and_other_units(client, db, clock):
    agreement, agency_user, users, buyer, line = setup(db, clock)
    calloff = af.start(db, agreement, buyer, line, "bidding", deadline=af.BID_DEADLINE)
    for user in (users[0], agency_user):
        as_user(client, user)
        assert client.get(f"/agreements/{agreement.id}/calloffs/new").status_code == 403
    other, _ = af.buyer(db)
    as_user(client, other)
    assert client.get(f"/calloffs/{calloff.id}").status_code == 403
    assert post(client, f"/calloffs/{calloff.id}/cancel", {}).status_code == 303
    db.refresh(calloff)
    assert calloff.status == "bidding"
    outsider = users[2]  # eliminated
    as_user(client, outsider)
    assert client.get(f"/calloffs/{calloff.id}").status_code == 403
    assert post(client, f"/calloffs/{calloff.id}/bid", {"unit_price": "4000"}).status_code == 303
    assert calloff.bids == []


def test_rotation_page_shows_the_suppliers_position_and_turn(client, db, clock):
    agreement, _, users, buyer, line = setup(db, clock)
    calloff = af.start(db, agreement, buyer, line, "rotation",
                       deadline=af.AFTER + timedelta(days=2))
    as_user(client, users[1])
    page = client.get(f"/agreements/{agreement.id}/rotation").get_data(as_text=True)
    assert "贵单位轮候顺序第 2 位" in page
    as_user(client, users[0])
    page = client.get(f"/calloffs/{calloff.id}").get_data(as_text=True)
    assert 'data-testid="turn-actions"' in page
    post(client, f"/calloffs/{calloff.id}/decline", {"reason_code": "capacity"})
    as_user(client, users[1])
    post(client, f"/calloffs/{calloff.id}/accept", {})
    db.refresh(calloff)
    assert calloff.awarded_supplier_id == users[1].supplier_id


def test_savings_page_for_buyers_and_regulators_only(client, db, clock):
    agreement, _, users, buyer, line = setup(db, clock)
    member = agreements.member_for(db, agreement.id, users[0].supplier_id)
    af.start(db, agreement, buyer, line, "direct", member_id=member.id, reason_code="price",
             unit_price=Decimal("4400.00"))
    as_user(client, buyer)
    page = client.get("/calloffs/savings").get_data(as_text=True)
    assert "¥6,000.00" in page and "¥1,000.00" in page
    as_user(client, users[0])
    assert client.get("/calloffs/savings").status_code == 403
    as_user(client, factories.user(db, "regulator"))
    page = client.get(f"/calloffs?agreement_id={agreement.id}").get_data(as_text=True)
    assert "共 1 次" in page and "价格优势" in page


def test_a_refused_acceptance_on_the_page_writes_nothing(client, db, clock):
    """The award's order cannot be placed (the unit's budget was spent meanwhile): the page
    says why and nothing of the half-done award is kept."""
    agreement, _, users, buyer, line = setup(db, clock)
    calloff = af.start(db, agreement, buyer, line, "rotation",
                       deadline=af.AFTER + timedelta(days=2))
    line.spent = line.amount - line.frozen
    db.flush()
    notices = len(agreements.notices(db, agreement.id))
    as_user(client, users[0])
    res = post(client, f"/calloffs/{calloff.id}/accept", {})
    assert res.status_code == 303
    assert "操作未执行" in client.get(res.headers["Location"]).get_data(as_text=True)
    db.expire_all()
    assert calloff.status == "offered"
    assert calloff.awarded_supplier_id is None and calloff.order_id is None
    assert len(agreements.notices(db, agreement.id)) == notices
