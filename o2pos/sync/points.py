"""Loyalty points checked at the central while a cashier waits (docs/loyalty.md).

Like ``sync.vouchers``: a client of its own with the short ``[central]
lookup_timeout_seconds``. Online, a points tender is reserved at the central first (the
hold the bill's payment line then names, so the central redeems it exactly once, and two
tills can never hold more than the customer has). When the central cannot be asked,
``[central] offline_points`` decides: 0 (the default) refuses points offline and says so;
a few points are taken against this till's copy of the balance.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

import httpx

from o2pos.config import CentralConfig
from o2pos.core import loyalty
from o2pos.core.errors import PaymentError
from o2pos.core.payments import Tender

from .client import CentralClient, SyncError

OFFLINE = "The central cannot be reached"


class PointsUnavailable(Exception):
    """The central could not be asked (offline, busy, not configured): a sentence to show."""


@dataclass(frozen=True)
class Asked:
    """What the central said of a points tender: a hold (its id and the customer's points
    then), or a refusal to show; neither when it could not be asked."""

    reservation_id: str | None = None
    available: int = 0
    refused: PaymentError | None = None


def _client(central: CentralConfig, transport: httpx.BaseTransport | None) -> CentralClient:
    return CentralClient.for_lookups_or(central, PointsUnavailable, OFFLINE, transport=transport)


def ask(
    central: CentralConfig,
    customer: str,
    points: int,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Asked:
    """Reserve ``points`` of the customer's at the central. Network only, no database: the
    payment dialog runs it in a worker, then ``tender_of`` on the UI thread."""
    try:
        client = _client(central, transport)
    except PointsUnavailable:
        return Asked()
    try:
        answer = client.reserve_points(customer, str(uuidlib.uuid4()), points, 900)
        return Asked(answer["reservation_id"], int(answer["account"]["available"]))
    except SyncError as exc:
        if exc.kind != "rejected":
            return Asked()
        if exc.details.get("error") == "insufficient":
            free = int(exc.details.get("available") or 0)
            return Asked(refused=PaymentError(f"The customer has only {free} points to redeem"))
        return Asked(refused=PaymentError(f"Points: {exc.message}"))
    finally:
        client.close()


def tender_of(
    central: CentralConfig, method: str, customer: str, amount: int, asked: Asked
) -> tuple[Tender, str]:
    """The points tender for what the central said, or for the offline policy when it
    could not be asked; raises ``PaymentError`` with the sentence the cashier reads."""
    if asked.refused is not None:
        raise asked.refused
    scheme = loyalty.current()
    if scheme is None:
        raise PaymentError("No points scheme is in force")
    points = loyalty.points_for(amount, scheme)
    if asked.reservation_id is not None:
        note = f"{points} points held at the central; {asked.available} left after"  # net of it
        return Tender(method, amount, customer, asked.reservation_id), note
    if points > central.offline_points:
        if central.offline_points == 0:
            raise PaymentError(
                "Points cannot be redeemed offline: the central, which holds every till's "
                "points, cannot be reached. Take another tender."
            )
        raise PaymentError(
            f"Offline, at most {central.offline_points} points a bill can be redeemed "
            "(the central cannot be reached)"
        )
    loyalty.redeemable(customer, amount)
    return Tender(method, amount, customer), f"{points} points taken offline (this till's copy)"


def release(central: CentralConfig, customer: str, reservation_id: str) -> None:
    """Give a hold up (the payment was cancelled); one that cannot be released runs out."""
    try:
        client = _client(central, None)
    except PointsUnavailable:
        return
    try:
        client.release_points(customer, reservation_id)
    except SyncError:
        return
    finally:
        client.close()


def points_tender(
    central: CentralConfig,
    method: str,
    customer: str,
    amount: int,
    *,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Tender, str]:
    """``ask`` and ``tender_of`` in one, for callers with no screen to keep responsive."""
    scheme = loyalty.current()
    if scheme is None:
        raise PaymentError("No points scheme is in force")
    points = loyalty.points_for(amount, scheme)
    if points < scheme.min_redeem:
        raise PaymentError(f"At least {scheme.min_redeem} points are redeemed at a time")
    return tender_of(
        central, method, customer, amount, ask(central, customer, points, transport=transport)
    )
