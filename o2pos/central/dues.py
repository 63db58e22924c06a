"""What a customer owes a store: its open invoices from every till of it.

An invoice is a sale projected from any till of the store (``sale.completed``) that names
the customer and still has a balance: saved on account, part paid, or saved unpaid. Its
``paid`` and ``balance`` are the projection's, which every ``receipt.recorded`` allocating
to it moves, whichever till took the money (``projection.py``). So the dues are exactly
what the store's events say, and a till asks here for what other counters have sold
the customer on credit; paying one goes through the order claim (``orders.py``).
"""

from __future__ import annotations

import json
from typing import Any

from o2pos.core.models import dicts

from .models import MasterRecord, Sale, Terminal
from .orders import OrderRefusal

MAX_INVOICES = 100  # listed oldest first; the total counts every one


def customer_dues(store: str, customer: str) -> dict[str, Any]:
    """The customer's outstanding total in ``store`` and its open invoices, oldest first.

    404 when the company has no such customer and no sale of the store names it.
    """
    open_sales = (
        Sale.select(
            Sale.uuid,
            Sale.number,
            Sale.terminal,
            Sale.completed_at,
            Sale.total,
            Sale.paid,
            Sale.balance,
        )
        .join(Terminal, on=(Sale.terminal == Terminal.name))
        .where(Terminal.store == store, Sale.customer_uuid == customer, Sale.balance > 0)
        .order_by(Sale.completed_at, Sale.id)
    )
    rows: list[dict[str, Any]] = dicts(open_sales)
    record = MasterRecord.get_or_none(MasterRecord.kind == "customer", MasterRecord.key == customer)
    if record is None and not rows:
        named = (
            Sale.select(Sale.id)
            .join(Terminal, on=(Sale.terminal == Terminal.name))
            .where(Terminal.store == store, Sale.customer_uuid == customer)
            .exists()
        )
        if not named:
            raise OrderRefusal(404, "not_found", f"No customer {customer} in store {store}", {})
    name = json.loads(record.data).get("name") if record is not None else None
    return {
        "customer": customer,
        "name": name,
        "outstanding": sum(int(r["balance"]) for r in rows),
        "count": len(rows),
        "invoices": [
            {
                "uuid": r["uuid"],
                "number": r["number"],
                "terminal": r["terminal"],
                "completed_at": r["completed_at"],
                "total": int(r["total"]),
                "paid": int(r["paid"]),
                "balance": int(r["balance"]),
            }
            for r in rows[:MAX_INVOICES]
        ],
    }
