"""The documents slips are printed from: journal events, which already carry everything.

A bill is its ``sale.completed`` event (lines, taxes, payments, change), a payment receipt
its ``receipt.recorded`` (or, for one taken at checkout, the bill's ``sale.completed``,
which carries the receipt's number and payments), a return its ``return.completed``, a cash
movement its ``register.cash_moved``, a Z report its ``register.closed``, a delivery note
its ``delivery.recorded``. Printing from the journal
means a reprint shows the document exactly as it was issued, whatever changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from o2pos.core import journal
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
    "transfer.sent": ("transfer", "$.number"),
    "transfer.received": ("transfer_in", "$.number"),
    "delivery.recorded": ("delivery", "$.number"),
    "stock.counted": ("stock_count", "$.number"),
}


@dataclass(frozen=True)
class Document:
    # bill | receipt | return | cash | z_report | x_report | daily_report | stock_count |
    # delivery | transfer (TO) | transfer_in (TI)
    kind: str
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


def receipt_at_checkout(row: Journal) -> Document:
    """The payment receipt a checkout issued, from its ``sale.completed`` event.

    Checkout writes no event of its own for the receipt: the bill's event carries the
    receipt's number and its payments. The receipt slip shows them as a payment against
    that one bill, what it was due and what it left on account.
    """
    sale = json.loads(row.payload)
    payload = {
        "receipt": sale["receipt"],
        "receipt_uuid": sale.get("receipt_uuid"),
        "session_id": sale.get("session_id"),
        "customer": sale.get("customer"),
        "due": sale["total"],
        "tendered": sale.get("tendered", 0),
        "applied": sale.get("applied", 0),
        "received": sale.get("received", sale.get("paid", 0)),
        "credit_given": sale.get("credit_given", 0),
        "change": sale.get("change", 0),
        "payments": sale.get("payments") or [],
        "allocations": [
            {
                "sale": sale["number"],
                "sale_uuid": sale.get("uuid"),
                "amount": sale.get("paid", 0),
                "balance": sale.get("balance", 0),
            }
        ],
        "at_checkout": True,
    }
    return Document(
        "receipt",
        sale["receipt"],
        row.created_at,
        row.terminal_id,
        row.employee_id,
        payload,
        row.approved_by,
    )


def find(ctx: Context, number: str) -> Document:
    """The document with this number: a bill, a payment receipt (at checkout or later), a
    return, a cash movement, a Z report or a delivery note. Indexed lookups
    (``journal.find_document``)."""
    wanted = number.strip().upper()
    found = journal.find_document(wanted) if wanted else None
    if found is None:
        # the number first: the notice line is 78 columns, and a long list hid it
        raise NotFound(f"{wanted}: no document of this till has that number")
    row, key = found
    if row.event_type == "sale.completed" and key == "receipt":
        return receipt_at_checkout(row)
    return from_event(row)


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
    wanted = number.strip().upper() if number else None
    if wanted:
        row = journal.document_event("$.z_number", wanted)
    else:
        latest = Journal.fetch("event_type = 'register.closed' ORDER BY seq DESC LIMIT 1")
        row = latest[0] if latest else None
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
