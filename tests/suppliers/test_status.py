"""The supplier status state machine (suppliers/status.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mall.audit import AuditEvent
from mall.errors import Conflict, ValidationFailed
from mall.roles import Role
from suppliers import status
from suppliers.models import Supplier, SupplierStatus
from suppliers.status import REASONS_FOR, TRANSITIONS
from tests import factories

S = SupplierStatus
TODAY = date(2026, 3, 16)

ALLOWED = [(action, source) for action, (sources, _) in TRANSITIONS.items()
           for source in sorted(sources)]
REFUSED = [(source, action) for action, (sources, _) in TRANSITIONS.items()
           for source in S if source not in sources]


def reason_for(action: str) -> str | None:
    reasons = REASONS_FOR.get(action)
    return next(iter(reasons)) if reasons else None


def supplier_in(db, state: SupplierStatus) -> Supplier:
    """A supplier brought into `state` through the state machine itself."""
    s = factories.supplier(db, active=False)
    path = {S.PENDING: [], S.ACTIVE: ["approve"], S.REJECTED: ["reject"],
            S.SUSPENDED: ["approve", "suspend"], S.BANNED: ["approve", "ban"]}[state]
    for action in path:
        status.transition(db, None, s.id, action, reason_code=reason_for(action))
    assert s.status == state.value
    return s


def events(db, supplier_id: int, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == "supplier",
                                     AuditEvent.entity_id == str(supplier_id))
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.scalars(query.order_by(AuditEvent.id)))


def event_count(db, supplier_id: int) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "supplier", AuditEvent.entity_id == str(supplier_id)))


def test_the_tables_cover_every_pair():
    assert len(ALLOWED) + len(REFUSED) == len(TRANSITIONS) * len(S)
    assert ALLOWED and REFUSED


@pytest.mark.parametrize(("action", "source"), ALLOWED)
def test_allowed_transition_succeeds_and_is_audited(db, action, source):
    operator = factories.user(db, Role.OPERATOR)
    s = supplier_in(db, source)
    reason = reason_for(action)
    target = TRANSITIONS[action][1]
    out = status.transition(db, operator, s.id, action, reason_code=reason, note="测试说明",
                            today=TODAY)
    db.flush()
    assert out.id == s.id
    assert s.status == target.value
    assert s.status_reason_code == reason
    (event,) = events(db, s.id, f"supplier.{action}")[-1:]
    assert event.actor_id == operator.id and event.actor_role == "operator"
    assert event.before["status"] == source.value
    assert event.after["status"] == target.value
    assert event.after["reason_code"] == reason
    assert event.after["note"] == "测试说明"


@pytest.mark.parametrize(("source", "action"), REFUSED)
def test_refused_transition_raises_conflict_and_changes_nothing(db, source, action):
    s = supplier_in(db, source)
    db.flush()
    before = (s.status, s.status_reason_code, s.status_note, s.status_until)
    audited = event_count(db, s.id)
    with pytest.raises(Conflict) as exc:
        status.transition(db, None, s.id, action, reason_code=reason_for(action),
                          note="不应写入", today=TODAY)
    assert exc.value.code == "supplier_transition_refused"
    db.flush()
    db.refresh(s)
    assert (s.status, s.status_reason_code, s.status_note, s.status_until) == before
    assert event_count(db, s.id) == audited


REASONED = [(action, source) for action, source in ALLOWED if action in REASONS_FOR]


@pytest.mark.parametrize(("action", "source"), REASONED)
@pytest.mark.parametrize("kind", ["missing", "unknown", "from_other_list"])
def test_reason_code_is_required_and_must_be_valid(db, action, source, kind):
    assert set(REASONS_FOR) == {"reject", "suspend", "ban"}
    other = {"reject": "collusion", "suspend": "license_mismatch", "ban": "duplicate_registration"}
    reason = {"missing": None, "unknown": "because", "from_other_list": other[action]}[kind]
    assert reason not in REASONS_FOR[action]
    s = supplier_in(db, source)
    db.flush()
    audited = event_count(db, s.id)
    with pytest.raises(ValidationFailed) as exc:
        status.transition(db, None, s.id, action, reason_code=reason, today=TODAY)
    assert exc.value.code == "reason_required"
    assert "reason_code" in exc.value.errors
    db.refresh(s)
    assert s.status == source.value
    assert event_count(db, s.id) == audited


def test_until_on_approve_is_refused(db):
    s = supplier_in(db, S.PENDING)
    with pytest.raises(ValidationFailed) as exc:
        status.transition(db, None, s.id, "approve", until=TODAY + timedelta(days=30),
                          today=TODAY)
    assert "until" in exc.value.errors
    db.refresh(s)
    assert s.status == "pending" and s.status_until is None


def test_until_before_today_is_refused(db):
    s = supplier_in(db, S.ACTIVE)
    with pytest.raises(ValidationFailed) as exc:
        status.transition(db, None, s.id, "suspend", reason_code="quality_failure",
                          until=TODAY - timedelta(days=1), today=TODAY)
    assert "until" in exc.value.errors
    db.refresh(s)
    assert s.status == "active"


def suspended_until(db, until: date, action: str = "suspend",
                    today: date | None = TODAY) -> Supplier:
    s = supplier_in(db, S.ACTIVE)
    status.transition(db, None, s.id, action, reason_code="contract_breach", until=until,
                      today=today)
    return s


def test_effective_status_is_suspended_up_to_and_including_until(db):
    s = suspended_until(db, TODAY)
    assert status.effective_status(s, TODAY - timedelta(days=10)) is S.SUSPENDED
    assert status.effective_status(s, TODAY) is S.SUSPENDED


def test_effective_status_is_active_the_day_after_until(db):
    s = suspended_until(db, TODAY)
    assert status.effective_status(s, TODAY + timedelta(days=1)) is S.ACTIVE
    assert s.status == "suspended"  # read-time answer only; nothing written


def test_effective_status_of_a_ban_without_until_never_ends(db):
    s = supplier_in(db, S.BANNED)
    assert status.effective_status(s, TODAY + timedelta(days=3650)) is S.BANNED


def test_can_trade_only_when_effectively_active(db):
    assert status.can_trade(supplier_in(db, S.ACTIVE), TODAY) is True
    for state in (S.PENDING, S.REJECTED, S.SUSPENDED, S.BANNED):
        assert status.can_trade(supplier_in(db, state), TODAY) is False
    s = suspended_until(db, TODAY, action="ban")
    assert status.can_trade(s, TODAY) is False
    assert status.can_trade(s, TODAY + timedelta(days=1)) is True


def test_lift_expired_reinstates_due_ones_only_and_audits(db):
    # Decided earlier (no `today` given, so a past `until` is accepted), now due.
    due_suspension = suspended_until(db, TODAY - timedelta(days=1), today=None)
    due_ban = suspended_until(db, TODAY - timedelta(days=2), action="ban", today=None)
    ends_today = suspended_until(db, TODAY)
    open_ended = supplier_in(db, S.BANNED)
    active = supplier_in(db, S.ACTIVE)
    db.flush()
    not_due = {x.id: event_count(db, x.id) for x in (ends_today, open_ended, active)}

    lifted = status.lift_expired(db, TODAY)
    db.flush()

    assert {due_suspension.id, due_ban.id} <= set(lifted)
    assert not set(lifted) & set(not_due)
    for s in (due_suspension, due_ban):
        db.refresh(s)
        assert s.status == "active" and s.status_until is None
        (event,) = events(db, s.id, "supplier.reinstate")
        assert event.actor_id is None and event.actor_role == "system"
        assert event.after["status"] == "active"
        assert event.after["note"] == "期限届满自动恢复"
    db.refresh(ends_today)
    db.refresh(open_ended)
    assert ends_today.status == "suspended" and ends_today.status_until == TODAY
    assert open_ended.status == "banned"
    for supplier_id, count in not_due.items():
        assert event_count(db, supplier_id) == count
