"""Loyalty points of every customer, one balance for every till (docs/loyalty.md).

A ``sale.completed`` with ``points`` adds what the bill earned and takes what it redeemed;
a ``return.completed`` with ``points`` takes back what it reversed. Each change is
published as master data (kind ``points``, key the customer's UUID, with the last seq of
each till's events it counts) so a till shows the balance when it cannot ask.

Online, a till reserves the points before it takes them as a tender (``reserve``): a hold
against the balance under an id the till picks, so two tills can never hold more than
there is. The sale's payment line names the reservation; projecting it redeems that
reservation once. A redemption taken offline (``[central] offline_points``), or a return
that reverses more than is left, cannot make the balance negative: it stops at zero and
the event is flagged ``points below zero`` for review.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from peewee import fn

from .models import PointsAccount, PointsReservation, Terminal
from .orders import OrderRefusal
from .store import is_postgres, now, write

MAX_LEASE = 86400
DEFAULT_LEASE = 900
BELOW_ZERO = "points below zero"
MASTER_KIND = "points"


def _held(customer: str, moment: Any, *, but: str | None = None) -> int:
    query = PointsReservation.select(fn.COALESCE(fn.SUM(PointsReservation.points), 0)).where(
        PointsReservation.customer == customer,
        PointsReservation.state == "held",
        PointsReservation.expires_at > moment,
    )
    if but is not None:
        query = query.where(PointsReservation.reservation_id != but)
    return int(query.scalar() or 0)


def _account(customer: str, *, lock: bool = False) -> PointsAccount | None:
    query = PointsAccount.select().where(PointsAccount.customer == customer)
    if lock and is_postgres():
        query = query.for_update()
    return query.first()


def lookup(customer: str) -> dict[str, Any]:
    """A customer's points now: the balance and what is free of live reservations."""
    account = _account(customer)
    balance = account.balance if account else 0
    return {
        "customer": customer,
        "balance": balance,
        "available": max(0, balance - _held(customer, now())),
    }


def reserve(
    terminal: Terminal, customer: str, reservation_id: str, points: int, lease_seconds: int
) -> dict[str, Any]:
    """Hold ``points`` for this till's payment; idempotent by reservation id. 409
    ``insufficient`` (with ``available``) when fewer are free of other holds."""
    moment = now()
    with write():
        account = _account(customer, lock=True)
        row = PointsReservation.get_or_none(PointsReservation.reservation_id == reservation_id)
        if row is not None and (row.customer != customer or row.terminal != terminal.name):
            raise OrderRefusal(
                409, "reservation_conflict", "This reservation id holds other points", {}
            )
        if row is not None and row.state == "released":
            raise OrderRefusal(409, "released", "This reservation was released", {})
        if row is None or row.state == "held":
            wanted = row.points if row is not None else points
            balance = account.balance if account else 0
            free = balance - _held(customer, moment, but=reservation_id)
            if wanted > free:
                raise OrderRefusal(
                    409,
                    "insufficient",
                    f"The customer has only {max(0, free)} points free",
                    {"available": max(0, free)},
                )
            expires = moment + timedelta(seconds=lease_seconds)
            if row is None:
                PointsReservation.insert(
                    reservation_id=reservation_id,
                    customer=customer,
                    terminal=terminal.name,
                    points=wanted,
                    created_at=moment,
                    expires_at=expires,
                ).execute()
            else:
                PointsReservation.update(expires_at=expires).where(
                    PointsReservation.reservation_id == reservation_id
                ).execute()
        row = PointsReservation.get_by_id(reservation_id)
        return {
            "reservation_id": row.reservation_id,
            "points": row.points,
            "state": row.state,
            "expires_at": row.expires_at.isoformat(timespec="seconds") + "Z",
            "account": lookup(customer),
        }


def release(terminal: Terminal, customer: str, reservation_id: str) -> bool:
    """Give a hold up (the cashier took another tender); whether one was held."""
    with write():
        done = (
            PointsReservation.update(state="released")
            .where(
                PointsReservation.reservation_id == reservation_id,
                PointsReservation.customer == customer,
                PointsReservation.terminal == terminal.name,
                PointsReservation.state == "held",
            )
            .execute()
        )
    return bool(done)


# --- projection (inside ingest's transaction, called by projection.BatchProjector) ---------


def move(
    terminal: str,
    seq: int,
    customer: str,
    earned: int,
    taken: int,
    reservation_id: str | None,
    flags: list[str],
) -> None:
    """Count one event's points: ``earned`` added, ``taken`` (redeemed or reversed) taken
    off, never below zero (the rest is flagged); a named reservation is redeemed once."""
    from .master import put

    if not earned and not taken and not reservation_id:
        return  # nothing moved: no record to publish to every till
    account = _account(customer, lock=True)
    if account is None:
        # another till's batch may be opening this customer's account at this moment (on
        # PostgreSQL, not yet visible here): the insert waits for it and then leaves its
        # row be, where a plain insert ended this batch in a unique-key error, a 500
        PointsAccount.insert(
            customer=customer, balance=0, as_of="{}"
        ).on_conflict_ignore().execute()
        account = _account(customer, lock=True) or PointsAccount.get_by_id(customer)
    as_of = json.loads(account.as_of)
    if as_of.get(terminal, 0) >= seq:  # counted before (a batch sent again)
        return
    after = account.balance + earned - taken
    if after < 0:
        flags.append(f"{BELOW_ZERO}: customer {customer} had {account.balance + earned}")
        after = 0
    as_of[terminal] = seq
    text = json.dumps(as_of, sort_keys=True)
    PointsAccount.update(balance=after, as_of=text).where(
        PointsAccount.customer == customer
    ).execute()
    if reservation_id:
        PointsReservation.update(state="redeemed").where(
            PointsReservation.reservation_id == reservation_id,
            PointsReservation.customer == customer,
        ).execute()
    put(MASTER_KIND, customer, {"balance": after, "as_of": as_of})


def load_demo(customers: list[str], balance: int) -> None:
    """Give demo customers some points to redeem (``o2pos central load-demo``), once."""
    from .master import put

    for customer in customers:
        if _account(customer) is None:
            PointsAccount.insert(customer=customer, balance=balance, as_of="{}").execute()
            put(MASTER_KIND, customer, {"balance": balance, "as_of": {}})


def balances() -> list[dict[str, Any]]:
    """Every customer's points with their name and phone (``o2pos central points``)."""
    from .master import get

    out = []
    for row in PointsAccount.select().order_by(PointsAccount.customer):
        customer = get("customer", row.customer) or {}
        out.append(
            {
                "customer": row.customer,
                "name": customer.get("name"),
                "phone": customer.get("phone"),
                "balance": row.balance,
                "available": lookup(row.customer)["available"],
            }
        )
    return out
