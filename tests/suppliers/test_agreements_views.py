"""Agreement pages: forms validate and write nothing on failure, roles and ownership, and
sealed responses stay sealed on every page until the deadline."""

from __future__ import annotations

from sqlalchemy import func, select

from suppliers.models import AgreementResponse, FrameworkAgreement
from tests import agreement_factories as af
from tests import factories
from tests.conftest import csrf_token, login


def as_user(client, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    res = login(client, user.username, factories.PASSWORD)
    assert res.status_code == 302, res.get_data(as_text=True)[:300]


def post(client, path: str, data: dict, page: str = "/agreements"):
    return client.post(path, data={"csrf_token": csrf_token(client, page)} | data)


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


FORM = {"title": "2027 年复印纸框架协议", "kind": "closed", "evaluation_method": "price",
        "elimination_ratio": "0.20", "sme_deduction": "0.10", "bid_working_days": "3",
        "response_deadline": "2026-11-26T10:00", "valid_from": "2026-11-26",
        "valid_until": "2027-11-25", "item-0-name": "A4 复印纸",
        "item-0-category_code": "A05040101", "item-0-spec": "70g 500张/包", "item-0-unit": "包",
        "item-0-est_quantity": "5000", "item-0-max_unit_price": "28.00"}


def test_agency_creates_a_solicitation_through_the_form(client, db, clock):
    as_user(client, af.agency(db))
    res = client.post("/agency/agreements/new", data={
        "csrf_token": csrf_token(client, "/agency/agreements/new"),
        "calloff_methods": ["bidding", "rotation"]} | FORM)
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "2027 年复印纸框架协议" in page and "二次竞价、顺序轮候" in page
    assert "¥28.00" in page


def test_bad_solicitation_form_is_400_and_writes_nothing(client, db, clock):
    as_user(client, af.agency(db))
    before = count(db, FrameworkAgreement)
    for bad in (FORM | {"item-0-max_unit_price": "abc"}, FORM | {"kind": "x"},
                FORM | {"elimination_ratio": "0.10"}, {"title": ""}):
        res = client.post("/agency/agreements/new", data={
            "csrf_token": csrf_token(client, "/agency/agreements/new"),
            "calloff_methods": ["bidding"]} | bad)
        assert res.status_code in (400, 422), bad
        assert 'class="alert alert-danger"' in res.get_data(as_text=True)
    assert count(db, FrameworkAgreement) == before


def test_wrong_roles_and_other_agencies_are_refused(client, db, clock):
    agreement = af.draft(db)
    for role in ("buyer", "supplier", "regulator"):
        as_user(client, factories.user(db, role))
        assert client.get("/agency/agreements/new").status_code == 403
        assert client.get(f"/agreements/{agreement.id}").status_code == 404  # a draft
    as_user(client, factories.user(db, "supplier"))
    res = post(client, f"/agreements/{agreement.id}/publish", {})
    assert res.status_code == 403
    as_user(client, af.agency(db))
    assert client.get(f"/agreements/{agreement.id}").status_code == 404
    res = post(client, f"/agreements/{agreement.id}/publish", {})
    assert res.status_code == 404 or agreement.status == "draft"
    db.refresh(agreement)
    assert agreement.status == "draft"


def test_responses_are_sealed_on_every_page_until_the_deadline(client, db, clock):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user)
    bidder, other = af.supplier_user(db), af.supplier_user(db)
    as_user(client, bidder)
    res = post(client, f"/agreements/{agreement.id}/respond",
               {f"price-{agreement.items[0].id}": "4321.00", "documents": "营业执照"})
    assert res.status_code == 303
    assert "4321" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    for reader in (agency_user, other, factories.user(db, "buyer"),
                   factories.user(db, "regulator")):
        as_user(client, reader)
        page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
        assert "响应文件密封中" in page and "已收到 1 份响应文件" in page
        assert "4321" not in page and "432,100" not in page
    as_user(client, agency_user)
    res = client.get(f"/agreements/{agreement.id}/responses")
    assert res.status_code == 403 and "4321" not in res.get_data(as_text=True)
    clock.advance(days=3)
    res = client.get(f"/agreements/{agreement.id}/responses")
    assert res.status_code == 200 and "¥4,321.00" in res.get_data(as_text=True)
    as_user(client, other)
    assert client.get(f"/agreements/{agreement.id}/responses").status_code == 403


