"""Other tills' orders, asked of the central while a cashier waits: briefly, never a hang.

The client here has its own short timeout (``[central] lookup_timeout_seconds``, 1 s by
default), apart from the sync engine's, which may wait longer for a large push. Whatever
keeps the central from answering becomes ``OrdersUnavailable``, whose message is what the
cashier reads: the till's own orders keep working from its database. A claim returns the
``core.payments.RemoteOrder`` that ``payments.collect`` pays, with this till's own orders
in one receipt if the cashier chose both.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import httpx

from o2pos.config import CentralConfig
from o2pos.core.payments import OwnOrder, RemoteOrder

from .client import CentralClient, Refused, SyncError

OFFLINE = "Other tills' bills are unavailable offline"
PAID_ELSEWHERE = "was paid at another counter"


class OrdersUnavailable(Exception):
    """The central could not be asked (offline, busy, not configured): a sentence to show."""


class OrderRefused(Refused):
    """The central answered no: unknown order (``code`` not_found), held by another till
    (claimed: ``holder`` and ``expires_at``), or already paid."""


@dataclass(frozen=True)
class StoreOrderLine:
    name: str
    qty_milli: int
    unit_price: int
    total: int


@dataclass(frozen=True)
class StoreOrder:
    """An order of any till of this store, as the central holds it."""

    uuid: str
    number: str
    terminal: str
    customer_uuid: str | None
    customer_name: str | None
    total: int
    paid: int
    balance: int
    lines: list[StoreOrderLine]
    held_by: str | None  # the terminal whose claim on it is live


def _order(data: dict[str, Any]) -> StoreOrder:
    customer = data.get("customer") or {}
    claim = data.get("claim") or {}
    return StoreOrder(
        uuid=data["uuid"],
        number=data["number"],
        terminal=data["terminal"],
        customer_uuid=customer.get("uuid"),
        customer_name=customer.get("name"),
        total=data["total"],
        paid=data["paid"],
        balance=data["balance"],
        lines=[
            StoreOrderLine(
                str(line.get("name") or line.get("sku") or ""),
                int(line.get("qty_milli") or 0),
                int(line.get("unit_price") or 0),
                int(line.get("total") or 0),
            )
            for line in data.get("lines") or []
        ],
        held_by=claim.get("terminal"),
    )


def _naming(refusal: OrderRefused, number: str) -> OrderRefused:
    """The refusal with the order's number in front, so the cashier knows which bill of
    several it is about (the central's message may say only "this order")."""
    if number in refusal.message:
        return refusal
    return OrderRefused(refusal.code, f"{number}: {refusal.message}", refusal.details)


class StoreOrders:
    """The store's orders at the central; claims last ``lease_seconds`` unless told."""

    def __init__(self, client: CentralClient, lease_seconds: int = 120) -> None:
        self.client, self.lease = client, lease_seconds

    @classmethod
    def from_config(
        cls, central: CentralConfig, *, transport: httpx.BaseTransport | None = None
    ) -> StoreOrders:
        client = CentralClient.for_lookups_or(
            central, OrdersUnavailable, OFFLINE, transport=transport
        )
        return cls(client, central.claim_lease_seconds)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, method)(*args, **kwargs)
        except SyncError as exc:
            if exc.kind == "rejected":
                code = str(exc.details.get("error") or "rejected")
                raise OrderRefused(code, exc.message, exc.details) from exc
            if exc.kind == "unauthorized":
                raise OrdersUnavailable(f"{OFFLINE}: {exc.message}") from exc
            raise OrdersUnavailable(f"{OFFLINE} ({exc.message})") from exc
        return result

    def find(self, number: str) -> StoreOrder:
        """The store's order numbered ``number``; ``OrderRefused`` not_found if none."""
        answer = self._call("store_orders", number=number.strip())
        return _order(answer["orders"][0])

    def open_orders(
        self, customer: str | None = None, name: str | None = None, limit: int = 30
    ) -> list[StoreOrder]:
        """The store's orders with a balance, oldest first: of one customer uuid, or of the
        customers whose name holds ``name``, if given."""
        query: dict[str, str | int] = {"limit": limit}
        if customer:
            query["customer"] = customer
        if name and name.strip():
            query["name"] = name.strip()
        return [_order(o) for o in self._call("store_orders", **query)["orders"]]

    def claim(
        self, order: StoreOrder, claim_id: str | None = None, lease_seconds: int | None = None
    ) -> RemoteOrder:
        """Hold ``order`` for this till; the same ``claim_id`` again renews the same claim."""
        chosen = claim_id or str(uuidlib.uuid4())
        answer = self._call("claim_order", order.uuid, chosen, lease_seconds or self.lease)
        return RemoteOrder(
            uuid=answer["sale_uuid"],
            number=answer["number"],
            terminal=answer["order_terminal"],
            balance=answer["balance"],
            claim_id=answer["claim_id"],
            customer_uuid=order.customer_uuid,
        )

    def renew(self, order: RemoteOrder) -> RemoteOrder:
        """The same claim with a fresh lease, just before paying: a claim whose lease ran
        out and was taken by another counter is refused (``claimed``) rather than paid."""
        answer = self._call("claim_order", order.uuid, order.claim_id, self.lease)
        return RemoteOrder(
            uuid=order.uuid,
            number=order.number,
            terminal=order.terminal,
            balance=answer["balance"],
            claim_id=order.claim_id,
            customer_uuid=order.customer_uuid,
        )

    def release(self, order: RemoteOrder) -> bool:
        return bool(self._call("release_order", order.uuid, order.claim_id)["released"])

    def claim_own(self, orders: list[OwnOrder]) -> list[RemoteOrder]:
        """Hold this till's own pushed orders before it takes payment, as another counter
        would: so a bill is never paid at two counters. Refused (``OrderRefused``) when
        another till holds one (its message names the holder) or the central's balance is
        below this till's, which means it was paid, in whole or in part, at another
        counter; whatever was claimed before the refusal is released again."""
        held: list[RemoteOrder] = []
        try:
            for own in orders:
                try:
                    answer = self._call("claim_order", own.uuid, str(uuidlib.uuid4()), self.lease)
                except OrderRefused as exc:
                    if exc.code == "paid":
                        raise OrderRefused(
                            "paid", f"{own.number} {PAID_ELSEWHERE}", exc.details
                        ) from exc
                    raise _naming(exc, own.number) from exc
                claim = RemoteOrder(
                    uuid=own.uuid,
                    number=own.number,
                    terminal=answer["order_terminal"],
                    balance=answer["balance"],
                    claim_id=answer["claim_id"],
                    customer_uuid=own.customer_uuid,
                )
                held.append(claim)
                if claim.balance < own.balance:
                    raise OrderRefused("paid", f"{own.number} {PAID_ELSEWHERE}", {})
        except (OrderRefused, OrdersUnavailable):
            self.release_all(held)
            raise
        return held

    def hold(
        self, remote: list[RemoteOrder], pushed: list[OwnOrder]
    ) -> tuple[list[RemoteOrder], list[RemoteOrder]]:
        """Everything one receipt pays, held for this till just before it is recorded:
        the claims on other tills' orders renewed, this till's own pushed orders claimed.
        Answers (renewed, own claims). When one is refused, ``OrderRefused`` names that
        order, the own claims just made are released again, and nothing may be recorded."""
        renewed: list[RemoteOrder] = []
        for order in remote:
            try:
                renewed.append(self.renew(order))
            except OrderRefused as exc:
                raise _naming(exc, order.number) from exc
        return renewed, self.claim_own(pushed)

    def renew_all(self, claims: list[RemoteOrder]) -> None:
        """Renew every claim of a payment as it is confirmed: the cashier may have counted
        cash for longer than the lease. Refused (``OrderRefused``, naming the order) when
        another counter took one meanwhile, or paid some of it (the claim's balance
        fell), so the receipt is not recorded."""
        for claim in claims:
            try:
                renewed = self.renew(claim)
            except OrderRefused as exc:
                raise _naming(exc, claim.number) from exc
            if renewed.balance < claim.balance:
                raise OrderRefused("paid", f"{claim.number} {PAID_ELSEWHERE}", {})

    def release_all(self, claims: list[RemoteOrder]) -> None:
        """Give up several claims; one that cannot be released simply runs out its lease."""
        for claim in claims:
            try:
                self.release(claim)
            except (OrderRefused, OrdersUnavailable):
                continue
