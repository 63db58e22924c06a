"""The till's side of the sync protocol that lives in its database.

The journal never changes; what has reached the central is a separate cursor (acknowledged
seq and hash) that moves only when an answer from the central says so, and only to a seq
whose hash matches ours. The status row records what the last attempt saw, so the till, the
daemon and ``o2pos sync status`` all tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from o2pos.core.context import Context
from o2pos.core.errors import DomainError
from o2pos.core.journal import GENESIS_HASH, iso, last_seq, wire
from o2pos.core.models import Journal, SyncCursor, SyncStatus
from o2pos.core.redact import redact

NAME = "central"
# States that need a person: they stay on screen until a later push succeeds. ``stuck``:
# the central has answered errors round after round; ``damaged``: the journal no longer
# holds what was written or acknowledged (``integrity.check``), so nothing is sent;
# ``config``: the till's own sync settings cannot be used (a missing ca_bundle).
ALERT_STATES = frozenset({"fork", "unauthorized", "rejected", "stuck", "damaged", "config"})
# a round that saw the same as the last one is recorded at most this often
QUIET_WRITE = timedelta(seconds=60)


class AckMismatch(DomainError):
    """The central acknowledged a seq whose hash is not ours: the two journals have forked."""


def _cursor() -> SyncCursor:
    cursor = SyncCursor.get_or_none(SyncCursor.name == NAME)
    return cursor if cursor is not None else SyncCursor(name=NAME, acked_seq=0, acked_hash="")


def _status() -> SyncStatus:
    status = SyncStatus.get_or_none(SyncStatus.name == NAME)
    return status if status is not None else SyncStatus(name=NAME)


def acked(ctx: Context) -> tuple[int, str]:
    cursor = _cursor()
    return cursor.acked_seq, cursor.acked_hash or GENESIS_HASH


def pending_count(ctx: Context) -> int:
    return max(0, last_seq(ctx) - _cursor().acked_seq)


def pending_events(
    ctx: Context, limit: int, after: int | None = None, through: int | None = None
) -> list[dict[str, Any]]:
    """The next contiguous batch after the acknowledged seq (up to ``through``, the last
    row a check found intact, when given), in wire form."""
    start = _cursor().acked_seq if after is None else after
    query = Journal.select().where(Journal.seq > start)
    if through is not None:
        query = query.where(Journal.seq <= through)
    rows = query.order_by(Journal.seq).limit(limit)
    return [wire(row) for row in rows]


@dataclass(frozen=True)
class Batch:
    """A contiguous run of entries ready to send: ``events`` is their JSON array as bytes."""

    first_seq: int
    last_seq: int
    count: int
    events: bytes


_BATCH_SQL = (
    "SELECT seq, event_id, terminal_id, event_type, created_at, employee_id, approved_by,"
    " payload, prev_hash, hash FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
)


def pending_batch(ctx: Context, limit: int, through: int, after: int | None = None) -> Batch | None:
    """``pending_events`` as the bytes a push sends, or None when nothing is pending;
    ``after``: the seq it follows, if not the acknowledged one (the batch after the one
    on its way).

    The payload is stored as the canonical text it was hashed as, so it goes out as it is:
    parsing it only to serialise it again was most of a flush's cost at the till.
    """
    start = _cursor().acked_seq if after is None else after
    rows = ctx.db.execute_sql(_BATCH_SQL, (start, through, limit)).fetchall()
    if not rows:
        return None
    parts = []
    for seq, event_id, terminal, kind, created, employee, approved, payload, prev, digest in rows:
        head = orjson.dumps(
            {
                "seq": seq,
                "event_id": event_id,
                "terminal_id": terminal,
                "event_type": kind,
                "created_at": created,
                "employee_id": employee,
                "approved_by": approved,
            }
        )
        tail = orjson.dumps({"prev_hash": prev, "hash": digest})
        parts.append(b"".join((head[:-1], b',"payload":', payload.encode(), b",", tail[1:])))
    return Batch(rows[0][0], rows[-1][0], len(rows), b"[" + b",".join(parts) + b"]")


def hash_at(seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    row = Journal.select(Journal.hash).where(Journal.seq == seq).first()
    return row.hash if row else None


def record_ack(ctx: Context, seq: int, digest: str) -> bool:
    """Move the cursor to what the central answered; returns whether it moved.

    Called only with an answer in hand. An acknowledgement of a seq we do not have, or with
    a hash that is not ours, is a fork: nothing moves and the caller shows it.
    """
    if hash_at(seq) != digest:
        raise AckMismatch(
            f"The central acknowledged seq {seq} with a hash this till does not have "
            "(the journals have forked)"
        )
    with ctx.write():
        cursor = _cursor()
        if seq <= cursor.acked_seq:
            return False
        SyncCursor.insert(
            name=NAME, acked_seq=seq, acked_hash=digest, updated_at=ctx.now()
        ).on_conflict_replace().execute()
    return True


def rewind(ctx: Context, seq: int, digest: str) -> None:
    """The central holds less than we thought (restored from a backup): resend after ``seq``.

    Allowed only where its hash at ``seq`` is ours, so a rewind can never hide a fork.
    """
    if hash_at(seq) != digest:
        raise AckMismatch(f"The central's seq {seq} does not match this till's journal")
    with ctx.write():
        SyncCursor.insert(
            name=NAME, acked_seq=seq, acked_hash=digest, updated_at=ctx.now()
        ).on_conflict_replace().execute()


def note(
    ctx: Context,
    *,
    state: str,
    online: bool,
    error: str = "",
    success: bool = False,
) -> None:
    """Record what one sync attempt saw (one small write; never inside a sale).

    An alert (fork, revoked token, refused batch) outlives rounds that merely fail to reach
    the central: only a round that succeeds, or another alert, replaces it. The error is
    redacted here, the one place it is stored: every surface reads it from this row.
    """
    error = redact(error)
    now = ctx.now()
    fields: dict[str, Any] = {
        "state": state,
        "online": online,
        "last_attempt_at": now,
        "last_error": error[:500],
    }
    if success:
        fields["last_success_at"] = now
    previous = SyncStatus.get_or_none(SyncStatus.name == NAME)
    if (
        previous is not None
        and previous.last_attempt_at is not None
        and (previous.state, bool(previous.online), previous.last_error)
        == (state, online, error[:500])
        and timedelta(0) <= now - previous.last_attempt_at < QUIET_WRITE
    ):
        return  # an idle till doing the same round every few seconds need not fsync each one
    with ctx.write():
        previous = SyncStatus.get_or_none(SyncStatus.name == NAME)
        keep_alert = state not in ALERT_STATES and state != "ok"
        if previous is not None and previous.state in ALERT_STATES and keep_alert:
            fields["state"], fields["last_error"] = previous.state, previous.last_error
        if previous is None:
            SyncStatus.insert(name=NAME, **fields).execute()
        else:
            SyncStatus.update(**fields).where(SyncStatus.name == NAME).execute()


def master_version(ctx: Context) -> int:
    return _status().master_version


def summary(ctx: Context) -> dict[str, Any]:
    """What ``o2pos sync status --json``, the status bar and F12 show."""
    cursor = _cursor()
    status = _status()
    last = last_seq(ctx)
    return {
        "terminal_id": ctx.terminal_id,
        "last_seq": last,
        "acked_seq": cursor.acked_seq,
        "pending": max(0, last - cursor.acked_seq),
        "online": bool(status.online),
        "state": status.state,
        "alert": status.state in ALERT_STATES,
        "last_error": redact(status.last_error) or None,  # rows stored before redaction
        "last_attempt_at": iso(status.last_attempt_at) if status.last_attempt_at else None,
        "last_success_at": iso(status.last_success_at) if status.last_success_at else None,
        "master_version": status.master_version,
        "master_pulled_at": iso(status.master_pulled_at) if status.master_pulled_at else None,
    }
