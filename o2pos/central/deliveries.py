"""Deliveries across the tills of one store: what each bill marked for delivery has still to
deliver, projected from every till's events, and served to the store's tills.

A ``sale.completed`` with a ``delivery`` becomes a ``DeliveryOrder`` (what each line
ordered); every ``delivery.recorded`` adds what it delivered per line, and every
``return.completed`` what it took back before delivery (its lines' ``undelivered_milli``),
as ``DeliveredLine`` rows. A line's pending quantity is ordered less both. A delivery of
more than is pending here (two tills delivering the last unit at once, one of them offline)
happened: it is accepted and flagged ``over-delivered``, never refused, and counted per
till in ``central stats``, as a voucher spent twice is.

The projection (``projection.py``) calls ``DeliveryBook`` while it stages a batch; the
API (``api.py``) calls ``find_delivery`` and ``pending_deliveries``, scoped to the calling
terminal's store as every store lookup is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from peewee import fn

from o2pos.core.eventschema import INT32
from o2pos.core.models import tuples
from o2pos.core.money import format_qty

from .models import DeliveredLine, DeliveryOrder, Terminal
from .orders import MAX_LIST, OrderRefusal
from .returns_remote import _sale, sold_lines
from .store import bulk_insert, is_postgres

OVER_DELIVERED = "over-delivered"

Flags = list[str]
Figures = dict[str, dict[int, int]]  # delivered | returned -> line_no -> qty_milli


def _figures(uuids: list[str]) -> dict[str, Figures]:
    """sale uuid -> what each of its lines delivered and took back before delivery."""
    found: dict[str, Figures] = {}
    for uuid, kind, line_no, qty in tuples(
        DeliveredLine.select(
            DeliveredLine.sale_uuid,
            DeliveredLine.kind,
            DeliveredLine.line_no,
            fn.SUM(DeliveredLine.qty_milli),
        )
        .where(DeliveredLine.sale_uuid.in_(uuids))
        .group_by(DeliveredLine.sale_uuid, DeliveredLine.kind, DeliveredLine.line_no)
    ):
        found.setdefault(uuid, {}).setdefault(kind, {})[int(line_no)] = int(qty)
    return found


def _pending(ordered: dict[int, int], done: Figures) -> dict[int, int]:
    """line_no -> what is still to deliver (below zero: more went than was ordered)."""
    delivered, returned = done.get("delivered", {}), done.get("returned", {})
    return {no: qty - delivered.get(no, 0) - returned.get(no, 0) for no, qty in ordered.items()}


def _short(text: Any) -> str | None:
    """Text for a column of 255 characters (the schema has checked it holds no NUL)."""
    return None if text is None else str(text)[:255]


def _ordered(text: str) -> dict[int, int]:
    return {int(no): int(qty) for no, qty in json.loads(text).items()}


@dataclass
class DeliveryBook:
    """The delivery bills a batch names, locked for the batch (PostgreSQL), and what their
    lines delivered and took back, kept as the batch goes."""

    terminal: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: dict[str, Figures] = field(default_factory=dict)
    documents: set[str] = field(default_factory=set)  # deliveries and returns projected
    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, terminal: str, events: list[tuple[int, dict[str, Any]]]) -> DeliveryBook:
        book = cls(terminal)
        uuids: set[str] = set()
        documents: set[str] = set()
        for _, event in events:
            payload = event["payload"]
            returns_before = event["event_type"] == "return.completed" and any(
                line.get("undelivered_milli") for line in payload.get("lines") or []
            )
            if event["event_type"] == "delivery.recorded" or returns_before:
                uuids.add(payload["sale_uuid"])
                documents.add(payload["uuid"])
        if not uuids:  # most batches: no delivery, nothing to read or lock
            return book
        wanted = sorted(uuids)
        query = DeliveryOrder.select().where(DeliveryOrder.sale_uuid.in_(wanted))
        if is_postgres():  # two tills delivering one bill: the second waits for the first
            query = query.order_by(DeliveryOrder.sale_uuid).for_update()
        for order in query:
            book.orders[order.sale_uuid] = {
                "number": order.number,
                "ordered": _ordered(order.lines),
                "new": False,
                "changed": False,
            }
        book.done = _figures(wanted)
        book.documents = {
            uuid
            for (uuid,) in tuples(
                DeliveredLine.select(DeliveredLine.document_uuid)
                .where(DeliveredLine.document_uuid.in_(sorted(documents)))
                .distinct()
            )
        }
        return book

    def sold(self, event: dict[str, Any], staged: Any) -> None:
        """A sale marked for delivery: its lines are to deliver."""
        payload = event["payload"]
        if not payload.get("delivery"):
            return
        uuid = payload["uuid"]
        ordered = {
            no: line["qty_milli"]
            for no, line in sold_lines(payload).items()
            if isinstance(line.get("qty_milli"), int)
        }
        customer = payload.get("customer") or {}
        row = {
            "sale_uuid": uuid,
            "terminal": self.terminal,
            "number": payload["number"],
            "location": _short(payload.get("location")),
            "mode": str(payload["delivery"])[:10],
            "customer_uuid": _short(customer.get("uuid")),
            "customer_name": _short(customer.get("name")),
            "completed_at": event["created_at"],
            "lines": json.dumps({str(no): qty for no, qty in sorted(ordered.items())}),
        }

        def step() -> None:
            self.orders[uuid] = {
                "number": row["number"],
                "ordered": ordered,
                "new": True,
                "changed": True,
                "row": row,
            }

        staged.after.append(step)

    def _check(
        self, sale_uuid: str, number: str, lines: dict[int, int], what: str, flags: Flags
    ) -> None:
        """Flag quantities beyond what the bill has still to deliver (never refused)."""
        order = self.orders.get(sale_uuid)
        if order is None:
            flags.append(f"{what} against sale {number}, which the central has not for delivery")
            return
        pending = _pending(order["ordered"], self.done.get(sale_uuid, {}))
        for no, qty in sorted(lines.items()):
            if no not in pending:
                flags.append(f"{what} line {no}, which sale {number} does not have to deliver")
            elif qty > pending[no]:
                left = format_qty(max(pending[no], 0))
                flags.append(
                    f"{OVER_DELIVERED}: {what} {format_qty(qty)} of line {no} of sale {number}, "
                    f"where {left} was left to deliver"
                )

    def _stage(
        self,
        document: str,
        sale_uuid: str,
        kind: str,
        lines: dict[int, int],
        staged: Any,
    ) -> None:
        rows = [
            {
                "sale_uuid": sale_uuid,
                "line_no": no,
                "qty_milli": qty,
                "kind": kind,
                "document_uuid": document,
                "terminal": self.terminal,
            }
            for no, qty in sorted(lines.items())
        ]

        def step() -> None:
            self.documents.add(document)
            into = self.done.setdefault(sale_uuid, {}).setdefault(kind, {})
            for no, qty in lines.items():
                into[no] = into.get(no, 0) + qty
            self.rows.extend(rows)
            if sale_uuid in self.orders:
                self.orders[sale_uuid]["changed"] = True

        staged.after.append(step)

    @staticmethod
    def _lines(payload: dict[str, Any], key: str) -> dict[int, int]:
        lines: dict[int, int] = {}
        for line in payload.get("lines") or []:
            no, qty = line["line_no"], line.get(key) or 0
            if not 1 <= no <= INT32:
                raise ValueError(f"line {no} is out of range")
            if qty:
                lines[no] = lines.get(no, 0) + qty
        return lines

    def delivered(self, event_id: int, event: dict[str, Any], staged: Any, flags: Flags) -> None:
        """A ``delivery.recorded``: its quantities delivered, flagged beyond what was left."""
        payload = event["payload"]
        uuid, sale_uuid = payload["uuid"], payload["sale_uuid"]
        if uuid in self.documents:
            flags.append(f"delivery {uuid} was already projected")
            return
        number = payload.get("sale") or sale_uuid
        lines = self._lines(payload, "qty_milli")
        self._check(sale_uuid, number, lines, "delivers", flags)
        self._stage(uuid, sale_uuid, "delivered", lines, staged)

    def returned(self, payload: dict[str, Any], staged: Any, flags: Flags) -> None:
        """A ``return.completed``: what it took back before delivery is no longer pending."""
        lines = self._lines(payload, "undelivered_milli")
        if not lines or payload["uuid"] in self.documents:
            return
        number = payload.get("sale") or payload["sale_uuid"]
        self._check(payload["sale_uuid"], number, lines, "returns as never delivered", flags)
        self._stage(payload["uuid"], payload["sale_uuid"], "returned", lines, staged)

    def write(self) -> None:
        """Insert the batch's rows; each changed bill's pending quantity, summed anew."""
        bulk_insert(DeliveredLine, self.rows)
        for uuid, order in self.orders.items():
            if not order["changed"]:
                continue
            pending = _pending(order["ordered"], self.done.get(uuid, {}))
            total = sum(max(qty, 0) for qty in pending.values())
            if order["new"]:
                DeliveryOrder.insert(**order["row"], pending_milli=total).execute()
            else:
                DeliveryOrder.update(pending_milli=total).where(
                    DeliveryOrder.sale_uuid == uuid
                ).execute()


# --- what the store's tills ask ----------------------------------------------------------


def _line_figures(uuid: str, ordered: dict[int, int]) -> dict[int, tuple[int, int, int]]:
    """line_no -> (delivered, returned before delivery, pending) of one delivery bill."""
    done = _figures([uuid]).get(uuid, {})
    delivered, returned = done.get("delivered", {}), done.get("returned", {})
    return {
        no: (
            delivered.get(no, 0),
            returned.get(no, 0),
            max(qty - delivered.get(no, 0) - returned.get(no, 0), 0),
        )
        for no, qty in ordered.items()
    }


def find_delivery(store: str, number: str) -> dict[str, Any]:
    """The store's bill ``number`` with ordered, delivered and pending quantity per line:
    404 when the store has no such sale, 409 ``not_for_delivery`` when it was not marked."""
    sale = _sale(store, number=number)
    order = DeliveryOrder.get_or_none(DeliveryOrder.sale_uuid == sale.uuid)
    if order is None:
        raise OrderRefusal(
            409, "not_for_delivery", f"{sale.number} was not marked for delivery", {}
        )
    payload = json.loads(sale.event.payload)
    sold = sold_lines(payload)
    figures = _line_figures(sale.uuid, _ordered(order.lines))
    customer = payload.get("customer") or None
    lines = []
    for no, (delivered, returned, pending) in sorted(figures.items()):
        line = sold.get(no, {})
        lines.append(
            {
                "line_no": no,
                **{key: line.get(key) for key in ("sku", "name", "unit", "lot_no", "serial")},
                "qty_milli": int(line.get("qty_milli") or 0),
                "delivered_milli": delivered,
                "returned_milli": returned,
                "pending_milli": pending,
            }
        )
    return {
        "uuid": sale.uuid,
        "number": sale.number,
        "terminal": sale.terminal,
        "location": order.location,
        "mode": order.mode,
        "completed_at": sale.completed_at,
        "customer": (
            {"uuid": customer.get("uuid"), "name": customer.get("name")} if customer else None
        ),
        "lines": lines,
        "pending_milli": sum(line["pending_milli"] for line in lines),
    }


def pending_deliveries(
    store: str,
    *,
    location: str | None = None,
    customer: str | None = None,
    name: str | None = None,
    limit: int = MAX_LIST,
) -> list[dict[str, Any]]:
    """The store's bills with something still to deliver, oldest first: at ``location``,
    of one ``customer`` (uuid) or of customers whose ``name`` holds the text (any case).

    The name is matched in Python against the name each bill carries, as ``orders`` does:
    a store's bills waiting for delivery are a few hundred at most."""
    query = (
        DeliveryOrder.select()
        .join(Terminal, on=(DeliveryOrder.terminal == Terminal.name))
        .where(Terminal.store == store, DeliveryOrder.pending_milli > 0)
        .order_by(DeliveryOrder.completed_at, DeliveryOrder.number)
    )
    if location is not None:
        query = query.where(DeliveryOrder.location == location)
    if customer is not None:
        query = query.where(DeliveryOrder.customer_uuid == customer)
    orders: list[DeliveryOrder] = list(query)
    if name is not None:
        wanted = name.strip().casefold()
        orders = [o for o in orders if wanted in str(o.customer_name or "").casefold()]
    orders = orders[:limit]
    done = _figures([o.sale_uuid for o in orders])
    answer = []
    for order in orders:
        pending = _pending(_ordered(order.lines), done.get(order.sale_uuid, {}))
        answer.append(
            {
                "uuid": order.sale_uuid,
                "number": order.number,
                "terminal": order.terminal,
                "location": order.location,
                "mode": order.mode,
                "completed_at": order.completed_at,
                "customer": (
                    {"uuid": order.customer_uuid, "name": order.customer_name}
                    if order.customer_name or order.customer_uuid
                    else None
                ),
                "lines": sum(1 for qty in pending.values() if qty > 0),
                "pending_milli": int(order.pending_milli),
            }
        )
    return answer


def with_delivery(sale: dict[str, Any]) -> dict[str, Any]:
    """A store sale as returns read it (``returns_remote.find_sale``), with its delivery
    and each line's pending quantity when it was marked for delivery: a return at another
    till takes back what is pending first."""
    order = DeliveryOrder.get_or_none(DeliveryOrder.sale_uuid == sale["uuid"])
    if order is None:
        return {**sale, "delivery": None, "location": None}
    figures = _line_figures(order.sale_uuid, _ordered(order.lines))
    lines = [
        {**line, "pending_milli": figures.get(line["line_no"], (0, 0, 0))[2]}
        for line in sale["lines"]
    ]
    return {**sale, "delivery": order.mode, "location": order.location, "lines": lines}
