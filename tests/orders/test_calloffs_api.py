"""API /api/v1/calloffs: validation, sealed bids, roles, units and suppliers, awards to orders."""

from __future__ import annotations

from sqlalchemy import func, select

from orders.models import BudgetLine, CallOff, CallOffBid, Order
from suppliers import agreements
from tests import agreement_factories as af
from tests import factories
from tests.conftest import bearer


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def setup(db, clock, **kw):
    agreement, agency_user, users = af.active_closed(
        db, prices=("4500", "4600", "4700", "4800"), **kw)
    buyer, line = af.buyer(db)
    clock.advance(days=4)  # Friday 27 Nov, the agreement is in force
    return agreement, agency_user, users, buyer, line


def calloff_body(agreement, line, method="bidding", **kw):
    return {"agreement_id": agreement.id, "item_id": agreement.items[0].id, "method": method,
            "quantity": 10, "budget_line_id": line.id, "budget_amount": "50000.00",
            "requirement": "含三年上门保修", "deadline": "2026-12-03T17:00"} | kw


def test_bidding_end_to_end_with_sealed_bids(client, db, clock):
    agreement, agency_user, users, buyer, line = setup(db, clock)
    res = client.post("/api/v1/calloffs", headers=bearer(db, buyer),
                      json=calloff_body(agreement, line))
    assert res.status_code == 201, res.json
    calloff_id = res.json["id"]
    assert res.json["status"] == "bidding"
    bids = f"/api/v1/calloffs/{calloff_id}/bids"
    assert client.post(bids, headers=bearer(db, users[0]),
                       json={"unit_price": "4399.00"}).status_code == 201
    assert client.post(bids, headers=bearer(db, users[1]),
                       json={"unit_price": "4388.00"}).status_code == 201
    # Sealed: nobody but the bidder itself reads a price before the deadline.
    for reader in (buyer, agency_user, factories.user(db, "regulator")):
        res = client.get(bids, headers=bearer(db, reader))
        assert res.status_code == 403 and res.json["code"] == "bids_sealed"
        assert "4388" not in res.get_data(as_text=True)
    own = client.get(bids, headers=bearer(db, users[0])).json
    assert [b["unit_price"] for b in own] == ["4399.00"]
    assert client.get(bids, headers=bearer(db, users[2])).json == []
    detail = client.get(f"/api/v1/calloffs/{calloff_id}", headers=bearer(db, buyer))
    assert "4388" not in detail.get_data(as_text=True)
    res = client.post(f"/api/v1/calloffs/{calloff_id}/award", headers=bearer(db, buyer))
    assert res.status_code == 409 and res.json["code"] == "bids_sealed"
    clock.advance(days=7)  # Friday 4 Dec, past the 3 Dec 17:00 deadline
    res = client.post(bids, headers=bearer(db, users[2]), json={"unit_price": "4000.00"})
    assert res.status_code == 422 and res.json["code"] == "bid_late"
    res = client.post(f"/api/v1/calloffs/{calloff_id}/award", headers=bearer(db, buyer))
    assert res.status_code == 200, res.json
    assert res.json["status"] == "awarded"
    assert res.json["awarded_supplier_id"] == users[1].supplier_id
    assert res.json["awarded_total"] == "43880.00"
    order = db.get(Order, res.json["order_id"])
    assert (order.calloff_id, str(order.total), order.source) == (calloff_id, "43880.00",
                                                                 "calloff")
    res = client.get(bids, headers=bearer(db, buyer))
    assert [b["unit_price"] for b in res.json] == ["4388.00", "4399.00"]


def test_bad_calloff_input_is_400_and_writes_nothing(client, db, clock):
    agreement, _, _, buyer, line = setup(db, clock)
    headers = bearer(db, buyer)
    before = count(db, CallOff)
    for bad in (calloff_body(agreement, line, method="lottery"),
                calloff_body(agreement, line, quantity=0),
                calloff_body(agreement, line, budget_amount="-5"),
                calloff_body(agreement, line, deadline="soon"),
                calloff_body(agreement, line, item_id=999999),
                calloff_body(agreement, line, method="direct", member_id=None,
                             reason_code="price"),
                calloff_body(agreement, line, unknown=1), {}):
        res = client.post("/api/v1/calloffs", headers=headers, json=bad)
        assert res.status_code == 400, (bad, res.json)
    assert count(db, CallOff) == before
    frozen = db.get(BudgetLine, line.id).frozen
    assert str(frozen) == "0.00"


def test_calloff_refusals_have_codes(client, db, clock):
    agreement, _, _, buyer, line = setup(db, clock)
    headers = bearer(db, buyer)
    res = client.post("/api/v1/calloffs", headers=headers,
                      json=calloff_body(agreement, line, deadline="2026-12-01T17:00"))
    assert res.status_code == 422 and res.json["code"] == "bid_window_too_short"
    clock.advance(days=400)
    res = client.post("/api/v1/calloffs", headers=headers, json=calloff_body(
        agreement, line, deadline="2028-01-10T17:00"))
    assert res.status_code == 422 and res.json["code"] == "agreement_not_in_force"


