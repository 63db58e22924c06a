"""The append-only, hash-chained journal.

Every business event is one row, written inside the transaction of the event itself, so the
journal can never disagree with the tables. Each row's ``hash`` is
``sha256(prev_hash + canonical(row without hash))``; changing any past row (behind the
triggers' back) breaks the chain from that row on, and ``verify`` names the first broken seq.
The sync layer sends these rows to the central exactly as stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from o2pos.core.context import Context
from o2pos.core.models import Journal

GENESIS_HASH = "0" * 64

# Every event type a till writes. The central refuses any other type, so a typo in a new
# event shows up in the first test that syncs it instead of as an unreadable row centrally.
EVENT_TYPES = frozenset(
    {
        "login.failed",
        "login.succeeded",
        "employee.created",
        "customer.created",
        "register.opened",
        "register.cash_moved",
        "register.closed",
        "drawer.opened",
        "sale.held",
        "sale.recalled",
        "sale.line_removed",
        "sale.voided",
        "sale.completed",
        "receipt.recorded",
        "return.completed",
        "products.imported",
        "customers.imported",
        "master.applied",
    }
)


def _reject_floats(value: Any, path: str = "payload") -> None:
    if isinstance(value, float):
        raise TypeError(f"{path} is a float; money and quantities must be integers")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} has a non-string key {key!r}")
            _reject_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _reject_floats(item, f"{path}[{index}]")


def canonical(value: Any, *, check: bool = True) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text, floats refused.

    ``check=False`` skips the float walk for values already checked (the central's request
    validation refuses floats before it hashes); the output is the same either way.
    """
    if check:
        _reject_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(
    *,
    seq: int,
    event_id: str,
    terminal_id: str,
    event_type: str,
    created_at: str,
    employee_id: str | None,
    approved_by: str | None,
    payload: Any,
    prev_hash: str,
    check: bool = True,
) -> str:
    body = canonical(
        {
            "seq": seq,
            "event_id": event_id,
            "terminal_id": terminal_id,
            "event_type": event_type,
            "created_at": created_at,
            "employee_id": employee_id,
            "approved_by": approved_by,
            "payload": payload,
            "prev_hash": prev_hash,
        },
        check=check,
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(
    ctx: Context,
    event_type: str,
    payload: dict[str, Any],
    *,
    employee: str | None = None,
    approved_by: str | None = None,
) -> Journal:
    """Add one event. Must run inside the transaction of the state change it records."""
    if not ctx.db.in_transaction():
        raise RuntimeError("journal.append must run inside the event's own transaction")
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown journal event type {event_type!r}")
    last = ctx.db.execute_sql("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    seq = last[0] + 1 if last else 1
    prev_hash = last[1] if last else GENESIS_HASH
    fields = {
        "seq": seq,
        "event_id": str(uuid.uuid4()),
        "terminal_id": ctx.terminal_id,
        "event_type": event_type,
        "created_at": iso(ctx.now()),
        "employee_id": employee,
        "approved_by": approved_by,
        "prev_hash": prev_hash,
    }
    digest = compute_hash(payload=payload, **fields)
    row = {**fields, "payload": canonical(payload), "hash": digest}
    ctx.db.execute_sql(
        f"INSERT INTO journal ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        tuple(row.values()),
    )
    return Journal(**row)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def entry_hash(row: Journal) -> str:
    """Recompute a stored row's hash from its columns (raises on an unreadable payload)."""
    return compute_hash(
        seq=row.seq,
        event_id=row.event_id,
        terminal_id=row.terminal_id,
        event_type=row.event_type,
        created_at=row.created_at,
        employee_id=row.employee_id,
        approved_by=row.approved_by,
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
    )


def verify(ctx: Context) -> VerifyResult:
    """Walk the whole chain in seq order; stop at the first row that does not hold."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for row in Journal.select().order_by(Journal.seq).iterator():
        if row.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"seq {expected_seq} is missing")
        if row.prev_hash != prev_hash:
            return VerifyResult(False, checked, row.seq, "prev_hash does not match the row before")
        try:
            digest = entry_hash(row)
        except (ValueError, TypeError) as exc:
            return VerifyResult(False, checked, row.seq, f"payload is not canonical JSON: {exc}")
        if digest != row.hash:
            return VerifyResult(False, checked, row.seq, "hash does not match the row's content")
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked)


def wire(row: Journal) -> dict[str, Any]:
    """An entry as it travels to the central: every hashed field, the payload as an object."""
    return {
        "seq": row.seq,
        "event_id": row.event_id,
        "terminal_id": row.terminal_id,
        "event_type": row.event_type,
        "created_at": row.created_at,
        "employee_id": row.employee_id,
        "approved_by": row.approved_by,
        "payload": json.loads(row.payload),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def wire_hash(event: dict[str, Any], *, check: bool = True) -> str:
    """The hash an entry in wire form should carry (what the central checks on arrival)."""
    return compute_hash(**{k: v for k, v in event.items() if k != "hash"}, check=check)


def last_seq(ctx: Context) -> int:
    last = Journal.select(Journal.seq).order_by(Journal.seq.desc()).first()
    return last.seq if last else 0
