"""Sales of other tills, and return claims, asked of the central while a cashier waits.

As ``sync.orders``: a short timeout of its own (``[central] lookup_timeout_seconds``),
and whatever keeps the central from answering becomes ``OrdersUnavailable`` with the
sentence the cashier reads. A refusal (no such sale, more than is left to return) is
``OrderRefused``, whose ``details["left"]`` lists what is left of each line.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from o2pos.config import CentralConfig
from o2pos.core.returns import RemoteSale, RemoteSaleLine, ReturnItem

from .orders import OrderRefused, OrdersUnavailable, StoreOrders

OFFLINE_SALES = "Other tills' sales cannot be returned offline"
UNCHECKED = "returns made at other tills cannot be checked offline"

__all__ = ["OFFLINE_SALES", "UNCHECKED", "OrderRefused", "OrdersUnavailable", "StoreSales"]


def _sale(data: dict[str, Any]) -> RemoteSale:
    customer = data.get("customer") or {}
    return RemoteSale(
        uuid=data["uuid"],
        number=data["number"],
        terminal=data["terminal"],
        customer_uuid=customer.get("uuid"),
        total=data["total"],
        paid=data["paid"],
        round_off=data["round_off"],
        returned_round_off=data["returned_round_off"],
        refunded=data["refunded"],
        lines=tuple(
            RemoteSaleLine(
                line_no=int(line["line_no"]),
                sku=str(line.get("sku") or ""),
                name=str(line.get("name") or line.get("sku") or ""),
                unit=str(line.get("unit") or "pcs"),
                qty_milli=int(line.get("qty_milli") or 0),
                returned_milli=int(line.get("returned_milli") or 0),
                held_milli=int(line.get("held_milli") or 0),
                tax_rate_bp=int(line.get("tax_rate_bp") or 0),
                taxable=int(line.get("taxable") or 0),
                cgst=int(line.get("cgst") or 0),
                sgst=int(line.get("sgst") or 0),
                igst=int(line.get("igst") or 0),
                total=int(line.get("total") or 0),
                lot_no=line.get("lot_no"),
                serial=line.get("serial"),
                pending_milli=int(line.get("pending_milli") or 0),
            )
            for line in data.get("lines") or []
        ),
        delivery=data.get("delivery"),
        location=data.get("location"),
        points_earned=int(data.get("points_earned") or 0),
        returned_total=int(data.get("returned_total") or data["refunded"]),
    )


@dataclass(frozen=True)
class ReturnClaim:
    """Quantities of a sale held for this till's return until ``expires_at`` (UTC)."""

    claim_id: str
    sale_uuid: str
    lines: dict[int, int]  # line_no -> qty_milli
    expires_at: str


class StoreSales(StoreOrders):
    """The store's sales at the central, for returns: found by number, claimed, released."""

    @classmethod
    def connect(cls, central: CentralConfig) -> StoreSales:
        """A lookup with the short timeout; ``OrdersUnavailable`` if it cannot be made."""
        return cls(StoreOrders.from_config(central).client)

    def sale(self, number: str) -> RemoteSale:
        """The store's sale ``number``; ``OrderRefused`` not_found if the central has none."""
        return _sale(self._call("store_sale", number.strip().upper()))

    def claim_return(
        self,
        sale: RemoteSale,
        items: list[ReturnItem],
        claim_id: str | None = None,
        lease_seconds: int = 120,
    ) -> ReturnClaim:  # ``line_id`` of an item is the line number
        """Hold ``items`` of ``sale`` for a return here; the same ``claim_id`` is the same
        claim. ``OrderRefused`` over_return when another till took them first."""
        chosen = claim_id or str(uuidlib.uuid4())
        lines = [{"line_no": i.line_id, "qty_milli": i.qty_milli} for i in items]
        answer = self._call("claim_return", sale.uuid, chosen, lines, lease_seconds)
        return ReturnClaim(
            claim_id=answer["claim_id"],
            sale_uuid=answer["sale_uuid"],
            lines={line["line_no"]: line["qty_milli"] for line in answer["lines"]},
            expires_at=answer["expires_at"],
        )

    def release_return(self, claim: ReturnClaim) -> bool:
        return bool(self._call("release_return", claim.sale_uuid, claim.claim_id)["released"])
