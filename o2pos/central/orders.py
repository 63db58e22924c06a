"""Open orders across the tills of one store, and claims on them before a till takes payment.

An order is a sale projected from any till's ``sale.completed``; its lines are read from
that event as stored (a completed bill never changes, so the event is the record and no
copy of its lines can drift from it). Every query is scoped to the calling terminal's store:
another store's order is "not found", never shown.

A claim is a lease on one order for one till, in the ``order_claim`` table, so several
central workers agree on it. The till picks the claim id: asking again with the same id
renews the lease and answers the same claim, so a lost answer is simply asked for again. A
claim is granted only while no other till's lease is live and the order has a balance; it
carries the balance at that moment, which is what the holder may pay at most. The holder's
``receipt.recorded`` allocating to the order settles (removes) the claim when it is
projected (``projection.py``); an allocation beyond the balance is flagged there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from peewee import IntegrityError

from .models import Event, OrderClaim, Sale, Terminal
from .store import is_postgres, now, write

MAX_LEASE = 600  # seconds: long enough to count cash, short enough for a dead till's lease
DEFAULT_LEASE = 120
MAX_LIST = 100


@dataclass
class OrderRefusal(Exception):
    """An order lookup or claim the central will not answer with the order (404, 409)."""

    status: int
    code: str
    message: str
    extra: dict[str, Any]


def _store_sales(store: str) -> Any:
    """Sales made at any terminal of ``store``, with the event that carries their lines."""
    return (
        Sale.select(Sale, Event.payload)
        .join(Event)
        .switch(Sale)
        .join(Terminal, on=(Sale.terminal == Terminal.name))
        .where(Terminal.store == store)
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _order(sale: Sale, claim: OrderClaim | None, moment: datetime) -> dict[str, Any]:
    payload = json.loads(sale.event.payload)
    customer = payload.get("customer") or None
    live = claim is not None and claim.expires_at > moment
    return {
        "uuid": sale.uuid,
        "number": sale.number,
        "terminal": sale.terminal,
        "completed_at": sale.completed_at,
        "customer": (
            {"uuid": customer.get("uuid"), "name": customer.get("name")} if customer else None
        ),
        "total": sale.total,
        "paid": sale.paid,
        "balance": sale.balance,
        "lines": [
            {
                "line_no": line.get("line_no"),
                "sku": line.get("sku"),
                "name": line.get("name"),
                "qty_milli": line.get("qty_milli"),
                "unit_price": line.get("unit_price"),
                "total": line.get("total"),
            }
            for line in payload.get("lines") or []
        ],
        "claim": (
            {"terminal": claim.terminal, "expires_at": _iso(claim.expires_at)}
            if claim is not None and live
            else None
        ),
    }


def _named(sale: Sale, name: str) -> bool:
    customer = json.loads(sale.event.payload).get("customer") or {}
    return name in str(customer.get("name") or "").casefold()


def find_orders(
    store: str,
    *,
    number: str | None = None,
    customer: str | None = None,
    name: str | None = None,
    limit: int = MAX_LIST,
) -> list[dict[str, Any]]:
    """The store's orders by number (whatever their balance: "already paid" is an answer),
    else its open orders (balance > 0), of one customer (uuid) or of customers whose name
    holds ``name`` (any case) if asked, oldest first.

    The name is matched in Python against the customer each bill carries (as it was when
    sold, in any script: no SQL LIKE over JSON text), among the store's open bills that
    have a customer: a store's unpaid on-account bills are a few hundred at most."""
    query = _store_sales(store)
    if number is not None:
        query = query.where(Sale.number == number.strip().upper())
    else:
        query = query.where(Sale.balance > 0)
        if customer is not None:
            query = query.where(Sale.customer_uuid == customer)
    query = query.order_by(Sale.completed_at, Sale.id)
    if name is not None and number is None:
        wanted = name.strip().casefold()
        named = query.where(Sale.customer_uuid.is_null(False))
        sales = [sale for sale in named if _named(sale, wanted)][:limit]
    else:
        sales = list(query.limit(limit))
    if number is not None and not sales:
        raise OrderRefusal(
            404, "not_found", f"No order numbered {number.strip()} in store {store}", {}
        )
    claims = {
        c.sale_uuid: c
        for c in OrderClaim.select().where(OrderClaim.sale_uuid.in_([s.uuid for s in sales]))
    }
    moment = now()
    return [_order(sale, claims.get(sale.uuid), moment) for sale in sales]


def _locked_sale(store: str, uuid: str) -> Sale:
    """The order, locked on PostgreSQL until the transaction ends (SQLite's write lock is
    already held by ``write``), so two claims on it are decided one after the other."""
    query = _store_sales(store).where(Sale.uuid == uuid)
    if is_postgres():
        query = query.for_update(of=Sale)
    sale = query.first()
    if sale is None:
        raise OrderRefusal(404, "not_found", f"No order {uuid} in store {store}", {})
    return sale


def _held(claim: OrderClaim) -> OrderRefusal:
    until = _iso(claim.expires_at)
    return OrderRefusal(
        409,
        "claimed",
        f"Terminal {claim.terminal} is taking payment for this order (until {until})",
        {"holder": claim.terminal, "expires_at": until},
    )


def claim_order(terminal: Terminal, uuid: str, claim_id: str, lease_seconds: int) -> dict[str, Any]:
    """Grant, renew or refuse a claim on one order of the terminal's store."""
    moment = now()
    expires = moment + timedelta(seconds=lease_seconds)
    try:
        with write():
            sale = _locked_sale(terminal.store, uuid)
            claim = OrderClaim.get_or_none(OrderClaim.sale_uuid == uuid)
            mine = claim is not None and claim.claim_id == claim_id
            if claim is not None and not mine and claim.expires_at > moment:
                raise _held(claim)
            if mine and claim is not None and claim.terminal != terminal.name:
                raise _held(claim)  # someone else's claim id: never theirs to renew
            if not mine and sale.balance <= 0:
                raise OrderRefusal(409, "paid", f"Order {sale.number} is already paid", {})
            balance = claim.balance if mine and claim is not None else sale.balance
            if claim is None:
                OrderClaim.insert(
                    sale_uuid=uuid,
                    claim_id=claim_id,
                    terminal=terminal.name,
                    balance=balance,
                    claimed_at=moment,
                    expires_at=expires,
                ).execute()
            else:  # an expired lease taken over, or this claim renewed
                OrderClaim.update(
                    claim_id=claim_id,
                    terminal=terminal.name,
                    balance=balance,
                    claimed_at=moment if not mine else claim.claimed_at,
                    expires_at=expires,
                ).where(OrderClaim.sale_uuid == uuid).execute()
    except IntegrityError:
        # another worker inserted the first claim between our read and insert
        winner = OrderClaim.get_or_none(OrderClaim.sale_uuid == uuid)
        if winner is None or winner.claim_id == claim_id:
            raise
        raise _held(winner) from None
    return {
        "claim_id": claim_id,
        "sale_uuid": uuid,
        "number": sale.number,
        "terminal": terminal.name,
        "order_terminal": sale.terminal,
        "total": sale.total,
        "balance": balance,
        "expires_at": _iso(expires),
    }


def release_order(terminal: Terminal, uuid: str, claim_id: str) -> bool:
    """Give a claim up (the cashier cancelled); whether there was one with this id to free."""
    with write():
        _locked_sale(terminal.store, uuid)
        done = (
            OrderClaim.delete()
            .where(
                OrderClaim.sale_uuid == uuid,
                OrderClaim.claim_id == claim_id,
                OrderClaim.terminal == terminal.name,
            )
            .execute()
        )
    return bool(done)
