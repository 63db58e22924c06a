"""The documents slips are printed from: journal events, which already carry everything.

A bill is its ``sale.completed`` event (lines, taxes, payments, change), a payment receipt
its ``receipt.recorded``, a return its ``return.completed``, a cash movement its
``register.cash_moved``, a Z report its ``register.closed``. Printing from the journal
means a reprint shows the document exactly as it was issued, whatever changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from peewee import fn

from o2pos.core.context import Context
from o2pos.core.errors import NotFound
from o2pos.core.journal import iso
from o2pos.core.models import Journal

# event type -> (slip kind, where its document number is in the payload)
PRINTABLE = {
    "sale.completed": ("bill", "$.number"),
    "receipt.recorded": ("receipt", "$.receipt"),
    "return.completed": ("return", "$.number"),
    "register.cash_moved": ("cash", "$.number"),
    "register.closed": ("z_report", "$.z_number"),
}


@dataclass(frozen=True)
class Document:
    kind: str  # bill | receipt | return | cash | z_report | x_report | daily_report
    number: str
    created_at: str  # ISO UTC, as in the journal
    terminal_id: str
    employee_id: str | None
    payload: dict[str, Any]
    approved_by: str | None = None  # the manager who approved it (the event's approved_by)


def from_event(row: Journal) -> Document:
    kind, path = PRINTABLE[row.event_type]
    payload = json.loads(row.payload)
    number = payload[path.removeprefix("$.")]
    return Document(
        kind,
        number,
        row.created_at,
        row.terminal_id,
        row.employee_id,
        payload,
        row.approved_by,
    )


def find(ctx: Context, number: str) -> Document:
    """The document with this number (bill, receipt, return, cash movement or Z report)."""
    wanted = number.strip().upper()
    for event_type, (_kind, path) in PRINTABLE.items():
        row = (
            Journal.select()
            .where(
                Journal.event_type == event_type,
                Journal.payload.contains(f'"{wanted}"'),  # a cheap filter before JSON
            )
            .order_by(Journal.seq.desc())
        )
        for candidate in row:
            if json.loads(candidate.payload).get(path.removeprefix("$.")) == wanted:
                return from_event(candidate)
    raise NotFound(f"No bill, receipt, return, cash movement or Z report numbered {wanted}")


def last(ctx: Context) -> Document:
    """The most recent printable document of this till."""
    row = (
        Journal.select()
        .where(Journal.event_type.in_(list(PRINTABLE)))
        .order_by(Journal.seq.desc())
        .first()
    )
    if row is None:
        raise NotFound("Nothing has been printed on this till yet")
    return from_event(row)


def x_report(ctx: Context) -> Document:
    """The open shift's X report, as of now (not a journal event: it changes nothing)."""
    from o2pos.core import reports

    data = reports.x_report(ctx)
    return Document(
        "x_report", "X", iso(ctx.now()), ctx.terminal_id, None, json.loads(json.dumps(data))
    )


def z_report(ctx: Context, number: str | None = None) -> Document:
    """The Z report of this till's latest closed session, or of the one numbered ``number``.

    It is the session's ``register.closed`` event, so it reads as it did at closing.
    """
    query = Journal.select().where(Journal.event_type == "register.closed")
    wanted = number.strip().upper() if number else None
    if wanted:
        query = query.where(fn.json_extract(Journal.payload, "$.z_number") == wanted)
    row = query.order_by(Journal.seq.desc()).first()
    if row is None:
        raise NotFound(
            f"No Z report {wanted}" if wanted else "No register session has been closed yet"
        )
    return from_event(row)


def daily_report(ctx: Context, day: date | None = None) -> Document:
    """One calendar day of this till, across sessions, as of now (changes nothing)."""
    from o2pos.core import reports

    data = reports.daily_report(ctx, day)
    return Document(
        "daily_report",
        data["date"],
        iso(ctx.now()),
        ctx.terminal_id,
        None,
        json.loads(json.dumps(data)),
    )