def test_only_buyers_start_calloffs(client, db, clock):
    agreement, agency_user, users, _, line = setup(db, clock)
    for user in (agency_user, users[0], factories.user(db, "operator")):
        res = client.post("/api/v1/calloffs", headers=bearer(db, user),
                          json=calloff_body(agreement, line))
        assert res.status_code == 403 and res.json["code"] == "role_forbidden"


def test_other_units_and_uninvited_suppliers_cannot_see_or_act(client, db, clock):
    agreement, _, users, buyer, line = setup(db, clock)
    res = client.post("/api/v1/calloffs", headers=bearer(db, buyer),
                      json=calloff_body(agreement, line))
    calloff_id = res.json["id"]
    other_buyer, _ = af.buyer(db)
    res = client.get(f"/api/v1/calloffs/{calloff_id}", headers=bearer(db, other_buyer))
    assert res.status_code == 403 and res.json["code"] == "calloff_forbidden"
    res = client.post(f"/api/v1/calloffs/{calloff_id}/award", headers=bearer(db, other_buyer))
    assert res.status_code == 403
    res = client.post(f"/api/v1/calloffs/{calloff_id}/cancel", headers=bearer(db, other_buyer))
    assert res.status_code == 403
    outsider = users[3]  # eliminated, not a member
    res = client.get(f"/api/v1/calloffs/{calloff_id}", headers=bearer(db, outsider))
    assert res.status_code == 403
    res = client.post(f"/api/v1/calloffs/{calloff_id}/bids", headers=bearer(db, outsider),
                      json={"unit_price": "4000.00"})
    assert res.status_code == 403 and res.json["code"] == "not_invited"
    listed = client.get("/api/v1/calloffs", headers=bearer(db, other_buyer)).json
    assert listed["total"] == 0
    listed = client.get("/api/v1/calloffs", headers=bearer(db, users[0])).json
    assert [c["id"] for c in listed["items"]] == [calloff_id]


def test_bid_refusals_and_bad_bid_input(client, db, clock):
    agreement, agency_user, users, buyer, line = setup(db, clock)
    calloff_id = client.post("/api/v1/calloffs", headers=bearer(db, buyer),
                             json=calloff_body(agreement, line)).json["id"]
    url = f"/api/v1/calloffs/{calloff_id}/bids"
    res = client.post(url, headers=bearer(db, users[0]), json={"unit_price": "4500.01"})
    assert res.status_code == 422 and res.json["code"] == "bid_above_agreed"
    for bad in ({}, {"unit_price": "abc"}, {"unit_price": "0"}):
        res = client.post(url, headers=bearer(db, users[0]), json=bad)
        assert res.status_code == 400, bad
    res = client.post(url, headers=bearer(db, buyer), json={"unit_price": "4000.00"})
    assert res.status_code == 403
    member = agreements.member_for(db, agreement.id, users[1].supplier_id)
    agreements.member_transition(db, agency_user, member.id, "suspend", now=af.AFTER,
                                 reason_code="quality_failure")
    res = client.post(url, headers=bearer(db, users[1]), json={"unit_price": "4000.00"})
    assert res.status_code == 422 and res.json["code"] == "member_not_active"
    assert count(db, CallOffBid) == 0


def test_direct_selection_through_the_api(client, db, clock):
    agreement, _, users, buyer, line = setup(db, clock)
    member = agreements.member_for(db, agreement.id, users[2].supplier_id)
    res = client.post("/api/v1/calloffs", headers=bearer(db, buyer), json=calloff_body(
        agreement, line, method="direct", member_id=member.id, reason_code="quality",
        reason_note="质保期更长", deadline=None))
    assert res.status_code == 201, res.json
    assert (res.json["status"], res.json["awarded_total"]) == ("awarded", "47000.00")
    assert res.json["order_id"]
    summary = client.get(f"/api/v1/calloffs/direct-summary?agreement_id={agreement.id}",
                         headers=bearer(db, factories.user(db, "regulator"))).json
    assert (summary["count"], summary["total"], summary["by_reason"]) == (
        1, "47000.00", {"quality": 1})


