"""Per-terminal figures for ``o2pos central stats``: what arrived, and what it adds up to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from peewee import fn

from o2pos.core.models import tuples

from .coupons import over_limit_counts
from .deliveries import OVER_DELIVERED
from .models import Event, OfferGiven, Sale, Terminal
from .transfers import received_twice
from .vouchers import DOUBLE_SPENT


def stats() -> dict[str, dict[str, Any]]:
    events = dict(tuples(Event.select(Event.terminal, fn.COUNT(Event.id)).group_by(Event.terminal)))
    flagged = dict(
        tuples(
            Event.select(Event.terminal, fn.COUNT(Event.id))
            .where(Event.flag.is_null(False))
            .group_by(Event.terminal)
        )
    )
    # redemptions accepted offline that the balance could not cover (``vouchers.py``)
    double_spent = dict(
        tuples(
            Event.select(Event.terminal, fn.COUNT(Event.id))
            .where(Event.flag.contains(DOUBLE_SPENT))
            .group_by(Event.terminal)
        )
    )
    # deliveries of more than was left to deliver, made at two tills at once (``deliveries.py``)
    over_delivered = dict(
        tuples(
            Event.select(Event.terminal, fn.COUNT(Event.id))
            .where(Event.flag.contains(OVER_DELIVERED))
            .group_by(Event.terminal)
        )
    )
    # coupons used offline beyond the store's limit (``coupons.py``)
    over_limit = over_limit_counts()
    # transfers this till received after another receipt of them was in (``transfers.py``)
    twice = received_twice()
    # what is still unpaid of the sales each till made, whichever till took the payments
    sales = {
        terminal: (count, total, unpaid)
        for terminal, count, total, unpaid in tuples(
            Sale.select(
                Sale.terminal,
                fn.COUNT(Sale.id),
                fn.COALESCE(fn.SUM(Sale.total), 0),
                fn.COALESCE(fn.SUM(Sale.balance), 0),
            ).group_by(Sale.terminal)
        )
    }
    result = {}
    for terminal in Terminal.select().order_by(Terminal.name):
        count, total, unpaid = sales.get(terminal.name, (0, 0, 0))
        result[terminal.name] = {
            "events": int(events.get(terminal.name, 0)),
            "high_water_seq": int(terminal.high_water_seq),
            "sales_count": int(count),
            "sales_total": int(total),
            "sales_unpaid": int(unpaid),
            "flagged": int(flagged.get(terminal.name, 0)),
            "double_spent": int(double_spent.get(terminal.name, 0)),
            "coupon_over_limit": int(over_limit.get(terminal.name, 0)),
            "transfers_received_twice": int(twice.get(terminal.name, 0)),
            "over_delivered": int(over_delivered.get(terminal.name, 0)),
            "revoked": bool(terminal.revoked),
            "last_seen_at": terminal.last_seen_at.isoformat() if terminal.last_seen_at else None,
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
