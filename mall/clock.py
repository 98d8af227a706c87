"""Time helpers: everything is stored as timezone-aware UTC and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today(now: datetime | None = None) -> date:
    """Today's date in China (budget years and due dates follow the local calendar)."""
    return (now or utcnow()).astimezone(SHANGHAI).date()


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


class MovableClock:
    """A controllable clock (可控时钟) for tests and demos: `now()` is real time plus an offset,
    or a fixed instant. Install it with `app.extensions["mall.clock"] = clock`; pages and the
    API read the time through `mall.web.now()`, so deadlines can pass without sleeping."""

    def __init__(self, fixed: datetime | None = None):
        self.fixed = fixed
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return (self.fixed or utcnow()) + self.offset

    def advance(self, **delta) -> datetime:
        self.offset += timedelta(**delta)
        return self.now()

    def __call__(self) -> datetime:
        return self.now()