def test_response_above_the_maximum_is_refused_on_the_page(client, db, clock):
    agreement = af.published(db)
    as_user(client, af.supplier_user(db))
    res = post(client, f"/agreements/{agreement.id}/respond",
               {f"price-{agreement.items[0].id}": "5000.01"})
    assert res.status_code == 303
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "报价高于最高限制单价" in page
    assert "（报价不得高于最高限制单价 ¥5,000.00）" in page  # the field message, flattened
    res = post(client, f"/agreements/{agreement.id}/respond",
               {f"price-{agreement.items[0].id}": "abc"})
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "操作未执行" in page
    assert count(db, AgreementResponse) == 0


def test_agency_evaluates_and_publishes_the_result_through_pages(client, db, clock):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user)
    users = [af.supplier_user(db) for _ in range(3)]
    for user, price in zip(users, ("4500", "4400", "4600"), strict=True):
        af.respond(db, agreement, user, price)
    clock.advance(days=3, minutes=5)
    as_user(client, agency_user)
    base = f"/agreements/{agreement.id}"
    assert post(client, f"{base}/open", {}).status_code == 303
    res = post(client, f"{base}/evaluate", {"shortlist_size": "3"})
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "最多入围 2 家" in page
    post(client, f"{base}/evaluate", {})
    page = client.get(f"{base}/responses").get_data(as_text=True)
    assert page.count(">入围<") == 2 and "淘汰" in page
    post(client, f"{base}/result", {})
    as_user(client, factories.user(db, "buyer"))
    page = client.get(base).get_data(as_text=True)
    assert "入围结果公告" in page and "轮候顺序告知" in page
    assert "¥4,400.00" in page and "¥4,500.00" in page and "¥4,600.00" not in page


def test_member_suspension_form_needs_the_owner(client, db, clock):
    agreement, agency_user, users = af.active_closed(db)
    member = af.agreements.member_for(db, agreement.id, users[0].supplier_id)
    url = f"/agreements/{agreement.id}/members/{member.id}/status"
    as_user(client, af.agency(db))
    post(client, url, {"action": "suspend", "reason_code": "quality_failure"})
    db.refresh(member)
    assert member.status == "active"
    as_user(client, users[1])
    assert post(client, url, {"action": "suspend", "reason_code": "other"}).status_code == 403
    as_user(client, agency_user)
    res = post(client, url, {"action": "suspend"})
    assert "请选择有效的原因代码" in client.get(res.headers["Location"]).get_data(as_text=True)
    post(client, url, {"action": "suspend", "reason_code": "quality_failure", "note": "抽检"})
    db.refresh(member)
    assert member.status == "suspended"


def test_supplier_joins_an_open_agreement_and_sees_its_position(client, db, clock):
    agreement, _, _ = af.active_open(db, members=2)
    clock.advance(days=4)
    user = af.supplier_user(db)
    as_user(client, user)
    assert "接受公布价格并加入" in client.get(f"/agreements/{agreement.id}").get_data(
        as_text=True)
    post(client, f"/agreements/{agreement.id}/join", {})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'data-testid="rotation-position">3<' in page


def test_termination_form_needs_the_owner_and_a_reason(client, db, clock):
    agreement, agency_user, users = af.active_closed(db)
    url = f"/agreements/{agreement.id}/terminate"
    as_user(client, users[0])
    assert post(client, url, {"reason_code": "other"}).status_code == 403
    as_user(client, af.agency(db))
    res = post(client, url, {"reason_code": "other"})
    assert "只有发起该框架协议的集中采购机构" in client.get(res.headers["Location"]).get_data(
        as_text=True)
    db.refresh(agreement)
    assert agreement.status == "active"
    as_user(client, agency_user)
    res = post(client, url, {"reason_code": "bored"})
    assert res.status_code == 303
    assert "操作未执行" in client.get(res.headers["Location"]).get_data(as_text=True)
    db.refresh(agreement)
    assert agreement.status == "active"
    res = post(client, url, {"reason_code": "violation", "note": "征集过程违规"})
    assert "框架协议已终止" in client.get(res.headers["Location"]).get_data(as_text=True)
    db.refresh(agreement)
    assert agreement.status == "terminated"
