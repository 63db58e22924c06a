"""Journal ingest: the one path by which events enter the central (push and file import).

In one transaction, with the terminal's row locked: the batch must continue the stored
high-water mark and hash; events the central already holds are compared by hash (same:
acknowledged again, nothing stored twice; different: a fork); new events are stored as
received and projected for reporting; the mark advances. Everything about the batch that
can be checked without the database is checked first, so a bad batch never takes the lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from peewee import IntegrityError

from o2pos.core.journal import EVENT_TYPES, GENESIS_HASH, wire_hash_with_payload
from o2pos.core.models import tuples

from .limits import MAX_DEPTH, body_depth
from .models import Event, Terminal, central_db
from .projection import BatchProjector
from .reports import counted
from .store import bulk_insert, lock_terminal, now, rows_in, write

MAX_BATCH = 500


class IngestError(Exception):
    """A batch the central will not take; ``status`` is the HTTP status to answer with."""

    status = 422

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class Rejected(IngestError):
    """The batch itself is wrong (a bad hash, a broken chain, an unknown type)."""


class Conflict(IngestError):
    """The batch does not fit what the central holds: a fork, a gap or a reused event id."""

    status = 409


@dataclass
class IngestResult:
    acked_seq: int
    acked_hash: str
    stored: int = 0
    duplicates: int = 0
    flagged: list[int] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "acked_seq": self.acked_seq,
            "acked_hash": self.acked_hash,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "flagged": self.flagged,
        }


def check_batch(terminal: str, events: list[dict[str, Any]]) -> list[str]:
    """What can be known about a batch without reading the database; each event's payload
    as canonical text (hashed here, and stored as it is)."""
    if not events:
        raise Rejected("empty_batch", "A batch carries at least one event")
    if len(events) > MAX_BATCH:
        raise Rejected("batch_too_large", f"A batch carries at most {MAX_BATCH} events")
    seen: set[str] = set()
    texts: list[str] = []
    for index, event in enumerate(events):
        seq = event["seq"]
        if event["event_id"] in seen:  # else the second insert breaks a unique key: a 500
            raise Rejected(
                "duplicate_event_id",
                f"Event seq {seq} repeats an event id used earlier in the batch",
                seq=seq,
            )
        seen.add(event["event_id"])
        if event["terminal_id"] != terminal:
            raise Rejected(
                "wrong_terminal",
                f"Event seq {seq} belongs to terminal {event['terminal_id']}, not {terminal}",
                seq=seq,
            )
        if event["event_type"] not in EVENT_TYPES:
            raise Rejected(
                "unknown_event_type", f"Event seq {seq} has unknown type {event['event_type']}"
            )
        if index and seq != events[index - 1]["seq"] + 1:
            raise Rejected("not_contiguous", f"Seq {seq} does not follow the event before it")
        if index and event["prev_hash"] != events[index - 1]["hash"]:
            raise Rejected("broken_chain", f"Event seq {seq} does not chain to the one before")
        try:
            # events arrive validated (schemas.EventIn refuses floats): no second float walk
            digest, text = wire_hash_with_payload(event, check=False)
        except (TypeError, ValueError) as exc:
            raise Rejected("bad_payload", f"Event seq {seq}: {exc}", seq=seq) from exc
        if digest != event["hash"]:
            raise Rejected(
                "hash_mismatch",
                f"Event seq {seq}: its hash does not match its content (altered after hashing)",
                seq=seq,
            )
        texts.append(text)
    return texts


def _stored_ids(terminal: str, first: int, last: int) -> dict[int, int]:
    """The stored rows' ids, by seq, of a batch just inserted (plain SQL: built by peewee,
    this one query cost more to write than to run)."""
    db = central_db.obj
    rows = db.execute_sql(
        f'SELECT "{Event.seq.column_name}", "{Event.id.column_name}" '
        f'FROM "{Event._meta.table_name}" WHERE "{Event.terminal.column_name}" = {db.param} '
        f'AND "{Event.seq.column_name}" BETWEEN {db.param} AND {db.param}',
        (terminal, first, last),
    )
    return dict(rows.fetchall())


def _position(terminal: Terminal) -> dict[str, Any]:
    return {"acked_seq": terminal.high_water_seq, "acked_hash": terminal.high_water_hash}


def ingest(terminal_name: str, events: list[dict[str, Any]], source: str = "push") -> IngestResult:
    """Store a contiguous batch once; see the module docstring for the rules."""
    texts = dict(zip((e["seq"] for e in events), check_batch(terminal_name, events), strict=True))
    with write():
        terminal = lock_terminal(terminal_name)
        if terminal is None:
            raise Conflict("unknown_terminal", f"No terminal named {terminal_name} is registered")
        high, high_hash = terminal.high_water_seq, terminal.high_water_hash or GENESIS_HASH
        first, last = events[0]["seq"], events[-1]["seq"]
        if first > high + 1:
            raise Conflict(
                "gap",
                f"Expected seq {high + 1}, the batch starts at {first}",
                expected_seq=high + 1,
                **_position(terminal),
            )
        held = [e for e in events if e["seq"] <= high]
        if held:
            stored = dict(
                tuples(
                    Event.select(Event.seq, Event.hash).where(
                        Event.terminal == terminal_name, Event.seq.between(first, min(last, high))
                    )
                )
            )
            for event in held:
                if stored.get(event["seq"]) != event["hash"]:
                    raise Conflict(
                        "fork",
                        f"Fork: seq {event['seq']} differs from the event the central holds",
                        seq=event["seq"],
                        expected_hash=stored.get(event["seq"]),
                        **_position(terminal),
                    )
        new = [e for e in events if e["seq"] > high]
        result = IngestResult(high, high_hash, duplicates=len(held))
        counters: dict[str, Any] = {}  # what the new events add to the terminal's (reports)
        if new:
            if new[0]["prev_hash"] != high_hash:
                raise Conflict(
                    "fork",
                    f"Fork: seq {new[0]['seq']} does not chain to the central's seq {high}",
                    seq=new[0]["seq"],
                    expected_prev_hash=high_hash,
                    **_position(terminal),
                )
            reused = rows_in([Event.event_id], Event.event_id, (e["event_id"] for e in new))
            if reused:
                raise Conflict(
                    "event_id_reused",
                    f"Event id {reused[0][0]} is already stored with a different body",
                    event_id=reused[0][0],
                    **_position(terminal),
                )
            received = now()
            rows = [
                {
                    "terminal": terminal_name,
                    "seq": event["seq"],
                    "event_id": event["event_id"],
                    "event_type": event["event_type"],
                    "created_at": event["created_at"],
                    "employee_id": event["employee_id"],
                    "approved_by": event["approved_by"],
                    "payload": texts[event["seq"]],
                    "prev_hash": event["prev_hash"],
                    "hash": event["hash"],
                    "received_at": received,
                    "source": source,
                }
                for event in new
            ]
            try:
                bulk_insert(Event, rows)
            except IntegrityError as exc:
                # another terminal stored one of these event ids a moment ago (after the
                # check above): the same answer as if it had been there first
                raise Conflict(
                    "event_id_reused",
                    "An event id in this batch is already stored with a different body",
                    **_position(terminal),
                ) from exc
            ids = _stored_ids(terminal_name, new[0]["seq"], last)
            projector = BatchProjector(terminal_name, [(ids[e["seq"]], e) for e in new], texts)
            flagged = projector.run()
            counters = counted(len(new), projector.batch.sales)
            for seq, flags in sorted(flagged.items()):
                Event.update(flag="; ".join(flags)).where(Event.id == ids[seq]).execute()
                result.flagged.append(seq)
            result.stored = len(new)
            result.acked_seq, result.acked_hash = new[-1]["seq"], new[-1]["hash"]
        Terminal.update(
            high_water_seq=result.acked_seq,
            high_water_hash=result.acked_hash,
            last_seen_at=now(),
            **counters,
        ).where(Terminal.name == terminal_name).execute()
    return result


def read_export(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A manual-transfer file written by ``o2pos sync export``: its terminal and events."""

    def no_float(value: str) -> Any:
        raise Rejected("float", f"{value} is a float; money is whole minor units")

    if body_depth(text.encode("utf-8", "surrogatepass")) > MAX_DEPTH:  # json.loads recurses
        raise Rejected("too_deep", f"The file is nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(text, parse_float=no_float)
    except json.JSONDecodeError as exc:
        raise Rejected("malformed_json", f"The file is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != "o2pos-journal-export/1":
        raise Rejected("not_an_export", "This is not an o2pos journal export")
    from pydantic import ValidationError as PydanticError

    from .schemas import EventIn  # pydantic, kept out of the import path of callers above

    terminal = data.get("terminal_id")
    events = data.get("events")
    if not isinstance(terminal, str) or not isinstance(events, list):
        raise Rejected("not_an_export", "The export has no terminal_id or events")
    checked = []
    for index, event in enumerate(events):
        try:
            checked.append(EventIn.model_validate(event).model_dump())
        except PydanticError as exc:  # its first problem in one line, not pydantic's page
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the event"
            raise Rejected(
                "bad_event", f"Event {index + 1} of the export: {where}: {first['msg']}"
            ) from exc
    return terminal, checked


def ingest_export(text: str) -> list[IngestResult]:
    """Ingest a manual transfer in protocol-sized batches (idempotent like a push)."""
    terminal, events = read_export(text)
    results = []
    for start in range(0, len(events), MAX_BATCH):
        results.append(ingest(terminal, events[start : start + MAX_BATCH], source="import"))
    return results