def test_rotation_through_the_api(client, db, clock):
    agreement, _, users, buyer, line = setup(db, clock)
    body = calloff_body(agreement, line, method="rotation", deadline="2026-11-30T17:00")
    first = client.post("/api/v1/calloffs", headers=bearer(db, buyer), json=body).json
    assert first["status"] == "offered"
    rotation = client.get(f"/api/v1/calloffs/rotation?agreement_id={agreement.id}",
                          headers=bearer(db, users[2])).json
    assert [m["supplier_id"] for m in rotation["order"]] == [u.supplier_id for u in users[:3]]
    assert rotation["turns"][0]["outcome"] == "offered"
    url = f"/api/v1/calloffs/{first['id']}"
    res = client.post(f"{url}/accept", headers=bearer(db, users[1]))
    assert res.status_code == 403 and res.json["code"] == "not_your_turn"
    res = client.post(f"{url}/decline", headers=bearer(db, users[0]), json={"reason_code": "?"})
    assert res.status_code == 400
    res = client.post(f"{url}/decline", headers=bearer(db, users[0]),
                      json={"reason_code": "capacity"})
    assert res.status_code == 200 and res.json["status"] == "offered"
    res = client.post(f"{url}/accept", headers=bearer(db, users[1]))
    assert res.status_code == 200 and res.json["awarded_supplier_id"] == users[1].supplier_id
    turns = client.get(f"/api/v1/calloffs/rotation?agreement_id={agreement.id}",
                       headers=bearer(db, buyer)).json["turns"]
    assert [t["outcome"] for t in turns] == ["declined", "awarded"]


def test_savings_are_scoped_by_role(client, db, clock):
    agreement, agency_user, users, buyer, line = setup(db, clock)
    member = agreements.member_for(db, agreement.id, users[0].supplier_id)
    client.post("/api/v1/calloffs", headers=bearer(db, buyer), json=calloff_body(
        agreement, line, method="direct", member_id=member.id, reason_code="price",
        unit_price="4400.00", deadline=None))
    rows = client.get("/api/v1/calloffs/savings", headers=bearer(db, buyer)).json
    assert [(r["budget_amount"], r["agreed_total"], r["awarded_total"], r["saving_vs_budget"],
             r["saving_vs_agreed"]) for r in rows] == [
        ("50000.00", "45000.00", "44000.00", "6000.00", "1000.00")]
    other, _ = af.buyer(db)
    assert client.get("/api/v1/calloffs/savings", headers=bearer(db, other)).json == []
    res = client.get("/api/v1/calloffs/savings", headers=bearer(db, users[0]))
    assert res.status_code == 403
    res = client.get(f"/api/v1/calloffs/savings?agreement_id={agreement.id}",
                     headers=bearer(db, af.agency(db)))
    assert res.status_code == 403
    res = client.get(f"/api/v1/calloffs/savings?agreement_id={agreement.id}",
                     headers=bearer(db, agency_user))
    assert len(res.json) == 1


def test_cancel_a_bidding_calloff(client, db, clock):
    agreement, _, _, buyer, line = setup(db, clock)
    calloff_id = client.post("/api/v1/calloffs", headers=bearer(db, buyer),
                             json=calloff_body(agreement, line)).json["id"]
    res = client.post(f"/api/v1/calloffs/{calloff_id}/cancel", headers=bearer(db, buyer))
    assert res.status_code == 200 and res.json["status"] == "cancelled"
    res = client.post(f"/api/v1/calloffs/{calloff_id}/cancel", headers=bearer(db, buyer))
    assert res.status_code == 409 and res.json["code"] == "calloff_transition_refused"


def test_lapse_through_the_api_needs_the_buyer_and_a_passed_deadline(client, db, clock):
    agreement, _, users, buyer, line = setup(db, clock)
    body = calloff_body(agreement, line, method="rotation", deadline="2026-11-30T17:00")
    calloff_id = client.post("/api/v1/calloffs", headers=bearer(db, buyer), json=body).json["id"]
    url = f"/api/v1/calloffs/{calloff_id}/lapse"
    res = client.post(url, headers=bearer(db, buyer))
    assert res.status_code == 422 and res.json["code"] == "turn_not_expired"
    clock.advance(days=4)
    res = client.post(url, headers=bearer(db, users[0]))
    assert res.status_code == 403 and res.json["code"] == "role_forbidden"
    res = client.post(url, headers=bearer(db, af.buyer(db)[0]))
    assert res.status_code == 403 and res.json["code"] == "calloff_forbidden"
    res = client.post(url, headers=bearer(db, buyer))
    assert res.status_code == 200 and res.json["status"] == "offered"
    member = agreements.member_for(db, agreement.id, users[1].supplier_id)
    assert res.json["offered_member_id"] == member.id


def test_calloff_list_filters_and_refuses_a_bad_query(client, db, clock):
    agreement, _, _, buyer, line = setup(db, clock)
    calloff = af.start(db, agreement, buyer, line, "bidding", deadline=af.BID_DEADLINE)
    headers = bearer(db, buyer)
    res = client.get(f"/api/v1/calloffs?status=bidding&agreement_id={agreement.id}",
                     headers=headers)
    assert res.status_code == 200 and [c["id"] for c in res.json["items"]] == [calloff.id]
    res = client.get("/api/v1/calloffs?status=awarded", headers=headers)
    assert res.status_code == 200 and res.json["items"] == []
    for bad in ("?status=bogus", "?agreement_id=abc", "?per_page=101"):
        res = client.get(f"/api/v1/calloffs{bad}", headers=headers)
        assert res.status_code == 400 and res.json["code"] == "validation_error", bad
    assert client.get("/api/v1/calloffs").status_code == 401
