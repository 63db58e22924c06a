"""A customer's dues from every till of the store, asked of the central while a cashier
waits (F7), with the short ``[central] lookup_timeout_seconds``; network only, run in a
worker. Offline the cashier is told what cannot be shown and what this till's own bills
say (``customers.own_dues``). An invoice shown is paid with F3 by its number, through the
store's order claim (``sync.orders``), so it is paid at one counter only.
"""

from __future__ import annotations

import httpx

from o2pos.config import CentralConfig
from o2pos.core.customers import Dues
from o2pos.core.money import format_amount

from .client import CentralClient, SyncError

RUPEE = "₹"


def fetch(
    central: CentralConfig, customer: str, *, transport: httpx.BaseTransport | None = None
) -> Dues | None:
    """The customer's dues in this till's store; None when the central cannot be asked.
    A customer the central does not know (added here, not yet sent) owes it nothing."""
    if not central.url:
        return None
    try:
        client = CentralClient.for_lookups(central, transport=transport)
    except SyncError:
        return None
    try:
        return Dues.of(client.customer_dues(customer))
    except SyncError as exc:
        if exc.kind == "rejected" and exc.details.get("error") == "not_found":
            return Dues(customer, 0, (), 0)
        return None
    except (KeyError, TypeError, ValueError):  # an answer this till cannot read: as offline
        return None
    finally:
        client.close()


def dues_text(fetched: Dues | None, own: Dues, *, standalone: bool = False) -> str:
    """What F7 says of the customer's dues: the store's from the central, or offline what
    it cannot show and this till's own. A till with no central is the whole store: its
    own dues are all there are."""
    if standalone:
        if own.count == 0:
            return ""  # nothing worth a word on every customer chosen
        fetched = own
    if fetched is None:
        return (
            "Dues from other tills unavailable offline; "
            f"this till's own: {RUPEE}{format_amount(own.outstanding)}"
        )
    if fetched.count == 0:
        return "Owes nothing in this store"
    bills = "bill" if fetched.count == 1 else "bills"
    return f"Owes {RUPEE}{format_amount(fetched.outstanding)} on {fetched.count} {bills} · F3 pays"
