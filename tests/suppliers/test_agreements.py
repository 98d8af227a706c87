"""First stage rules: solicitation, sealed responses, evaluation and shortlist, members."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mall.errors import DomainError
from suppliers import agreements
from suppliers import status as supplier_status
from suppliers.models import (
    AgreementMember,
    AgreementNotice,
    AgreementResponse,
    FrameworkAgreement,
)
from tests import agreement_factories as af
from tests import factories


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_closed_agreement_refuses_elimination_ratio_below_20_percent(db):
    before = count(db, FrameworkAgreement)
    with pytest.raises(DomainError) as exc:
        af.draft(db, elimination_ratio=Decimal("0.15"))
    assert exc.value.code == "elimination_ratio_too_low"
    assert count(db, FrameworkAgreement) == before


def test_only_agencies_create_agreements(db):
    with pytest.raises(DomainError) as exc:
        af.draft(db, factories.user(db, "buyer"))
    assert exc.value.code == "agreement_forbidden"


@pytest.mark.parametrize("field,value,message", [
    ("sme_deduction", Decimal("0.25"), "10% 到 20%"),
    ("valid_until", af.VALID_FROM, "晚于起始日"),
    ("items", [af.ITEM | {"category_code": "A99999999"}], "品目代码不存在"),
])
def test_create_refuses_bad_terms(db, field, value, message):
    with pytest.raises(DomainError) as exc:
        af.draft(db, **{field: value})
    assert exc.value.status == 400
    assert message in str(exc.value.message) + str(exc.value.errors)


def test_publish_writes_the_solicitation_notice(db):
    agreement = af.published(db)
    assert agreement.status == "soliciting"
    notices = agreements.notices(db, agreement.id)
    assert [n.kind for n in notices] == ["solicitation"]
    assert "最高限制单价 ¥5,000.00" in notices[0].body


def test_response_above_maximum_unit_price_is_refused(db):
    agreement = af.published(db)
    with pytest.raises(DomainError) as exc:
        af.respond(db, agreement, af.supplier_user(db), "5000.01")
    assert exc.value.code == "price_above_max"
    assert count(db, AgreementResponse) == 0


def test_response_after_the_deadline_is_refused(db):
    agreement = af.published(db)
    with pytest.raises(DomainError) as exc:
        af.respond(db, agreement, af.supplier_user(db), "4000", now=af.DEADLINE)
    assert exc.value.code == "response_late"


def test_a_second_submission_replaces_the_first(db):
    agreement = af.published(db)
    user = af.supplier_user(db)
    af.respond(db, agreement, user, "4800")
    response = af.respond(db, agreement, user, "4700", now=af.NOW + timedelta(hours=1))
    assert count(db, AgreementResponse) == 1
    assert response.quoted_total == Decimal("470000.00")
    assert response.submitted_at == af.NOW + timedelta(hours=1)


def test_large_enterprise_cannot_declare_sme(db):
    agreement = af.published(db)
    with pytest.raises(DomainError) as exc:
        af.respond(db, agreement, af.supplier_user(db, "large"), "4000", sme=True)
    assert exc.value.code == "sme_declaration_invalid"


def test_responses_are_sealed_until_the_deadline(db):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user)
    a, b = af.supplier_user(db), af.supplier_user(db)
    af.respond(db, agreement, a, "4500")
    af.respond(db, agreement, b, "4600")
    for reader in (agency_user, factories.user(db, "buyer"), factories.user(db, "regulator")):
        with pytest.raises(DomainError) as exc:
            agreements.responses_for(db, reader, agreement, af.NOW)
        assert exc.value.code == "responses_sealed"
    own = agreements.responses_for(db, a, agreement, af.NOW)
    assert [r.supplier_id for r in own] == [a.supplier_id]
    outsider = af.supplier_user(db)
    assert agreements.responses_for(db, outsider, agreement, af.NOW) == []
    # After the deadline the owning agency reads all; another agency still nothing.
    assert len(agreements.responses_for(db, agency_user, agreement, af.DEADLINE)) == 2
    with pytest.raises(DomainError) as exc:
        agreements.responses_for(db, af.agency(db), agreement, af.DEADLINE)
    assert exc.value.code == "agreement_forbidden"


def test_responses_cannot_be_opened_before_the_deadline(db):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user)
    with pytest.raises(DomainError) as exc:
        agreements.open_responses(db, agency_user, agreement.id, now=af.NOW)
    assert exc.value.code == "responses_sealed"


def _evaluated(db, prices, sizes=None, *, times=None, **kw):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user, **kw)
    users = []
    for i, price in enumerate(prices):
        size = (sizes or ["medium"] * len(prices))[i]
        user = af.supplier_user(db, size)
        at = af.NOW + (times[i] if times else timedelta(minutes=i))
        af.respond(db, agreement, user, price, sme=size != "large", now=at)
        users.append(user)
    agreements.open_responses(db, agency_user, agreement.id, now=af.AFTER)
    return agreement, agency_user, users


def test_price_priority_applies_the_small_micro_deduction(db):
    agreement, agency_user, users = _evaluated(
        db, ["4500", "4900", "4800"], ["medium", "small", "large"],
        sme_deduction=Decimal("0.10"))
    ranked = agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER)
    by_supplier = {r.supplier_id: r for r in ranked}
    small = by_supplier[users[1].supplier_id]
    assert small.evaluated_price == Decimal("441000.00")  # 490,000 × (1 − 10%)
    assert by_supplier[users[0].supplier_id].evaluated_price == Decimal("450000.00")
    assert [r.supplier_id for r in ranked] == [users[1].supplier_id, users[0].supplier_id,
                                               users[2].supplier_id]
    # 3 valid responses, 20%: at least one eliminated, at most 2 shortlisted.
    assert [r.shortlisted for r in ranked] == [True, True, False]


def test_tie_break_lower_quote_then_earlier_response_then_supplier_id(db):
    # small 5000 × 0.9 = 4500 ties with medium 4500 on evaluated price: lower quote wins.
    agreement, agency_user, users = _evaluated(
        db, ["5000", "4500", "4500", "4500"], ["small", "medium", "medium", "medium"],
        times=[timedelta(0), timedelta(minutes=5), timedelta(minutes=1), timedelta(minutes=1)])
    ranked = agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER)
    order = [r.supplier_id for r in ranked]
    # users[2] and users[3] responded at the same minute: lower supplier id first;
    # both before users[1] (later response); the small supplier last (higher quote).
    assert order == [users[2].supplier_id, users[3].supplier_id, users[1].supplier_id,
                     users[0].supplier_id]


def test_shortlist_that_eliminates_nobody_is_refused(db):
    agreement, agency_user, _ = _evaluated(db, ["4500", "4600", "4700"])
    with pytest.raises(DomainError) as exc:
        agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER, shortlist_size=3)
    assert exc.value.code == "shortlist_too_large"
    assert "最多入围 2 家" in exc.value.message


def test_shortlist_that_eliminates_fewer_than_20_percent_is_refused(db):
    prices = [str(4000 + 10 * i) for i in range(10)]
    agreement, agency_user, _ = _evaluated(db, prices)
    with pytest.raises(DomainError) as exc:  # 9 of 10 = 10% eliminated
        agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER, shortlist_size=9)
    assert exc.value.code == "shortlist_too_large"
    ranked = agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER, shortlist_size=8)
    assert sum(r.shortlisted for r in ranked) == 8


def test_a_single_response_cannot_be_shortlisted(db):
    agreement, agency_user, _ = _evaluated(db, ["4500"])
    with pytest.raises(DomainError) as exc:
        agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER)
    assert exc.value.code == "too_few_responses"


def test_quality_priority_ranks_by_scores_and_needs_all_of_them(db):
    agreement, agency_user, users = _evaluated(db, ["4500", "4900", "4700"],
                                               evaluation_method="quality")
    responses = agreements.responses_for(db, agency_user, agreement, af.AFTER)
    ids = {r.supplier_id: r.id for r in responses}
    agreements.enter_scores(db, agency_user, agreement.id,
                            {ids[users[0].supplier_id]: Decimal("80")}, now=af.AFTER)
    with pytest.raises(DomainError) as exc:
        agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER)
    assert exc.value.code == "scores_missing"
    agreements.enter_scores(db, agency_user, agreement.id,
                            {ids[users[1].supplier_id]: Decimal("92.5"),
                             ids[users[2].supplier_id]: Decimal("80")}, now=af.AFTER)
    ranked = agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER)
    # 92.5 first; the two 80s tie on score: the lower evaluated price (4500) first.
    assert [r.supplier_id for r in ranked] == [users[1].supplier_id, users[0].supplier_id,
                                               users[2].supplier_id]


def test_suspended_supplier_response_is_invalid(db):
    agreement, agency_user, users = _evaluated(db, ["4500", "4600", "4700"])
    supplier_status.transition(db, None, users[0].supplier_id, "suspend",
                               reason_code="quality_failure")
    ranked = agreements.evaluate(db, agency_user, agreement.id, now=af.AFTER)
    invalid = [r for r in ranked if not r.valid]
    assert [r.supplier_id for r in invalid] == [users[0].supplier_id]
    assert sum(r.shortlisted for r in ranked) == 1  # 2 valid: one eliminated


def test_result_makes_members_with_agreed_prices_and_notified_rotation(db):
    agreement, agency_user, users = af.active_closed(db, prices=("4700", "4500", "4600"))
    members = agreements.members(db, agreement.id)
    assert [(m.supplier_id, m.rotation_position) for m in members] == [
        (users[1].supplier_id, 1), (users[2].supplier_id, 2)]
    assert members[0].price_for(agreement.items[0].id) == Decimal("4500.00")
    assert agreement.status == "active"
    kinds = [n.kind for n in agreements.notices(db, agreement.id)]
    assert kinds == ["solicitation", "result", "rotation"]
    rotation = agreements.notices(db, agreement.id)[-1]
    assert rotation.body.index(members[0].supplier.name) < rotation.body.index(
        members[1].supplier.name)


def test_result_cannot_be_published_before_evaluation(db):
    agency_user = af.agency(db)
    agreement = af.published(db, agency_user)
    af.respond(db, agreement, af.supplier_user(db), "4500")
    agreements.open_responses(db, agency_user, agreement.id, now=af.AFTER)
    with pytest.raises(DomainError) as exc:
        agreements.publish_result(db, agency_user, agreement.id, now=af.AFTER)
    assert exc.value.code == "not_evaluated"


def test_another_agency_cannot_run_the_evaluation(db):
    agreement, _, _ = _evaluated(db, ["4500", "4600", "4700"])
    with pytest.raises(DomainError) as exc:
        agreements.evaluate(db, af.agency(db), agreement.id, now=af.AFTER)
    assert exc.value.code == "agreement_forbidden"


def test_open_agreement_join_leave_and_rejoin_at_the_published_price(db):
    agreement, _, users = af.active_open(db, members=2)
    assert agreement.status == "active"
    member = agreements.member_for(db, agreement.id, users[0].supplier_id)
    assert member.price_for(agreement.items[0].id) == Decimal("5000.00")
    agreements.member_transition(db, users[0], member.id, "leave", now=af.AFTER)
    assert member.status == "exited"
    again = agreements.join(db, users[0], agreement.id, now=af.AFTER)
    assert again.id == member.id and again.status == "active"


def test_closed_agreement_members_cannot_join_by_accepting_a_price(db):
    agreement, _, _ = af.active_closed(db)
    with pytest.raises(DomainError) as exc:
        agreements.join(db, af.supplier_user(db), agreement.id, now=af.AFTER)
    assert exc.value.code == "join_open_only"


def test_closed_agreement_member_cannot_leave_without_cause(db):
    agreement, _, users = af.active_closed(db)
    member = agreements.member_for(db, agreement.id, users[0].supplier_id)
    with pytest.raises(DomainError) as exc:
        agreements.member_transition(db, users[0], member.id, "leave", now=af.AFTER)
    assert exc.value.code == "leave_needs_cause"
    agreements.member_transition(db, users[0], member.id, "leave", now=af.AFTER,
                                 reason_code="business_closure")
    assert member.status == "exited"


def test_suspend_and_remove_need_a_coded_reason_and_the_owning_agency(db):
    agreement, agency_user, users = af.active_closed(db)
    member = agreements.member_for(db, agreement.id, users[0].supplier_id)
    with pytest.raises(DomainError) as exc:
        agreements.member_transition(db, agency_user, member.id, "suspend", now=af.AFTER)
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        agreements.member_transition(db, af.agency(db), member.id, "suspend", now=af.AFTER,
                                     reason_code="quality_failure")
    assert exc.value.code == "agreement_forbidden"
    with pytest.raises(DomainError) as exc:  # another supplier cannot make it leave
        agreements.member_transition(db, users[1], member.id, "leave", now=af.AFTER,
                                     reason_code="force_majeure")
    assert exc.value.code == "member_forbidden"
    agreements.member_transition(db, agency_user, member.id, "suspend", now=af.AFTER,
                                 reason_code="quality_failure", note="抽检不合格")
    assert member.status == "suspended"
    agreements.member_transition(db, agency_user, member.id, "remove", now=af.AFTER,
                                 reason_code="false_documents")
    assert member.status == "removed"
    with pytest.raises(DomainError) as exc:
        agreements.member_transition(db, agency_user, member.id, "reinstate", now=af.AFTER)
    assert exc.value.code == "member_transition_refused"


def test_supplementary_solicitation_adds_members_after_the_existing_ones(db):
    agreement, agency_user, users = af.active_closed(db)
    deadline = af.AFTER + timedelta(days=5)
    agreements.supplement(db, agency_user, agreement.id, response_deadline=deadline,
                          now=af.AFTER)
    assert (agreement.status, agreement.round) == ("supplementing", 2)
    with pytest.raises(DomainError) as exc:  # an existing member does not respond again
        af.respond(db, agreement, users[0], "4000", now=af.AFTER)
    assert exc.value.code == "already_member"
    newcomers = [af.supplier_user(db) for _ in range(3)]
    for i, user in enumerate(newcomers):
        af.respond(db, agreement, user, str(4300 + i * 100), now=af.AFTER)
    later = deadline + timedelta(hours=1)
    agreements.evaluate(db, agency_user, agreement.id, now=later)
    agreements.publish_result(db, agency_user, agreement.id, now=later)
    positions = [(m.supplier_id, m.rotation_position) for m in agreements.members(db, agreement.id)]
    assert positions[2:] == [(newcomers[0].supplier_id, 3), (newcomers[1].supplier_id, 4)]
    assert agreement.status == "active"


def test_open_agreements_have_no_supplementary_solicitation(db):
    agreement, agency_user, _ = af.active_open(db, members=1)
    with pytest.raises(DomainError) as exc:
        agreements.supplement(db, agency_user, agreement.id,
                              response_deadline=af.AFTER + timedelta(days=3), now=af.AFTER)
    assert exc.value.code == "supplement_closed_only"


def test_agreements_expire_after_their_validity(db):
    agreement, _, _ = af.active_closed(db)
    assert agreements.in_force(agreement, af.VALID_UNTIL)
    expired = agreements.expire_due(db, af.VALID_UNTIL + timedelta(days=1))
    assert agreement.id in expired and agreement.status == "expired"
    assert not agreements.in_force(agreement, date(2027, 1, 1))


def test_membership_rows_are_unique_per_supplier(db):
    agreement, _, users = af.active_open(db, members=1)
    with pytest.raises(DomainError) as exc:
        agreements.join(db, users[0], agreement.id, now=af.AFTER)
    assert exc.value.code == "already_member"
    assert db.scalar(select(func.count()).select_from(AgreementMember).where(
        AgreementMember.agreement_id == agreement.id)) == 1
    assert db.scalar(select(func.count()).select_from(AgreementNotice).where(
        AgreementNotice.agreement_id == agreement.id, AgreementNotice.kind == "member")) == 1


def test_reinstating_a_member_clears_the_reason(db):
    agreement, agency_user, users = af.active_closed(db)
    member = agreements.member_for(db, agreement.id, users[0].supplier_id)
    agreements.member_transition(db, agency_user, member.id, "suspend", now=af.AFTER,
                                 reason_code="quality_failure")
    agreements.member_transition(db, agency_user, member.id, "reinstate", now=af.AFTER,
                                 reason_code="other")
    assert (member.status, member.status_reason_code) == ("active", None)
