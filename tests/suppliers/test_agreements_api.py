"""API /api/v1/agreements: validation, sealing, roles and ownership, the first stage end to end."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from suppliers.models import (
    AgreementMember,
    AgreementNotice,
    AgreementResponse,
    FrameworkAgreement,
)
from tests import agreement_factories as af
from tests import factories
from tests.conftest import bearer


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def body(**kw) -> dict:
    return {"title": "2027 年台式计算机框架协议", "kind": "closed",
            "evaluation_method": "price", "elimination_ratio": "0.20", "sme_deduction": "0.15",
            "calloff_methods": ["direct", "bidding", "rotation"], "bid_working_days": 3,
            "response_deadline": "2026-11-26T10:00", "valid_from": "2026-11-26",
            "valid_until": "2027-11-25",
            "items": [{"name": "台式计算机", "category_code": "A02010105", "spec": "i5/16G",
                       "unit": "台", "est_quantity": 100, "max_unit_price": "5000.00"}]} | kw


def test_agency_creates_and_publishes_a_solicitation(client, db, clock):
    headers = bearer(db, af.agency(db))
    res = client.post("/api/v1/agreements", headers=headers, json=body())
    assert res.status_code == 201, res.json
    assert res.json["status"] == "draft"
    assert res.json["response_deadline"].startswith("2026-11-26T02:00")  # Beijing 10:00
    res = client.post(f"/api/v1/agreements/{res.json['id']}/publish", headers=headers)
    assert res.status_code == 200, res.json
    assert res.json["status"] == "soliciting"
    notices = client.get(f"/api/v1/agreements/{res.json['id']}/notices", headers=headers).json
    assert notices[0]["kind"] == "solicitation"


def test_bad_agreement_input_is_400_and_writes_nothing(client, db, clock):
    headers = bearer(db, af.agency(db))
    before = count(db, FrameworkAgreement)
    for bad in (body(kind="sideways"), body(items=[]), body(sme_deduction="0.30"),
                body(calloff_methods=["auction"]), body(response_deadline="tomorrow"),
                body(items=[{"name": "x", "category_code": "A02010105", "est_quantity": 0,
                             "max_unit_price": "-1"}]),
                body(items=[{"name": "x", "category_code": "A99999999", "est_quantity": 1,
                             "max_unit_price": "10"}]),
                body(response_deadline="2026-11-20T10:00"), {"title": "x"}):
        res = client.post("/api/v1/agreements", headers=headers, json=bad)
        assert res.status_code == 400, (bad, res.json)
        assert res.json["code"] == "validation_error" and res.json["errors"], bad
    assert count(db, FrameworkAgreement) == before


def test_elimination_ratio_below_20_percent_is_refused(client, db, clock):
    headers = bearer(db, af.agency(db))
    res = client.post("/api/v1/agreements", headers=headers,
                      json=body(elimination_ratio="0.10"))
    assert res.status_code == 422
    assert res.json["code"] == "elimination_ratio_too_low"


def test_only_agencies_create_and_only_the_owner_sees_drafts(client, db, clock):
    for role in ("buyer", "supplier", "operator", "regulator"):
        res = client.post("/api/v1/agreements", headers=bearer(db, factories.user(db, role)),
                          json=body())
        assert res.status_code == 403 and res.json["code"] == "role_forbidden", role
    assert client.post("/api/v1/agreements", json=body()).status_code == 401
    draft = af.draft(db)
    for reader in (af.agency(db), factories.user(db, "buyer"), factories.user(db, "supplier")):
        res = client.get(f"/api/v1/agreements/{draft.id}", headers=bearer(db, reader))
        assert res.status_code == 404
        listed = client.get("/api/v1/agreements", headers=bearer(db, reader)).json["items"]
        assert draft.id not in [a["id"] for a in listed]


def test_another_agency_cannot_publish_or_evaluate(client, db, clock):
    draft = af.draft(db)
    headers = bearer(db, af.agency(db))
    res = client.post(f"/api/v1/agreements/{draft.id}/publish", headers=headers)
    assert res.status_code in (403, 404)
    assert draft.status == "draft"


def _respond(client, db, agreement, user, price, sme=True):
    return client.post(f"/api/v1/agreements/{agreement.id}/responses",
                       headers=bearer(db, user),
                       json={"prices": [{"item_id": agreement.items[0].id,
                                         "unit_price": price}],
                             "sme_declared": sme, "documents": "营业执照、资格声明"})


def test_responses_are_sealed_through_the_api_until_the_deadline(client, db, clock):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user)
    a, b = af.supplier_user(db), af.supplier_user(db)
    assert _respond(client, db, agreement, a, "4321.00").status_code == 201
    assert _respond(client, db, agreement, b, "4567.00").status_code == 201
    url = f"/api/v1/agreements/{agreement.id}/responses"
    for reader in (agency_user, factories.user(db, "buyer"), factories.user(db, "regulator"),
                   factories.user(db, "operator")):
        res = client.get(url, headers=bearer(db, reader))
        assert res.status_code == 403 and res.json["code"] == "responses_sealed"
        assert "4321" not in res.get_data(as_text=True)
    own = client.get(url, headers=bearer(db, a)).json
    assert [r["prices"][0]["unit_price"] for r in own] == ["4321.00"]
    assert client.get(url, headers=bearer(db, af.supplier_user(db))).json == []
    detail = client.get(f"/api/v1/agreements/{agreement.id}", headers=bearer(db, agency_user))
    assert detail.json["response_count"] == 2
    assert "4321" not in detail.get_data(as_text=True)
    # Opening before the deadline is refused too.
    res = client.post(f"/api/v1/agreements/{agreement.id}/open",
                      headers=bearer(db, agency_user))
    assert res.status_code == 409 and res.json["code"] == "responses_sealed"
    clock.advance(days=3)  # the deadline
    res = client.get(url, headers=bearer(db, agency_user))
    assert res.status_code == 200
    assert sorted(r["prices"][0]["unit_price"] for r in res.json) == ["4321.00", "4567.00"]
    res = client.get(url, headers=bearer(db, factories.user(db, "buyer")))
    assert res.status_code == 403
    res = client.get(url, headers=bearer(db, af.agency(db)))  # another agency
    assert res.status_code == 403
    res = client.get(url, headers=bearer(db, factories.user(db, "regulator")))
    assert res.status_code == 200 and len(res.json) == 2  # oversight, after the deadline


def test_response_above_the_maximum_or_late_is_refused(client, db, clock):
    agreement = af.published(db)
    user = af.supplier_user(db)
    res = _respond(client, db, agreement, user, "5000.01")
    assert res.status_code == 422 and res.json["code"] == "price_above_max"
    clock.advance(days=3)
    res = _respond(client, db, agreement, user, "4000.00")
    assert res.status_code == 422 and res.json["code"] == "response_late"
    assert count(db, AgreementResponse) == 0


def test_bad_response_input_is_400_and_writes_nothing(client, db, clock):
    agreement = af.published(db)
    headers = bearer(db, af.supplier_user(db))
    url = f"/api/v1/agreements/{agreement.id}/responses"
    for bad in ({"prices": []}, {"prices": [{"item_id": agreement.items[0].id,
                                             "unit_price": "abc"}]},
                {"prices": [{"item_id": 999999, "unit_price": "10"}]},
                {"prices": [{"item_id": agreement.items[0].id, "unit_price": "10"}],
                 "extra": 1}):
        res = client.post(url, headers=headers, json=bad)
        assert res.status_code == 400, (bad, res.json)
    assert count(db, AgreementResponse) == 0
    res = client.post(url, headers=bearer(db, factories.user(db, "buyer")),
                      json={"prices": [{"item_id": agreement.items[0].id, "unit_price": "10"}]})
    assert res.status_code == 403


def test_evaluation_shortlist_and_result_through_the_api(client, db, clock):
    agency_user = af.agency(db)
    headers = bearer(db, agency_user)
    agreement = af.published(db, agency_user, sme_deduction=Decimal("0.15"))
    users = [af.supplier_user(db, size) for size in ("medium", "small", "large")]
    for user, price in zip(users, ("4500.00", "4900.00", "4400.00"), strict=True):
        sme = user is not users[2]
        assert _respond(client, db, agreement, user, price, sme).status_code == 201
    clock.advance(days=3, minutes=1)
    base = f"/api/v1/agreements/{agreement.id}"
    assert client.post(f"{base}/open", headers=headers).status_code == 200
    res = client.post(f"{base}/evaluate", headers=headers, json={"shortlist_size": 3})
    assert res.status_code == 422 and res.json["code"] == "shortlist_too_large"
    res = client.post(f"{base}/evaluate", headers=bearer(db, af.agency(db)), json={})
    assert res.status_code == 403 and res.json["code"] == "agreement_forbidden"
    res = client.post(f"{base}/evaluate", headers=headers, json={"shortlist_size": "x"})
    assert res.status_code == 400
    res = client.post(f"{base}/evaluate", headers=headers, json={})
    assert res.status_code == 200, res.json
    # small: 490,000 × 0.85 = 416,500 < large 440,000 < medium 450,000
    assert [(r["supplier_id"], r["evaluated_price"], r["shortlisted"]) for r in res.json] == [
        (users[1].supplier_id, "416500.00", True), (users[2].supplier_id, "440000.00", True),
        (users[0].supplier_id, "450000.00", False)]
    res = client.post(f"{base}/result", headers=headers)
    assert res.status_code == 200 and res.json["status"] == "active"
    members = client.get(f"{base}/members", headers=bearer(db, factories.user(db, "buyer"))).json
    assert [(m["supplier_id"], m["rotation_position"], m["prices"][0]["agreed_price"])
            for m in members] == [(users[1].supplier_id, 1, "4900.00"),
                                  (users[2].supplier_id, 2, "4400.00")]


def test_member_status_changes_need_the_owner_and_a_valid_action(client, db, clock):
    agreement, agency_user, users = af.active_closed(db)
    member = db.scalar(select(AgreementMember).where(
        AgreementMember.agreement_id == agreement.id).limit(1))
    url = f"/api/v1/agreements/{agreement.id}/members/{member.id}/status"
    headers = bearer(db, agency_user)
    res = client.post(url, headers=headers, json={"action": "vaporise"})
    assert res.status_code == 400
    res = client.post(url, headers=headers, json={"action": "suspend"})
    assert res.status_code == 400 and res.json["code"] == "reason_required"
    res = client.post(url, headers=bearer(db, users[0]),
                      json={"action": "suspend", "reason_code": "other"})
    assert res.status_code == 403
    res = client.post(url, headers=bearer(db, af.agency(db)),
                      json={"action": "suspend", "reason_code": "other"})
    assert res.status_code == 403 and res.json["code"] == "agreement_forbidden"
    assert member.status == "active"
    res = client.post(url, headers=headers,
                      json={"action": "suspend", "reason_code": "quality_failure",
                            "note": "抽检不合格"})
    assert res.status_code == 200 and res.json["status"] == "suspended"


def test_leaving_a_closed_agreement_needs_a_cause_and_membership(client, db, clock):
    agreement, _, users = af.active_closed(db)
    url = f"/api/v1/agreements/{agreement.id}/leave"
    res = client.post(url, headers=bearer(db, users[0]), json={})
    assert res.status_code == 422 and res.json["code"] == "leave_needs_cause"
    res = client.post(url, headers=bearer(db, users[2]), json={"reason_code": "force_majeure"})
    assert res.status_code == 403 and res.json["code"] == "not_member"  # eliminated
    res = client.post(url, headers=bearer(db, users[0]), json={"reason_code": "nope"})
    assert res.status_code == 400
    res = client.post(url, headers=bearer(db, users[0]),
                      json={"reason_code": "force_majeure", "note": "洪灾"})
    assert res.status_code == 200 and res.json["status"] == "exited"


def test_open_agreement_join_through_the_api(client, db, clock):
    agreement, _, _ = af.active_open(db, members=1)
    clock.advance(days=4)
    user = af.supplier_user(db)
    res = client.post(f"/api/v1/agreements/{agreement.id}/join", headers=bearer(db, user))
    assert res.status_code == 201, res.json
    assert res.json["prices"][0]["agreed_price"] == "5000.00"
    res = client.post(f"/api/v1/agreements/{agreement.id}/join", headers=bearer(db, user))
    assert res.status_code == 409 and res.json["code"] == "already_member"
    res = client.post(f"/api/v1/agreements/{agreement.id}/join",
                      headers=bearer(db, factories.user(db, "buyer")))
    assert res.status_code == 403


def test_supplementary_solicitation_through_the_api(client, db, clock):
    agreement, agency_user, _ = af.active_closed(db)
    clock.advance(days=4)
    url = f"/api/v1/agreements/{agreement.id}/supplement"
    res = client.post(url, headers=bearer(db, agency_user), json={"response_deadline": "x"})
    assert res.status_code == 400
    res = client.post(url, headers=bearer(db, agency_user),
                      json={"response_deadline": (af.AFTER + timedelta(days=10)).isoformat()})
    assert res.status_code == 200 and res.json["status"] == "supplementing"
    assert res.json["round"] == 2


def test_quality_scores_through_the_api(client, db, clock):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user, evaluation_method="quality")
    users = [af.supplier_user(db) for _ in range(3)]
    for user, price in zip(users, ("4500.00", "4600.00", "4700.00"), strict=True):
        assert _respond(client, db, agreement, user, price).status_code == 201
    url = f"/api/v1/agreements/{agreement.id}/scores"
    ids = [r.id for r in db.scalars(select(AgreementResponse).where(
        AgreementResponse.agreement_id == agreement.id).order_by(AgreementResponse.id))]
    res = client.put(url, headers=bearer(db, agency_user),
                     json={"scores": [{"response_id": ids[0], "score": "90"}]})
    assert res.status_code == 409 and res.json["code"] == "not_evaluating"  # still sealed
    clock.advance(days=3)
    client.post(f"/api/v1/agreements/{agreement.id}/open", headers=bearer(db, agency_user))
    for bad in ({"scores": [{"response_id": ids[0], "score": "101"}]}, {"scores": []},
                {"scores": [{"response_id": 999999, "score": "50"}]}):
        res = client.put(url, headers=bearer(db, agency_user), json=bad)
        assert res.status_code == 400, bad
    res = client.put(url, headers=bearer(db, af.agency(db)),
                     json={"scores": [{"response_id": ids[0], "score": "90"}]})
    assert res.status_code == 403
    res = client.put(url, headers=bearer(db, agency_user), json={"scores": [
        {"response_id": ids[0], "score": "70"}, {"response_id": ids[1], "score": "95"},
        {"response_id": ids[2], "score": "88.5"}]})
    assert res.status_code == 200
    ranked = client.post(f"/api/v1/agreements/{agreement.id}/evaluate",
                         headers=bearer(db, agency_user), json={}).json
    assert [r["supplier_id"] for r in ranked] == [users[1].supplier_id, users[2].supplier_id,
                                                  users[0].supplier_id]


def test_termination_needs_a_valid_reason_and_writes_nothing_without_one(client, db, clock):
    agreement, agency_user, _ = af.active_closed(db)
    url = f"/api/v1/agreements/{agreement.id}/terminate"
    headers = bearer(db, agency_user)
    notices = count(db, AgreementNotice)
    for bad in ({}, {"reason_code": "bored"}, {"reason_code": "other", "note": "x" * 501}):
        res = client.post(url, headers=headers, json=bad)
        assert res.status_code == 400, (bad, res.json)
        assert res.json["code"] == "validation_error" and res.json["errors"], bad
    db.refresh(agreement)
    assert agreement.status == "active"
    assert count(db, AgreementNotice) == notices
    res = client.post(url, headers=headers,
                      json={"reason_code": "requirement_changed", "note": "预算调整"})
    assert res.status_code == 200, res.json
    assert res.json["status"] == "terminated"
    kinds = [n["kind"] for n in client.get(f"/api/v1/agreements/{agreement.id}/notices",
                                           headers=headers).json]
    assert "termination" in kinds


def test_only_the_owning_agency_terminates_an_agreement(client, db, clock):
    agreement, _, users = af.active_closed(db)
    url = f"/api/v1/agreements/{agreement.id}/terminate"
    data = {"reason_code": "other"}
    for user in (users[0], factories.user(db, "buyer"), factories.user(db, "regulator")):
        res = client.post(url, headers=bearer(db, user), json=data)
        assert res.status_code == 403 and res.json["code"] == "role_forbidden"
    res = client.post(url, headers=bearer(db, af.agency(db)), json=data)
    assert res.status_code == 403 and res.json["code"] == "agreement_forbidden"
    db.refresh(agreement)
    assert agreement.status == "active"


def test_agreement_list_filters_and_refuses_a_bad_query(client, db, clock):
    closed = af.published(db)
    opened, _, _ = af.active_open(db, members=1)
    draft = af.draft(db)
    headers = bearer(db, factories.user(db, "buyer"))

    def ids(query: str) -> set[int]:
        res = client.get(f"/api/v1/agreements{query}", headers=headers)
        assert res.status_code == 200, res.json
        return {a["id"] for a in res.json["items"]}

    assert {closed.id, opened.id} <= ids("?per_page=100") and draft.id not in ids("?per_page=100")
    assert opened.id in ids("?kind=open&per_page=100")
    assert closed.id not in ids("?kind=open&per_page=100")
    assert closed.id in ids("?status=soliciting&per_page=100")
    assert opened.id not in ids("?status=soliciting&per_page=100")
    listed = client.get("/api/v1/agreements?per_page=100", headers=headers).json["items"]
    assert [i["name"] for a in listed if a["id"] == closed.id for i in a["items"]] == [
        closed.items[0].name]
    for bad in ("?status=bogus", "?kind=sideways", "?per_page=0", "?page=0"):
        res = client.get(f"/api/v1/agreements{bad}", headers=headers)
        assert res.status_code == 400 and res.json["code"] == "validation_error", bad
    assert client.get("/api/v1/agreements").status_code == 401
