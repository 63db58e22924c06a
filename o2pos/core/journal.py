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
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from peewee import DatabaseError

from o2pos.core.context import Context
from o2pos.core.errors import StateError
from o2pos.core.ids import new_id
from o2pos.core.models import Journal, sql

GENESIS_HASH = "0" * 64

# Every event type a till writes. The central refuses any other type, so a typo in a new
# event shows up in the first test that syncs it instead of as an unreadable row centrally.
EVENT_TYPES = frozenset(
    {
        "login.failed",
        "login.succeeded",
        "employee.created",
        "employee.unlocked",
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
        "voucher.issued",
        "products.imported",
        "customers.imported",
        "master.applied",
        "delivery.recorded",
        "transfer.sent",
        "transfer.received",
        "stock.counted",
        "employee.changed",
    }
)


# Where a printable document's number is in its event's payload, and which events carry it
# there: (index name, JSON path, event types). Each pair has an expression index on the
# journal (``core.db``), so looking a number up reads a row or two, not every payload. A
# receipt taken at checkout lives in its ``sale.completed`` event, as ``receipt``.
DOCUMENT_NUMBERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "journal_document_number",
        "$.number",
        (
            "sale.completed",
            "return.completed",
            "register.cash_moved",
            "stock.counted",
            "transfer.sent",  # a transfer note (TO)
            "transfer.received",  # the receipt note of a transfer received (TI)
            "delivery.recorded",
        ),
    ),
    ("journal_receipt_number", "$.receipt", ("sale.completed", "receipt.recorded")),
    ("journal_z_number", "$.z_number", ("register.closed",)),
)


def document_where(path: str, types: tuple[str, ...]) -> str:
    """The condition both the index and the query use, word for word: SQLite uses a partial
    expression index only for a query that repeats its expression and its WHERE exactly."""
    listed = ", ".join(f"'{t}'" for t in types)
    return f"event_type IN ({listed}) AND json_extract(payload, '{path}')"


def document_indexes() -> list[str]:
    """CREATE INDEX statements for ``DOCUMENT_NUMBERS`` (run by ``db.create_schema``)."""
    statements = []
    for name, path, types in DOCUMENT_NUMBERS:
        listed = ", ".join(f"'{t}'" for t in types)
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {name} ON journal (json_extract(payload, '{path}')) "
            f"WHERE event_type IN ({listed})"
        )
    return statements


def _latest(path: str, types: tuple[str, ...], number: str) -> Journal | None:
    rows = Journal.fetch(f"{document_where(path, types)} = ? ORDER BY seq DESC LIMIT 1", number)
    return rows[0] if rows else None


def document_event(path: str, number: str) -> Journal | None:
    """The latest event with ``number`` at ``path``, one of ``DOCUMENT_NUMBERS``' paths
    (the first index on it: a bill, return or cash movement for ``$.number``)."""
    for _name, indexed, types in DOCUMENT_NUMBERS:
        if indexed == path:
            return _latest(path, types, number)
    raise ValueError(f"no index on document numbers at {path!r}")


def find_document(number: str) -> tuple[Journal, str] | None:
    """The latest event issuing the document ``number``, and the payload key it is under.

    A sale's own number is looked for before a receipt number, which comes before a Z
    number; numbers of different kinds never collide (their series' prefixes differ).
    """
    for _name, path, types in DOCUMENT_NUMBERS:
        row = _latest(path, types, number)
        if row is not None:
            return row, path.removeprefix("$.")
    return None


