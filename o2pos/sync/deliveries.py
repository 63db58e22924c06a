"""Other tills' bills to deliver, asked of the central while a cashier waits.

As ``sync.orders``: the short lookup timeout (``[central] lookup_timeout_seconds``), and
whatever keeps the central from answering becomes ``OrdersUnavailable`` with the sentence
the cashier reads, while this till's own bills keep working from its database. A refusal
(no such bill, not marked for delivery) is ``OrderRefused``.
"""

from __future__ import annotations

from typing import Any

from o2pos.config import CentralConfig
from o2pos.core.deliveries import DeliveryBill, DeliveryLineView, PendingBill

from .orders import OFFLINE, OrderRefused, OrdersUnavailable, StoreOrders

OFFLINE_BILLS = OFFLINE  # "Other tills' bills are unavailable offline"

__all__ = ["OFFLINE_BILLS", "OrderRefused", "OrdersUnavailable", "StoreDeliveries"]


def _customer(data: dict[str, Any]) -> dict[str, Any]:
    return data.get("customer") or {}


def bill_of(data: dict[str, Any]) -> DeliveryBill:
    """The central's answer (``GET /v1/store/deliveries/{number}``) as the core reads it."""
    customer = _customer(data)
    return DeliveryBill(
        uuid=str(data["uuid"]),
        number=str(data["number"]),
        terminal=str(data["terminal"]),
        location=str(data.get("location") or ""),
        mode=str(data.get("mode") or "home"),
        customer_uuid=customer.get("uuid"),
        customer_name=customer.get("name"),
        completed_at=str(data.get("completed_at") or ""),
        lines=tuple(
            DeliveryLineView(
                line_no=int(line["line_no"]),
                sku=str(line.get("sku") or ""),
                name=str(line.get("name") or line.get("sku") or ""),
                unit=str(line.get("unit") or "pcs"),
                ordered_milli=int(line.get("qty_milli") or 0),
                delivered_milli=int(line.get("delivered_milli") or 0),
                returned_milli=int(line.get("returned_milli") or 0),
                pending_milli=int(line.get("pending_milli") or 0),
                lot_no=line.get("lot_no"),
                serial=line.get("serial"),
            )
            for line in data.get("lines") or []
        ),
        local=False,
        central=True,
    )


class StoreDeliveries(StoreOrders):
    """The store's bills to deliver at the central: one by number, or the pending list."""

    @classmethod
    def connect(cls, central: CentralConfig) -> StoreDeliveries:
        """A lookup with the short timeout; ``OrdersUnavailable`` if it cannot be made."""
        return cls(StoreOrders.from_config(central).client)

    def bill(self, number: str) -> DeliveryBill:
        """The store's bill ``number``; ``OrderRefused`` not_found or not_for_delivery."""
        return bill_of(self._call("store_delivery", number.strip().upper()))

    def pending(
        self,
        location: str | None = None,
        customer: str | None = None,
        name: str | None = None,
        limit: int = 30,
    ) -> list[PendingBill]:
        """The store's bills with something to deliver, oldest first: at ``location``, of
        one customer uuid, or of the customers whose name holds ``name``."""
        query: dict[str, str | int] = {"limit": limit}
        if location:
            query["location"] = location
        if customer:
            query["customer"] = customer
        if name and name.strip():
            query["name"] = name.strip()
        return [
            PendingBill(
                number=str(row["number"]),
                terminal=str(row["terminal"]),
                customer_name=_customer(row).get("name"),
                mode=str(row.get("mode") or "home"),
                completed_at=str(row.get("completed_at") or ""),
                lines=int(row.get("lines") or 0),
                pending_milli=int(row.get("pending_milli") or 0),
            )
            for row in self._call("store_deliveries", **query)["bills"]
        ]
