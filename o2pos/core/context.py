"""The handle every core operation takes: the database, the settings and a clock.

The clock is injectable so tests can step through lockout windows and coupon validity
dates without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from peewee import SqliteDatabase

from o2pos.core.settings import Settings


def utcnow() -> datetime:
    """Naive UTC: what the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Context:
    """The open till database and its settings: what every core function is given."""

    db: SqliteDatabase
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = utcnow
    # the location (branch) chosen at login; None: the till's own ([terminal] location)
    session_location: str | None = None

    @property
    def terminal_id(self) -> str:
        return self.settings.terminal.id

    @property
    def location(self) -> str:
        """Whose stock this session's documents move."""
        return self.session_location or self.settings.terminal.location

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The store's local calendar date (coupon validity, daily report)."""
        return self.local(self.now()).date()

    def local(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(self.settings.store.timezone))

    @contextmanager
    def write(self) -> Iterator[None]:
        """One business operation: takes the write lock at BEGIN, commits or rolls back whole."""
        with self.db.atomic("IMMEDIATE"):
            yield
