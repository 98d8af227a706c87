"""Transactional outbox (事务性发件箱): side effects recorded in the same transaction as the
change, delivered after commit.

A rule calls `emit(session, topic, key, payload)` next to its change; the row commits or
rolls back with it. `drain()` later hands each pending event to the handler registered for
its topic on a `Dispatcher`, each event in its own transaction. A failing handler leaves
the event pending with `attempts`, `last_error` and a back-off; a later drain catches up.

The composition root (`mall.app`, `mall.cli`) builds the dispatcher and registers the
handlers, so domain packages never import each other to dispatch. In inline mode
(`OUTBOX_INLINE`, default on) the app drains right after a request's commit; at scale
`mall worker` processes drain in a loop, claiming rows with `FOR UPDATE SKIP LOCKED` on
PostgreSQL so several workers share the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from mall.clock import utcnow
from mall.db import Base

log = logging.getLogger(__name__)

# Retry back-off after the n-th failure: 5 s, 10 s, 20 s … capped at one hour.
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600
ERROR_MAX_CHARS = 2000


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]


Handler = Callable[[Session, OutboxEvent], None]


def emit(session: Session, topic: str, key: str | int, payload: dict | None = None
         ) -> OutboxEvent:
    """Add one event in the caller's transaction (never commits)."""
    now = utcnow()
    event = OutboxEvent(topic=topic, key=str(key), payload=payload, created_at=now,
                        available_at=now, attempts=0)
    session.add(event)
    session.info["outbox_emitted"] = True  # lets the app skip draining when nothing was emitted
    return event


class UnknownTopic(LookupError):
    pass


class Dispatcher:
    """Topic → handler. `handler(session, event)` runs inside the event's transaction."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def on(self, topic: str, handler: Handler) -> Dispatcher:
        self._handlers[topic] = handler
        return self

    @property
    def topics(self) -> list[str]:
        return sorted(self._handlers)

    def dispatch(self, session: Session, event: OutboxEvent) -> None:
        handler = self._handlers.get(event.topic)
        if handler is None:
            raise UnknownTopic(f"no handler registered for topic {event.topic!r}")
        handler(session, event)


@dataclass
class DrainResult:
    processed: int = 0
    failed: int = 0


def _due(now: datetime):
    return (OutboxEvent.processed_at.is_(None)) & (OutboxEvent.available_at <= now)


def claim_statement(event_id: int, now: datetime):
    """Lock one still-pending event; rows another worker holds are skipped (PostgreSQL)."""
    return (select(OutboxEvent).where(OutboxEvent.id == event_id, _due(now))
            .with_for_update(skip_locked=True))


def backoff(attempts: int) -> timedelta:
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def drain(session_factory: sessionmaker[Session], dispatcher: Dispatcher, limit: int = 500,
          *, now: datetime | None = None) -> DrainResult:
    """Deliver up to `limit` due events in id order, each in its own transaction."""
    result = DrainResult()
    with session_factory() as session:
        ids = list(session.scalars(select(OutboxEvent.id).where(_due(now or utcnow()))
                                   .order_by(OutboxEvent.id).limit(limit)))
        session.rollback()
    for event_id in ids:
        outcome = _deliver(session_factory, dispatcher, event_id, now)
        if outcome is True:
            result.processed += 1
        elif outcome is False:
            result.failed += 1
    return result


def _deliver(session_factory, dispatcher: Dispatcher, event_id: int,
             now: datetime | None) -> bool | None:
    """True when delivered, False when the handler failed, None when another worker has it."""
    session = session_factory()
    try:
        event = session.scalars(claim_statement(event_id, now or utcnow())).first()
        if event is None:
            session.rollback()
            return None
        dispatcher.dispatch(session, event)
        event.processed_at = utcnow()
        session.commit()
        return True
    except Exception as exc:  # noqa: BLE001 - any handler error is recorded on the event
        session.rollback()
        _record_failure(session_factory, event_id, exc, now)
        return False
    finally:
        session.close()


def _record_failure(session_factory, event_id: int, exc: Exception, now: datetime | None) -> None:
    log.warning("outbox event %s failed: %s", event_id, exc)
    with session_factory() as session:
        event = session.get(OutboxEvent, event_id, with_for_update=True)
        if event is None or event.processed_at is not None:
            return
        event.attempts += 1
        event.last_error = f"{exc.__class__.__name__}: {exc}"[:ERROR_MAX_CHARS]
        event.available_at = (now or utcnow()) + backoff(event.attempts)
        session.commit()


def pending(session: Session) -> int:
    """How many events are not yet delivered (due or waiting for a retry)."""
    return session.scalar(select(func.count()).select_from(OutboxEvent)
                          .where(OutboxEvent.processed_at.is_(None))) or 0


def pending_events(session: Session, limit: int = 100) -> list[OutboxEvent]:
    """The oldest undelivered events, for health pages and drift checks."""
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.processed_at.is_(None))
                                .order_by(OutboxEvent.id).limit(limit)))