_PLAIN = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """True when ``value`` is plainly float-free: exact str/int/bool/None leaves under dicts
    with text keys and lists. Every payload of a checkout is checked, and this pass costs a
    quarter of ``_reject_floats``'s; anything it does not vouch for gets the full check."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _PLAIN and not _plain(item)):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _PLAIN or _plain(item) for item in value)
    return False


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


# orjson writes what ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
# writes, five to ten times faster (a property test holds them equal); what it would write
# differently (a dataclass, a subclass, an int beyond 64 bits) it passes to ``default``,
# which declines, and ``json`` writes it instead, exactly as before.
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_ORJSON |= orjson.OPT_PASSTHROUGH_DATETIME


def canonical(value: Any, *, check: bool = True) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text, floats refused.

    ``check=False`` skips the float walk for values already checked (the central's request
    validation refuses floats before it hashes); the output is the same either way.
    """
    if check and not _plain(value):
        _reject_floats(value)
    try:
        return orjson.dumps(value, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Float(Exception):
    """A float met while parsing (``_floatless``)."""


def _refuse_float(text: str) -> Any:
    raise _Float(text)


@cache
def _floatless() -> Callable[[str], Any] | None:
    """A parser that stops at the first float, in C: msgspec's, when it is installed (the
    ``sync`` extra, which every till that flushes has); imported on first use, as it costs
    ~25 ms to import and start-up never needs it."""
    try:
        import msgspec
    except ImportError:
        return None
    return msgspec.json.Decoder(float_hook=_refuse_float).decode


def _is_canonical(text: Any) -> bool:
    """Whether ``text`` is the canonical JSON of an object: what ``append`` stores.

    Every row a push sends is checked so: parsed by a parser that refuses floats itself,
    no walk of the value in Python is needed (that walk was most of a flush's work at the
    till); what it cannot read is read as before, to say the same."""
    if not isinstance(text, str):
        return False
    decode = _floatless()
    if decode is not None:
        try:
            value = decode(text)
        except _Float:
            return False
        except ValueError:  # msgspec's DecodeError: read below as before
            pass
        else:
            return isinstance(value, dict) and canonical(value, check=False) == text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:  # not JSON to orjson (a lone surrogate, say)
        value = None
    if isinstance(value, dict) and _plain(value):
        return canonical(value, check=False) == text
    # a float, or text orjson cannot read; orjson also reads a whole number past 64 bits as
    # a float, which ``append`` writes whole: read it exactly
    try:
        value = json.loads(text)
    except ValueError:
        return False
    if not isinstance(value, dict):
        return False
    try:
        return canonical(value) == text
    except TypeError:  # a float
        return False


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(*, payload: Any, check: bool = True, **envelope: Any) -> str:
    """The hash of an entry: ``envelope`` is its other fields (``seq``, ``event_id``,
    ``terminal_id``, ``event_type``, ``created_at``, ``employee_id``, ``approved_by``,
    ``prev_hash``)."""
    return hash_with_payload(payload=payload, check=check, **envelope)[0]


def hash_with_payload(*, payload: Any, check: bool = True, **envelope: Any) -> tuple[str, str]:
    """The entry's hash and its payload's canonical JSON, the text that is stored.

    The hashed body is the canonical JSON of the whole entry; its keys sort as ``approved_by
    … event_type``, ``payload``, ``prev_hash … terminal_id``, so it is written as the two
    halves around the payload's own canonical text (``_digest``): the payload, most of the
    work, is serialised once for the hash and the row alike.
    """
    text = canonical(payload, check=check)
    return _digest(text, **envelope), text


def _digest(
    text: str,
    *,
    seq: int,
    event_id: str,
    terminal_id: str,
    event_type: str,
    created_at: str,
    employee_id: str | None,
    approved_by: str | None,
    prev_hash: str,
) -> str:
    """The hash of an entry whose payload's canonical text is ``text``."""
    head = canonical(
        {
            "approved_by": approved_by,
            "created_at": created_at,
            "employee_id": employee_id,
            "event_id": event_id,
            "event_type": event_type,
        },
        check=False,
    )
    tail = canonical({"prev_hash": prev_hash, "seq": seq, "terminal_id": terminal_id}, check=False)
    body = f'{head[:-1]},"payload":{text},{tail[1:]}'
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def owner() -> str | None:
    """The terminal whose journal this is, by its last event (None: nothing journalled
    yet): the one ``append`` holds the next event to."""
    row = sql("SELECT terminal_id FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return str(row[0]) if row else None


def same_terminal(owner: str, configured: str) -> bool:
    """Ids are read upper-case from the config; a journal from before that holds "t1"."""
    return owner.upper() == configured.upper()


def wrong_terminal(owner: str, configured: str) -> str:
    """Why a till whose ``[terminal] id`` is not its journal's does nothing: its events would
    carry two ids in one chain, which the central refuses under either id for good."""
    return (
        f"This till's journal belongs to terminal {owner}, but [terminal] id is {configured}. "
        f'Set id = "{owner.upper()}" again; a till that is to be another terminal starts from a '
        "new data_dir (o2pos init)"
    )


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
    last = sql("SELECT seq, hash, terminal_id FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    if last and not same_terminal(last[2], ctx.terminal_id):
        raise StateError(wrong_terminal(last[2], ctx.terminal_id))
    seq = last[0] + 1 if last else 1
    prev_hash = last[1] if last else GENESIS_HASH
    fields: dict[str, Any] = {
        "seq": seq,
        "event_id": new_id(),
        "terminal_id": ctx.terminal_id,
        "event_type": event_type,
        "created_at": iso(ctx.now()),
        "employee_id": employee,
        "approved_by": approved_by,
        "prev_hash": prev_hash,
    }
    digest, text = hash_with_payload(payload=payload, **fields)
    row = {**fields, "payload": text, "hash": digest}
    sql(
        f"INSERT INTO journal ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        tuple(row.values()),
    )
    return Journal(**row)


@dataclass(frozen=True)
class VerifyResult:
    """What a walk of the chain found: ``checked`` rows after ``start`` held, up to
    ``last_seq``/``last_hash``; when not ``ok``, ``broken_seq`` is the first that did not."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    start: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    # SQLite could not read the file at ``broken_seq``: storage damage, not a changed row
    damaged: bool = False


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


def verify(
    ctx: Context, after: tuple[int, str] = (0, GENESIS_HASH), through: int | None = None
) -> VerifyResult:
    """Walk the chain in seq order from the row after ``after`` (seq, hash), which the caller
    vouches for (seq 0: from the start), to seq ``through`` (None: the last); stop at the
    first row that does not hold."""
    start, prev_hash = after
    expected_seq = start + 1
    checked = 0

    def broken(seq: int, reason: str, *, damaged: bool = False) -> VerifyResult:
        return VerifyResult(
            False, checked, seq, reason, start, expected_seq - 1, prev_hash, damaged
        )

    # raw rows, not models: a till of years walks millions of them (``--full``)
    query = (
        "SELECT seq, event_id, terminal_id, event_type, created_at, employee_id, approved_by, "
        "payload, prev_hash, hash FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq"
    )
    last = 2**63 - 1 if through is None else through
    rows = None
    while True:
        try:
            if rows is None:  # SQLite may meet a damaged page on the first step already
                rows = sql(query, (start, last))
            row = rows.fetchone()
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            # damaged pages: say how far the chain could be read
            return broken(expected_seq, str(exc), damaged=True)
        if row is None:
            break
        seq, event_id, terminal_id, event_type, created_at, employee, approved, text = row[:8]
        row_prev, row_hash = row[8], row[9]
        if seq != expected_seq:
            return broken(expected_seq, f"seq {expected_seq} is missing")
        if row_prev != prev_hash:
            return broken(seq, "prev_hash does not match the row before")
        fields: dict[str, Any] = {
            "seq": seq,
            "event_id": event_id,
            "terminal_id": terminal_id,
            "event_type": event_type,
            "created_at": created_at,
            "employee_id": employee,
            "approved_by": approved,
            "prev_hash": row_prev,
        }
        # the stored text is the canonical text the till hashed: hashed as it is, then
        # checked to be that canonical text (a row written past the till, hashed over other
        # text, would pass the hash and be refused by the central); a row that does not
        # match is parsed, to say why
        if _digest(text, **fields) != row_hash:
            try:
                digest = hash_with_payload(payload=json.loads(text), **fields)[0]
            except (ValueError, TypeError) as exc:
                return broken(seq, f"payload is not canonical JSON: {exc}")
            if digest != row_hash:
                return broken(seq, "hash does not match the row's content")
        elif not _is_canonical(text):
            return broken(seq, "payload is not canonical JSON (hashed as other text)")
        prev_hash = row_hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked, start=start, last_seq=expected_seq - 1, last_hash=prev_hash)


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
    return wire_hash_with_payload(event, check=check)[0]


def wire_hash_with_payload(event: dict[str, Any], *, check: bool = True) -> tuple[str, str]:
    """``wire_hash`` and the payload's canonical text, which the central stores."""
    return hash_with_payload(**{k: v for k, v in event.items() if k != "hash"}, check=check)


def last_seq(ctx: Context) -> int:
    last = Journal.select(Journal.seq).order_by(Journal.seq.desc()).first()
    return last.seq if last else 0
