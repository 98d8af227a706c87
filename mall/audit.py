"""Append-only audit log (审计日志): who did what to which record, before and after.

Every state change calls `record()` in the same transaction as the change. Rows are never
updated or deleted: the session refuses to flush such a change.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from mall.clock import utcnow
from mall.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record(session: Session, actor, action: str, entity_type: str, entity_id,
           before: dict | None = None, after: dict | None = None) -> AuditEvent:
    """Append one audit event. `actor` is a user (or None for the system clock/jobs)."""
    event_ = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_role=str(getattr(actor, "role", "system")) if actor is not None else "system",
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    session.add(event_)
    return event_


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _ctx, _instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError("audit events are append-only")
