"""Second stage rules: 直接选定, 二次竞价, 顺序轮候, results, savings."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mall.errors import DomainError
from orders import calloffs
from orders.models import BudgetLine, CallOff, RotationTurn
from suppliers import agreements
from suppliers import status as supplier_status
from tests import agreement_factories as af
from tests import factories


def member_of(db, agreement, user):
    return agreements.member_for(db, agreement.id, user.supplier_id)


# --- 直接选定 -------------------------------------------------------------------------------


def test_direct_selection_awards_at_once_with_a_recorded_reason(db):
    agreement, _, users = af.active_closed(db)
    buyer, line = af.buyer(db)
    member = member_of(db, agreement, users[1])
    calloff = af.start(db, agreement, buyer, line, "direct", member_id=member.id,
                       reason_code="service", reason_note="售后网点近")
    assert calloff.status == "awarded"
    assert calloff.awarded_unit_price == Decimal("4600.00")
    assert calloff.awarded_total == Decimal("46000.00")
    assert (calloff.reason_code, calloff.reason_note) == ("service", "售后网点近")
    db.refresh(line)
    assert line.frozen == Decimal("46000.00")
    summary = calloffs.direct_summary(db, agreement.id)
    assert (summary["count"], summary["total"], summary["by_reason"]) == (
        1, Decimal("46000.00"), {"service": 1})


def test_direct_selection_above_the_agreed_price_is_refused(db):
    agreement, _, users = af.active_closed(db)
    buyer, line = af.buyer(db)
    member = member_of(db, agreement, users[0])
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "direct", member_id=member.id,
                 reason_code="price", unit_price=Decimal("4500.01"))
    assert exc.value.code == "price_above_agreed"
    assert db.scalar(select(func.count()).select_from(CallOff).where(
        CallOff.agreement_id == agreement.id, CallOff.status == "awarded")) == 0


def test_direct_selection_needs_a_reason(db):
    agreement, _, users = af.active_closed(db)
    buyer, line = af.buyer(db)
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "direct", member_id=member_of(
            db, agreement, users[0]).id)
    assert exc.value.code == "reason_required"


def test_direct_selection_of_a_suspended_member_is_refused(db):
    agreement, agency_user, users = af.active_closed(db)
    buyer, line = af.buyer(db)
    member = member_of(db, agreement, users[0])
    agreements.member_transition(db, agency_user, member.id, "suspend", now=af.AFTER,
                                 reason_code="quality_failure")
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "direct", member_id=member.id, reason_code="price")
    assert exc.value.code == "member_not_active"


def test_calloff_under_an_expired_agreement_is_refused(db):
    agreement, _, users = af.active_closed(db)
    buyer, line = af.buyer(db)
    later = af.AFTER + timedelta(days=400)
    with pytest.raises(DomainError) as exc:  # past the validity even before the job runs
        af.start(db, agreement, buyer, line, "direct", now=later,
                 member_id=member_of(db, agreement, users[0]).id, reason_code="price")
    assert exc.value.code == "agreement_not_in_force"
    agreements.expire_due(db, af.VALID_UNTIL + timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "direct",
                 member_id=member_of(db, agreement, users[0]).id, reason_code="price")
    assert exc.value.code == "agreement_not_in_force"


def test_method_not_in_the_agreement_is_refused(db):
    agreement, _, users = af.active_closed(db, methods=["direct"])
    buyer, line = af.buyer(db)
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "bidding", deadline=af.BID_DEADLINE)
    assert exc.value.code == "method_not_allowed"


def test_calloff_budget_above_the_lines_available_amount_is_refused(db):
    agreement, _, users = af.active_closed(db)
    buyer, line = af.buyer(db, amount="10000.00")
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "bidding", deadline=af.BID_DEADLINE)
    assert exc.value.code == "budget_insufficient"


def test_only_buyers_start_calloffs_and_only_on_their_own_budget(db):
    agreement, agency_user, users = af.active_closed(db)
    _, line = af.buyer(db)
    other_buyer, _ = af.buyer(db)
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, agency_user, line, "bidding", deadline=af.BID_DEADLINE)
    assert exc.value.code == "role_forbidden"
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, other_buyer, line, "bidding", deadline=af.BID_DEADLINE)
    assert "budget_line_id" in exc.value.errors


# --- 二次竞价 -------------------------------------------------------------------------------


def bidding(db, **kw):
    agreement, agency_user, users = af.active_closed(db, prices=("4500", "4600", "4700", "4800",
                                                                 "4900"), **kw)
    buyer, line = af.buyer(db)
    calloff = af.start(db, agreement, buyer, line, "bidding", deadline=af.BID_DEADLINE)
    return agreement, agency_user, users, buyer, line, calloff


def test_bidding_window_must_be_enough_working_days(db):
    agreement, _, _ = af.active_closed(db)
    buyer, line = af.buyer(db)
    # AFTER is Friday 27 Nov: by Tuesday 1 Dec only two working days (Mon 30, Tue 1) passed.
    short = af.BID_DEADLINE - timedelta(days=2)
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "bidding", deadline=short)
    assert exc.value.code == "bid_window_too_short"
    assert "2026-12-02" in exc.value.message


def test_all_active_members_holding_the_item_are_invited(db):
    agreement, _, users, _, _, calloff = bidding(db)
    invited = [u for u in users if calloffs.is_invited(db, calloff, u.supplier_id)]
    assert invited == users[:4]  # 5 responses: 4 shortlisted
    assert calloff.status == "bidding"


def test_bid_above_the_agreed_price_is_refused(db):
    agreement, _, users, _, _, calloff = bidding(db)
    with pytest.raises(DomainError) as exc:
        calloffs.submit_bid(db, users[0], calloff.id, Decimal("4500.01"), now=af.AFTER)
    assert exc.value.code == "bid_above_agreed"


def test_bid_above_the_calloff_budget_is_refused(db):
    agreement, _, users, _, _, calloff = bidding(db)  # budget 50,000 for 10
    calloffs.submit_bid(db, users[3], calloff.id, Decimal("4800.00"), now=af.AFTER)
    calloff.budget_amount = Decimal("40000.00")
    with pytest.raises(DomainError) as exc:
        calloffs.submit_bid(db, users[0], calloff.id, Decimal("4100.00"), now=af.AFTER)
    assert exc.value.code == "bid_over_budget"


def test_bid_after_the_deadline_is_refused(db):
    agreement, _, users, _, _, calloff = bidding(db)
    with pytest.raises(DomainError) as exc:
        calloffs.submit_bid(db, users[0], calloff.id, Decimal("4400"), now=af.BID_DEADLINE)
    assert exc.value.code == "bid_late"


def test_uninvited_and_suspended_members_cannot_bid(db):
    agreement, agency_user, users, _, _, calloff = bidding(db)
    with pytest.raises(DomainError) as exc:  # eliminated in the shortlist
        calloffs.submit_bid(db, users[4], calloff.id, Decimal("4400"), now=af.AFTER)
    assert exc.value.code == "not_invited"
    agreements.member_transition(db, agency_user, member_of(db, agreement, users[1]).id,
                                 "suspend", now=af.AFTER, reason_code="quality_failure")
    with pytest.raises(DomainError) as exc:
        calloffs.submit_bid(db, users[1], calloff.id, Decimal("4400"), now=af.AFTER)
    assert exc.value.code == "member_not_active"


def test_bids_are_sealed_until_the_deadline(db):
    agreement, agency_user, users, buyer, _, calloff = bidding(db)
    calloffs.submit_bid(db, users[0], calloff.id, Decimal("4400"), now=af.AFTER)
    calloffs.submit_bid(db, users[1], calloff.id, Decimal("4300"), now=af.AFTER)
    for reader in (buyer, agency_user, factories.user(db, "regulator")):
        with pytest.raises(DomainError) as exc:
            calloffs.bids_visible(db, reader, calloff, af.AFTER)
        assert exc.value.code == "bids_sealed"
    own = calloffs.bids_visible(db, users[0], calloff, af.AFTER)
    assert [b.unit_price for b in own] == [Decimal("4400.00")]
    assert calloffs.bids_visible(db, users[2], calloff, af.AFTER) == []
    assert len(calloffs.bids_visible(db, buyer, calloff, af.BID_DEADLINE)) == 2


def test_award_before_the_deadline_is_refused(db):
    agreement, _, users, buyer, _, calloff = bidding(db)
    with pytest.raises(DomainError) as exc:
        calloffs.close_bidding(db, buyer, calloff.id, now=af.AFTER)
    assert exc.value.code == "bids_sealed"


def test_lowest_bid_wins_and_the_earliest_breaks_ties(db):
    agreement, _, users, buyer, line, calloff = bidding(db)
    calloffs.submit_bid(db, users[0], calloff.id, Decimal("4300"), now=af.AFTER)
    calloffs.submit_bid(db, users[2], calloff.id, Decimal("4200"), now=af.AFTER + timedelta(hours=2))
    calloffs.submit_bid(db, users[1], calloff.id, Decimal("4200"), now=af.AFTER + timedelta(hours=1))
    calloffs.submit_bid(db, users[3], calloff.id, Decimal("4450"), now=af.AFTER)
    calloffs.close_bidding(db, buyer, calloff.id, now=af.BID_DEADLINE)
    assert calloff.status == "awarded"
    assert calloff.awarded_supplier_id == users[1].supplier_id
    assert calloff.awarded_total == Decimal("42000.00")
    assert calloff.agreed_unit_price == Decimal("4600.00")
    db.refresh(line)
    assert line.frozen == Decimal("42000.00")
    # Result notice published at the award, due 2 working days after the deadline.
    assert calloff.result_published_at == af.BID_DEADLINE
    assert str(calloff.result_due_by) == "2026-12-07"
    assert not calloffs.result_late(calloff)
    notice = [n for n in agreements.notices(db, agreement.id) if n.ref_id == calloff.id]
    assert len(notice) == 1 and "¥4,200.00" in notice[0].body


def test_a_rebid_moves_the_bid_time(db):
    agreement, _, users, buyer, _, calloff = bidding(db)
    calloffs.submit_bid(db, users[0], calloff.id, Decimal("4300"), now=af.AFTER)
    calloffs.submit_bid(db, users[1], calloff.id, Decimal("4200"), now=af.AFTER + timedelta(hours=1))
    calloffs.submit_bid(db, users[0], calloff.id, Decimal("4200"), now=af.AFTER + timedelta(hours=2))
    calloffs.close_bidding(db, buyer, calloff.id, now=af.BID_DEADLINE)
    assert calloff.awarded_supplier_id == users[1].supplier_id


def test_bidding_without_bids_fails_with_a_notice(db):
    agreement, _, users, buyer, line, calloff = bidding(db)
    closed = calloffs.close_due_bidding(db, af.BID_DEADLINE)
    assert calloff.id in closed and calloff.status == "failed"
    db.refresh(line)
    assert line.frozen == Decimal("0.00")
    assert any(n.ref_id == calloff.id and "未成交" in n.body
               for n in agreements.notices(db, agreement.id))


def test_bid_of_a_member_suspended_after_bidding_is_not_awarded(db):
    agreement, agency_user, users, buyer, _, calloff = bidding(db)
    calloffs.submit_bid(db, users[0], calloff.id, Decimal("4000"), now=af.AFTER)
    calloffs.submit_bid(db, users[1], calloff.id, Decimal("4300"), now=af.AFTER)
    supplier_status.transition(db, None, users[0].supplier_id, "suspend",
                               reason_code="quality_failure")
    calloffs.close_bidding(db, buyer, calloff.id, now=af.BID_DEADLINE)
    assert calloff.awarded_supplier_id == users[1].supplier_id


# --- 顺序轮候 -------------------------------------------------------------------------------


def rotation(db, members: int = 3):
    agreement, agency_user, users = af.active_open(db, members=members)
    buyer, line = af.buyer(db, amount="9000000.00")
    return agreement, agency_user, users, buyer, line


def start_rotation(db, agreement, buyer, line):
    return af.start(db, agreement, buyer, line, "rotation",
                    deadline=af.AFTER + timedelta(days=2))


def holder(users, db, calloff):
    member = db.get(agreements.AgreementMember, calloff.offered_member_id)
    return next(u for u in users if u.supplier_id == member.supplier_id)


def test_rotation_offers_in_the_fixed_order_and_declines_pass_the_turn(db):
    agreement, _, users, buyer, line = rotation(db)
    first = start_rotation(db, agreement, buyer, line)
    assert holder(users, db, first) is users[0]
    calloffs.accept(db, users[0], first.id, now=af.AFTER)
    assert first.status == "awarded" and first.awarded_supplier_id == users[0].supplier_id
    second = start_rotation(db, agreement, buyer, line)
    assert holder(users, db, second) is users[1]
    with pytest.raises(DomainError) as exc:  # not users[2]'s turn
        calloffs.accept(db, users[2], second.id, now=af.AFTER)
    assert exc.value.code == "not_your_turn"
    calloffs.decline(db, users[1], second.id, reason_code="capacity", now=af.AFTER)
    assert holder(users, db, second) is users[2]
    calloffs.accept(db, users[2], second.id, now=af.AFTER)
    outcomes = [(t.cycle, t.member_id, t.outcome, t.reason) for t in calloffs.turns(db, agreement.id)]
    ids = [member_of(db, agreement, u).id for u in users]
    assert outcomes == [(1, ids[0], "awarded", None), (1, ids[1], "declined", "产能或库存不足"),
                        (1, ids[2], "awarded", None)]
    third = start_rotation(db, agreement, buyer, line)  # a new cycle starts at position 1
    assert holder(users, db, third) is users[0]
    assert calloffs.current_cycle(db, agreement.id) == 2


def test_rotation_never_skips_or_repeats_a_member_within_a_cycle(db):
    agreement, agency_user, users, buyer, line = rotation(db, members=4)
    rng = random.Random(7)
    for _ in range(14):
        calloff = start_rotation(db, agreement, buyer, line)
        while calloff.status == "offered":
            user = holder(users, db, calloff)
            if rng.random() < 0.35:
                calloffs.decline(db, user, calloff.id, reason_code="delivery", now=af.AFTER)
            else:
                calloffs.accept(db, user, calloff.id, now=af.AFTER)
    by_cycle: dict[int, list[RotationTurn]] = {}
    for turn in calloffs.turns(db, agreement.id):
        by_cycle.setdefault(turn.cycle, []).append(turn)
    positions = sorted(m.rotation_position for m in agreements.members(db, agreement.id))
    cycles = sorted(by_cycle)
    assert len(cycles) >= 3
    for cycle in cycles:
        seen = [t.position for t in sorted(by_cycle[cycle], key=lambda t: t.id)]
        # In order, no repeats; every completed cycle has every member exactly once.
        assert seen == sorted(set(seen))
        if cycle != cycles[-1]:
            assert seen == positions
        awards = [t.member_id for t in by_cycle[cycle] if t.outcome == "awarded"]
        assert len(awards) == len(set(awards))  # one award per member per cycle


def test_a_repeat_turn_in_the_same_cycle_is_impossible_in_the_database(db):
    agreement, _, users, buyer, line = rotation(db)
    calloff = start_rotation(db, agreement, buyer, line)
    turn = calloffs.turns(db, agreement.id)[0]
    db.add(RotationTurn(agreement_id=agreement.id, cycle=turn.cycle, position=turn.position,
                        member_id=turn.member_id, calloff_id=calloff.id, outcome="offered",
                        at=af.AFTER))
    with pytest.raises(Exception, match="(?i)unique"):
        db.flush()
    db.rollback()


def test_suspended_member_turn_is_recorded_as_skipped(db):
    agreement, agency_user, users, buyer, line = rotation(db)
    member = member_of(db, agreement, users[0])
    agreements.member_transition(db, agency_user, member.id, "suspend", now=af.AFTER,
                                 reason_code="quality_failure")
    calloff = start_rotation(db, agreement, buyer, line)
    assert holder(users, db, calloff) is users[1]
    first = calloffs.turns(db, agreement.id)[0]
    assert (first.member_id, first.outcome, first.reason) == (member.id, "skipped", "成员暂停")


def test_rotation_fails_when_every_member_declines(db):
    agreement, _, users, buyer, line = rotation(db, members=2)
    calloff = start_rotation(db, agreement, buyer, line)
    calloffs.decline(db, users[0], calloff.id, reason_code="capacity", now=af.AFTER)
    calloffs.decline(db, users[1], calloff.id, reason_code="capacity", now=af.AFTER)
    assert calloff.status == "failed"
    with pytest.raises(DomainError) as exc:
        calloffs.accept(db, users[0], calloff.id, now=af.AFTER)
    assert exc.value.code == "not_offered"


def test_rotation_result_is_published_within_two_working_days(db):
    agreement, _, users, buyer, line = rotation(db)
    calloff = start_rotation(db, agreement, buyer, line)
    calloffs.accept(db, users[0], calloff.id, now=af.AFTER)  # Friday
    assert str(calloff.result_due_by) == "2026-12-01"  # Mon 30 Nov, Tue 1 Dec
    assert calloff.result_published_at == af.AFTER


# --- savings ------------------------------------------------------------------------------


def test_savings_compare_budget_and_agreed_price_with_the_award(db):
    agreement, _, users, buyer, line, calloff = bidding(db)
    calloffs.submit_bid(db, users[0], calloff.id, Decimal("4350"), now=af.AFTER)
    calloffs.close_bidding(db, buyer, calloff.id, now=af.BID_DEADLINE)
    [row] = calloffs.savings(db, agreement_id=agreement.id)
    assert row["budget_amount"] == Decimal("50000.00")
    assert row["agreed_total"] == Decimal("45000.00")
    assert row["awarded_total"] == Decimal("43500.00")
    assert row["saving_vs_budget"] == Decimal("6500.00")
    assert row["saving_vs_agreed"] == Decimal("1500.00")
    assert db.get(BudgetLine, line.id).frozen == Decimal("43500.00")


def test_the_award_becomes_one_order_in_the_ordinary_pipeline(db):
    from orders.models import Order

    agreement, _, users, buyer, line, calloff = bidding(db)
    calloffs.submit_bid(db, users[2], calloff.id, Decimal("4250"), now=af.AFTER)
    calloffs.close_bidding(db, buyer, calloff.id, now=af.BID_DEADLINE)
    order = db.get(Order, calloff.order_id)
    assert (order.source, order.calloff_id, order.status) == ("calloff", calloff.id, "placed")
    assert (order.supplier_id, order.total) == (users[2].supplier_id, Decimal("42500.00"))
    assert order.payment_method == "treasury"
    [order_line] = order.lines
    assert order_line.offer_id is None and order_line.quantity == 10
    assert agreement.number in order_line.title
    assert db.get(BudgetLine, line.id).frozen == Decimal("42500.00")  # frozen once, by the order
    again = calloffs.order_for_award(db, buyer, calloff)  # idempotent on the call-off id
    assert again.id == order.id
    assert db.get(BudgetLine, line.id).frozen == Decimal("42500.00")


def test_rotation_skips_a_supplier_that_cannot_trade_and_fails_when_none_can(db):
    agreement, _, users, buyer, line = rotation(db, members=2)
    supplier_status.transition(db, None, users[0].supplier_id, "suspend",
                               reason_code="quality_failure")
    calloff = start_rotation(db, agreement, buyer, line)
    assert holder(users, db, calloff) is users[1]
    assert calloffs.turns(db, agreement.id)[0].reason == "供应商暂停交易"
    calloffs.decline(db, users[1], calloff.id, reason_code="capacity", now=af.AFTER)
    assert calloff.status == "failed"  # the only other member cannot trade: no endless loop


def test_direct_selection_of_a_supplier_that_cannot_trade_is_refused(db):
    agreement, _, users, buyer, line = af.active_closed(db)[0:3] + af.buyer(db)
    supplier_status.transition(db, None, users[0].supplier_id, "suspend",
                               reason_code="quality_failure")
    with pytest.raises(DomainError) as exc:
        af.start(db, agreement, buyer, line, "direct",
                 member_id=member_of(db, agreement, users[0]).id, reason_code="price")
    assert exc.value.code == "supplier_not_active"


def test_a_turn_not_answered_in_time_passes_on_with_a_fresh_window(db):
    agreement, _, users, buyer, line = rotation(db)
    calloff = start_rotation(db, agreement, buyer, line)  # answer within 2 days
    with pytest.raises(DomainError) as exc:
        calloffs.lapse(db, buyer, calloff.id, now=af.AFTER + timedelta(days=1))
    assert exc.value.code == "turn_not_expired"
    with pytest.raises(DomainError) as exc:
        calloffs.lapse(db, af.buyer(db)[0], calloff.id, now=af.AFTER + timedelta(days=2))
    assert exc.value.code == "calloff_forbidden"
    late = af.AFTER + timedelta(days=3)
    with pytest.raises(DomainError) as exc:
        calloffs.accept(db, users[0], calloff.id, now=late)
    assert exc.value.code == "turn_expired"
    assert calloffs.lapse_due_turns(db, late) == [calloff.id]
    assert holder(users, db, calloff) is users[1]
    assert calloff.deadline == late + timedelta(days=2)
    first = calloffs.turns(db, agreement.id)[0]
    assert (first.outcome, first.reason) == ("declined", "逾期未确认")
    calloffs.accept(db, users[1], calloff.id, now=late)
    assert calloff.status == "awarded"
