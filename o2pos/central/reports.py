"""What the central reports of the tills' events: per terminal (``o2pos central stats``),
the flagged events, what offers cost, and a store's day of sales.

Each is made to cost what it shows, not what the central holds (issue 16: ten million
events and more): a terminal's counts are kept at ingest in its row (``counted``); its
oddities are read through an index of the flagged events alone; what its sales still owe,
through one of the bills not paid in full; a store's day, through the events' (terminal,
created_at) index, each reporting row joined by its event. ``docs/deployment.md`` (sizing)
has the figures measured on ten million events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import SQL, fn

from o2pos.core.models import tuples

from .coupons import OVER_LIMIT
from .deliveries import OVER_DELIVERED
from .models import Event, OfferGiven, Payment, Return, Sale, Terminal
from .store import CentralError
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


def day_bounds(day: date, timezone: str) -> tuple[str, str]:
    """The store's local ``day`` in ``timezone`` as UTC bounds that compare with the
    events' ``created_at`` as text: the tills write it as ``journal.iso`` does
    (``2026-11-20T18:30:00.000000Z``, UTC), which sorts in time order, and the bounds are
    its first 19 characters, so ``start <= created_at < end`` holds for exactly the
    stamps of that day (a day of 23 or 25 hours where the clocks change included)."""
    zone = ZoneInfo(timezone)
    start, end = (
        datetime.combine(d, time.min, tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for d in (day, day + timedelta(days=1))
    )
    return start, end


def _terminal_row(name: str) -> dict[str, Any]:
    return {
        "terminal": name,
        "sales_count": 0,
        "sales_total": 0,
        "returns_count": 0,
        "returns_total": 0,
        "net_sales": 0,
        "received_total": 0,
        "unpaid_total": 0,
    }


def sales_day(store: str, day: date, timezone: str = "Asia/Kolkata") -> dict[str, Any]:
    """A store's day of sales, as its manager reads it: the bills (count, gross, discounts,
    tax, round-off, total), the returns, net sales, what is still unpaid of the day's bills
    (after payments taken since, at any till), the money taken by tender (sales and
    receipts; on account is credit given, not money, and is reported beside it), the
    refunds by method, and each till's share. Field names follow the till's own daily
    report (``o2pos report daily``), money in minor units.

    "The day" is the store's calendar day in ``timezone``, by each event's ``created_at``
    (the till's clock when the bill was made); the store's tills are those that stand in it
    now. What was flagged and not projected is not in it (``o2pos central flagged``). Three
    reads, each through the events' (terminal, created_at) index: the cost is the day's
    documents, not the history's.
    """
    names = [
        name
        for (name,) in tuples(
            Terminal.select(Terminal.name).where(Terminal.store == store).order_by(Terminal.name)
        )
    ]
    if not names:
        raise CentralError(
            f"No store named {store}: no terminal stands in it (o2pos central stats lists them)"
        )
    start, end = day_bounds(day, timezone)
    in_day = (Event.terminal.in_(names)) & (Event.created_at >= start) & (Event.created_at < end)
    tills = {name: _terminal_row(name) for name in names}
    keys = ("sales_count", "gross_total", "discount_total", "tax_total", "round_off_total")
    totals = dict.fromkeys((*keys, "sales_total", "unpaid_total"), 0)
    for name, count, gross, discounts, tax, rounding, total, balance in tuples(
        Sale.select(
            Sale.terminal,
            fn.COUNT(Sale.id),
            fn.SUM(Sale.subtotal),
            fn.SUM(Sale.discount_total),
            fn.SUM(Sale.tax_total),
            fn.SUM(Sale.round_off),
            fn.SUM(Sale.total),
            fn.SUM(Sale.balance),
        )
        .join(Event, on=(Sale.event == Event.id))
        .where(in_day)
        .group_by(Sale.terminal)
    ):
        figures = {
            "sales_count": count,
            "gross_total": gross,
            "discount_total": discounts,
            "tax_total": tax,
            "round_off_total": rounding,
            "sales_total": total,
            "unpaid_total": balance,
        }
        for key, value in figures.items():
            totals[key] += int(value)
        tills[name]["sales_count"] += int(count)
        tills[name]["sales_total"] += int(total)
        tills[name]["unpaid_total"] += int(balance)
    tenders: dict[tuple[str, str], dict[str, Any]] = {}
    by_receipt = 0
    for name, event_type, method, kind, count, amount in tuples(
        Payment.select(
            Payment.terminal,
            Event.event_type,
            Payment.method,
            Payment.kind,
            fn.COUNT(Payment.id),
            fn.SUM(Payment.amount),
        )
        .join(Event, on=(Payment.event == Event.id))
        .where(in_day)
        .group_by(Payment.terminal, Event.event_type, Payment.method, Payment.kind)
    ):
        row = tenders.setdefault(
            (method, kind), {"method": method, "kind": kind, "count": 0, "amount": 0}
        )
        row["count"] += int(count)
        row["amount"] += int(amount)
        if kind != "on_account":
            tills[name]["received_total"] += int(amount)
            if event_type == "receipt.recorded":
                by_receipt += int(amount)
    refunds: dict[str, dict[str, Any]] = {}
    for name, method, count, total in tuples(
        Return.select(
            Return.terminal, Return.refund_method, fn.COUNT(Return.id), fn.SUM(Return.total)
        )
        .join(Event, on=(Return.event == Event.id))
        .where(in_day)
        .group_by(Return.terminal, Return.refund_method)
    ):
        row = refunds.setdefault(method, {"method": method, "count": 0, "amount": 0})
        row["count"] += int(count)
        row["amount"] += int(total)
        tills[name]["returns_count"] += int(count)
        tills[name]["returns_total"] += int(total)
    for till in tills.values():
        till["net_sales"] = till["sales_total"] - till["returns_total"]
    payments = [tenders[key] for key in sorted(tenders) if key[1] != "on_account"]
    returns_count = sum(r["count"] for r in refunds.values())
    returns_total = sum(r["amount"] for r in refunds.values())
    return {
        "store": store,
        "day": day.isoformat(),
        "timezone": timezone,
        "from_utc": start,
        "to_utc": end,
        **totals,
        "returns_count": returns_count,
        "returns_total": returns_total,
        "net_sales": totals["sales_total"] - returns_total,
        "payments": payments,
        "received_total": sum(p["amount"] for p in payments),
        # of which by receipts: paid after the bill was made (orders, dues), whichever day
        "received_by_receipts": by_receipt,
        "on_account_total": sum(
            row["amount"] for key, row in tenders.items() if key[1] == "on_account"
        ),
        "refunds": [refunds[key] for key in sorted(refunds)],
        "terminals": [tills[name] for name in names],
    }
