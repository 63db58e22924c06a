"""What the central reports of the tills' events: per terminal (``o2pos central stats``),
the flagged events, and what offers cost.

A terminal's figures are made to cost what they show, not what the central holds (issue
16: ten million events and more): its counts are kept at ingest in its row (``counted``);
its oddities are read through an index of the flagged events alone; what its sales still
owe, through one of the bills not paid in full.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from peewee import SQL, fn

from o2pos.core.models import tuples

from .coupons import OVER_LIMIT
from .deliveries import OVER_DELIVERED
from .models import Event, OfferGiven, Sale, Terminal
from .transfers import RECEIVED_TWICE
from .vouchers import DOUBLE_SPENT

# how ``stats`` names the kinds of flag it counts: the flag's words for each
ODDITIES = {
    "double_spent": DOUBLE_SPENT,  # redemptions accepted offline the balance could not cover
    "coupon_over_limit": OVER_LIMIT,  # coupons used offline beyond the store's limit
    "over_delivered": OVER_DELIVERED,  # deliveries of more than was left, at two tills at once
    "transfers_received_twice": RECEIVED_TWICE,  # receipts after another receipt was in
}


def counted(events: int, sales: list[dict[str, Any]]) -> dict[str, Any]:
    """What one ingested batch adds to its terminal's counters: ``events`` stored, and the
    ``sales`` rows projected from them. Ingest writes it in the update that advances the
    high-water mark, so the counters move exactly when (and as often as) events are
    stored: a batch sent again stores nothing and adds nothing."""
    return {
        "event_count": Terminal.event_count + events,
        "sales_count": Terminal.sales_count + len(sales),
        "sales_total": Terminal.sales_total + sum(int(row["total"]) for row in sales),
    }


def _oddities(terminal: str | None) -> dict[str, dict[str, int]]:
    """Per terminal: its flagged events, and how many are of each kind ``ODDITIES`` names.
    One read of the flagged events (``event_flagged``: few, whatever the history)."""
    query = Event.select(Event.terminal, Event.event_type, Event.flag).where(
        Event.flag.is_null(False)
    )
    if terminal is not None:
        query = query.where(Event.terminal == terminal)
    counts: dict[str, dict[str, int]] = {}
    for name, event_type, flag in tuples(query):
        row = counts.setdefault(name, {"flagged": 0, **dict.fromkeys(ODDITIES, 0)})
        row["flagged"] += 1
        text = flag.lower()
        for kind, words in ODDITIES.items():
            if words.lower() in text and (
                kind != "transfers_received_twice" or event_type == "transfer.received"
            ):
                row[kind] += 1
    return counts


def stats(terminal: str | None = None) -> dict[str, dict[str, Any]]:
    """Per terminal (every one, or only ``terminal``): what arrived and what it adds up to.

    Nothing here scans the history: the counts come from the terminal's row, the
    oddities from the flagged events, what is still unpaid of its sales (whichever till
    took the payments) from the bills not paid in full (``sale_unpaid``, a partial index:
    its term must be the index's own, a literal 0).
    """
    terminals = Terminal.select().order_by(Terminal.name)
    unpaid_query = Sale.select(Sale.terminal, fn.SUM(Sale.balance)).where(Sale.balance != SQL("0"))
    if terminal is not None:
        terminals = terminals.where(Terminal.name == terminal)
        unpaid_query = unpaid_query.where(Sale.terminal == terminal)
    unpaid = dict(tuples(unpaid_query.group_by(Sale.terminal)))
    oddities = _oddities(terminal)
    result = {}
    for row in terminals:
        odd = oddities.get(row.name, {})
        result[row.name] = {
            "events": int(row.event_count),
            "high_water_seq": int(row.high_water_seq),
            "sales_count": int(row.sales_count),
            "sales_total": int(row.sales_total),
            "sales_unpaid": int(unpaid.get(row.name) or 0),
            "flagged": odd.get("flagged", 0),
            **{kind: odd.get(kind, 0) for kind in ODDITIES},
            "revoked": bool(row.revoked),
            "last_seen_at": row.last_seen_at.isoformat() if row.last_seen_at else None,
        }
    return result


def flagged(terminal: str | None = None) -> list[dict[str, Any]]:
    """Every flagged event (of one terminal, or all), by terminal and seq, with its reason.

    What the back office reads to see which events were stored but not projected, or
    projected with an oddity; the events themselves are never changed.
    """
    query = (
        Event.select(Event.terminal, Event.seq, Event.event_type, Event.created_at, Event.flag)
        .where(Event.flag.is_null(False))
        .order_by(Event.terminal, Event.seq)
    )
    if terminal is not None:
        query = query.where(Event.terminal == terminal)
    return [
        {
            "terminal": name,
            "seq": int(seq),
            "event_type": event_type,
            "created_at": created_at,
            "reason": flag,
        }
        for name, seq, event_type, created_at, flag in tuples(query)
    ]


def offers(
    store: str | None = None,
    first: date | None = None,
    last: date | None = None,
    timezone: str = "Asia/Kolkata",
) -> list[dict[str, Any]]:
    """What each offer cost per store and day (the store's local day, ``timezone``): on how
    many bills it gave, and how much, from the bills' own records (``OfferGiven``)."""
    query = OfferGiven.select(
        OfferGiven.store,
        OfferGiven.completed_at,
        OfferGiven.code,
        OfferGiven.name,
        OfferGiven.amount,
    )
    if store is not None:
        query = query.where(OfferGiven.store == store)
    zone = ZoneInfo(timezone)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for shop, stamp, code, name, amount in tuples(query):
        day = datetime.fromisoformat(stamp).replace(tzinfo=UTC).astimezone(zone).date()
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        row = rows.setdefault(
            (shop, day.isoformat(), code),
            {
                "store": shop,
                "day": day.isoformat(),
                "code": code,
                "name": name,
                "times": 0,
                "amount": 0,
            },
        )
        row["times"] += 1
        row["amount"] += int(amount)
    return [rows[key] for key in sorted(rows)]
