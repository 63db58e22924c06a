"""Delivery: the goods of a bill marked for delivery leave the store later, in one or
several shipments, each a numbered delivery note (series DN).

A bill is marked at the till before it is completed (``sales.set_delivery``: home or
pick-up later); completing it reserves its goods at its location instead of taking them
off on hand (``sales.completion.sale_moves``). A delivery takes them off both: on hand -q
and reserved -q at the bill's location, in the transaction of its ``delivery.recorded``
event. A line's figures are

    ordered = delivered + pending + returned before delivery

where a return on such a bill takes back what is still pending first (the customer
cancels goods that never left: the reservation is released) and only the rest as goods
coming back across the counter (restocked like any return; ``returns``, docs/stock.md).

The bills of other tills of the store are known through the central
(``sync.deliveries``): their lines come with what every till has delivered and returned,
to which this till adds its own deliveries and returns the central has not had yet
(``view``). This module reads and writes the till's database only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from peewee import fn

from o2pos.core import journal, numbering, stock, syncstate
from o2pos.core.auth import Perm, require
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, StateError, ValidationError
from o2pos.core.ids import new_id
from o2pos.core.models import (
    Customer,
    Delivery,
    DeliveryLine,
    Employee,
    Journal,
    Product,
    Sale,
    SaleLine,
    sql,
    tuples,
)
from o2pos.core.money import MILLI, format_qty
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number
from o2pos.core.vouchers import VOUCHER_SKU

# how a shipment leaves: the store's own delivery, the customer picking it up, a courier
MODES = {"home": "Home delivery", "pickup": "Picked up", "courier": "Courier"}
MAX_REFERENCE = 40
MAX_LIST = 100


@dataclass(frozen=True)
class DeliveryLineView:
    """One line of a bill with what became of it: ordered = delivered + pending +
    returned (before it was delivered)."""

    line_no: int
    sku: str
    name: str
    unit: str
    ordered_milli: int
    delivered_milli: int
    returned_milli: int  # taken back before delivery: no longer to deliver
    pending_milli: int
    weighed: bool = False
    lot_no: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class DeliveryBill:
    """A bill marked for delivery as the Delivery screen shows it.

    ``local``: this till made it. ``central``: its figures include what every till of the
    store did with it, as the central said (plus this till's deliveries and returns the
    central has not had yet)."""

    uuid: str
    number: str
    terminal: str
    location: str
    mode: str  # home | pickup: as marked on the bill
    customer_uuid: str | None
    customer_name: str | None
    completed_at: str  # ISO UTC
    lines: tuple[DeliveryLineView, ...]
    local: bool = True
    central: bool = False

    @property
    def pending_milli(self) -> int:
        return sum(line.pending_milli for line in self.lines)

    def line(self, line_no: int) -> DeliveryLineView:
        found = next((ln for ln in self.lines if ln.line_no == line_no), None)
        if found is None:
            raise NotFound(f"{self.number} has no line {line_no}")
        return found


@dataclass(frozen=True)
class PendingBill:
    """A bill with something still to deliver, as the pending list shows it."""

    number: str
    terminal: str
    customer_name: str | None
    mode: str
    completed_at: str  # ISO UTC
    lines: int  # lines with something pending
    pending_milli: int


@dataclass(frozen=True)
class DeliveryNote:
    """A delivery just recorded: its note's number, and what is still to deliver."""

    number: str
    uuid: str
    sale_number: str
    lines: int
    pending_milli: int  # of the whole bill, after this delivery


def _pending(ordered: int, delivered: int, returned: int) -> int:
    return max(ordered - delivered - returned, 0)


def _returned_before(ordered: int, delivered: int, returned: int) -> int:
    """Of ``returned``, what came back before it was delivered (undelivered first)."""
    return min(returned, max(ordered - delivered, 0))


def _deliverable(sale: Sale) -> Sale:
    """This till's bill, if it is one to deliver."""
    if sale.status != "completed":
        raise StateError(f"{sale.number} is not a completed bill")
    if not sale.delivery:
        raise StateError(f"{sale.number} was not marked for delivery: its goods left with it")
    return sale


def _own_lines(sale: Sale) -> list[tuple[SaleLine, bool]]:
    rows = (
        SaleLine.select(SaleLine, Product.weighed)
        .join(Product)
        .where(SaleLine.sale == sale, SaleLine.sku != VOUCHER_SKU)
        .order_by(SaleLine.line_no)
    )
    return [(row, bool(row.product.weighed)) for row in rows]


def _own_bill(ctx: Context, sale: Sale) -> DeliveryBill:
    lines = []
    for line, weighed in _own_lines(sale):
        ordered, delivered, returned = line.qty_milli, line.delivered_milli, line.returned_milli
        lines.append(
            DeliveryLineView(
                line.line_no,
                line.sku,
                line.name,
                line.unit,
                ordered,
                delivered,
                _returned_before(ordered, delivered, returned),
                _pending(ordered, delivered, returned),
                weighed,
                line.lot_no,
                line.serial,
            )
        )
    customer = Customer.get_or_none(Customer.id == sale.customer_id) if sale.customer_id else None
    return DeliveryBill(
        uuid=sale.uuid,
        number=str(sale.number),
        terminal=sale.terminal_id,
        location=sale.location or ctx.settings.terminal.location,
        mode=str(sale.delivery),
        customer_uuid=customer.uuid if customer else None,
        customer_name=customer.name if customer else None,
        completed_at=journal.iso(sale.completed_at) if sale.completed_at else "",
        lines=tuple(lines),
    )


def unsent(ctx: Context, sale_uuid: str) -> tuple[dict[int, int], dict[int, int]]:
    """What this till delivered of the bill ``sale_uuid``, and took back before delivery,
    in events the central has not acknowledged: line_no -> quantity each. Only the events
    after the acknowledged seq are read, a handful."""
    acked, _ = syncstate.acked(ctx)
    delivered: dict[int, int] = {}
    returned: dict[int, int] = {}
    rows = Journal.select(Journal.event_type, Journal.payload).where(
        Journal.seq > acked, Journal.event_type.in_(["delivery.recorded", "return.completed"])
    )
    for event_type, text in tuples(rows):
        payload = json.loads(text)
        if payload.get("sale_uuid") != sale_uuid:
            continue
        into, key = (
            (delivered, "qty_milli")
            if event_type == "delivery.recorded"
            else (returned, "undelivered_milli")
        )
        for line in payload.get("lines") or []:
            qty = int(line.get(key) or 0)
            if qty:
                into[int(line["line_no"])] = into.get(int(line["line_no"]), 0) + qty
    return delivered, returned


def delivered_here(sale_uuid: str) -> dict[int, int]:
    """Everything this till has delivered of a bill, sent or not: line_no -> quantity."""
    rows = (
        DeliveryLine.select(DeliveryLine.line_no, fn.SUM(DeliveryLine.qty_milli))
        .join(Delivery)
        .where(Delivery.sale_uuid == sale_uuid)
        .group_by(DeliveryLine.line_no)
    )
    return {int(line_no): int(qty) for line_no, qty in tuples(rows)}


def _with_unsent(ctx: Context, central: DeliveryBill, local: bool) -> DeliveryBill:
    """The central's figures of a bill plus what this till did with it that the central
    has not had yet: what every till of the store knows, exactly. A copy fetched before
    this till's last delivery was acknowledged would miss it, so a line never shows less
    delivered than this till itself delivered."""
    delivered, returned = unsent(ctx, central.uuid)
    here = delivered_here(central.uuid)
    lines = []
    for line in central.lines:
        done = max(line.delivered_milli + delivered.get(line.line_no, 0), here.get(line.line_no, 0))
        back = line.returned_milli + returned.get(line.line_no, 0)
        product = Product.get_or_none(Product.sku == line.sku)
        lines.append(
            replace(
                line,
                delivered_milli=done,
                returned_milli=min(back, max(line.ordered_milli - done, 0)),
                pending_milli=_pending(line.ordered_milli, done, back),
                weighed=product.weighed if product is not None else line.weighed,
            )
        )
    return replace(central, lines=tuple(lines), local=local, central=True)


def view(ctx: Context, number: str, central: DeliveryBill | None = None) -> DeliveryBill:
    """The bill ``number`` with ordered, delivered and pending quantity per line.

    This till's own bill from its database, or, when the central's copy is given
    (``sync.deliveries``), from that copy and this till's unsent deliveries and returns,
    which counts what other tills delivered too. Another till's bill needs the central's
    copy (``NotFound`` without it)."""
    wanted = number.strip().upper()
    own = Sale.get_or_none(Sale.number == wanted)
    if own is not None:
        sale = _deliverable(own)
        if central is None or central.uuid != sale.uuid:
            return _own_bill(ctx, sale)
        return _with_unsent(ctx, central, local=True)
    if central is None or central.number != wanted:
        raise NotFound(f"No bill numbered {wanted} on this till")
    return _with_unsent(ctx, central, local=False)


def pending(
    ctx: Context, location: str | None = None, customer: str | None = None, limit: int = MAX_LIST
) -> list[PendingBill]:
    """This till's bills with something still to deliver at ``location`` (the session's by
    default), oldest first; ``customer``: only those of customers whose name holds it (any
    case) or whose phone holds its digits."""
    here = location or ctx.location
    where = [
        "s.status = 'completed'",
        "s.delivery IS NOT NULL",
        "COALESCE(s.location, ?) = ?",
        "l.sku != ?",
        "l.qty_milli > l.delivered_milli + l.returned_milli",
    ]
    params: list[object] = [ctx.settings.terminal.location, here, VOUCHER_SKU]
    text = (customer or "").strip()
    if text:
        digits = "".join(c for c in text if c.isdigit())
        if digits and len(digits) == len(text.replace(" ", "").lstrip("+")):
            where.append("c.phone LIKE ?")
            params.append(f"%{digits}%")
        else:
            where.append("lower(c.name) LIKE ?")
            params.append(f"%{text.casefold().replace('%', '').replace('_', '')}%")
    rows = sql(
        "SELECT s.number, s.terminal_id, c.name, s.delivery, s.completed_at, COUNT(l.id), "
        "SUM(l.qty_milli - l.delivered_milli - l.returned_milli) "
        "FROM sale s JOIN sale_line l ON l.sale_id = s.id "
        "LEFT JOIN customer c ON c.id = s.customer_id "
        f"WHERE {' AND '.join(where)} "
        "GROUP BY s.id ORDER BY s.completed_at, s.id LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [
        PendingBill(
            number,
            terminal,
            name,
            mode,
            journal.iso(Sale.completed_at.python_value(done)) if done else "",
            count,
            qty,
        )
        for number, terminal, name, mode, done, count, qty in rows
    ]


def check_quantity(bill: DeliveryBill, line_no: int, qty_milli: int) -> None:
    """Can ``qty_milli`` of this line be delivered now? A ``ValidationError`` says why
    not, as soon as it is typed, and ``deliver`` says the same."""
    line = bill.line(line_no)
    if qty_milli <= 0:
        raise ValidationError("A delivered quantity must be more than zero")
    if line.serial and qty_milli != line.pending_milli:
        raise ValidationError(f"{line.name}: a serial-numbered item is delivered whole")
    if not line.weighed and qty_milli % MILLI:
        raise ValidationError(
            f"{line.name} is delivered in whole {line.unit}, not {format_qty(qty_milli)}"
        )
    if qty_milli > line.pending_milli:
        raise ValidationError(
            f"{line.name}: only {format_qty(line.pending_milli)} of "
            f"{format_qty(line.ordered_milli)} ordered is still to deliver"
        )


def _reference(mode: str, courier_ref: str) -> str:
    if mode not in MODES:
        raise ValidationError(f"Deliver home, picked up or by courier, not {mode!r}")
    reference = " ".join(courier_ref.split())
    if contains_card_number(reference):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    if len(reference) > MAX_REFERENCE:
        raise ValidationError(f"A courier reference is at most {MAX_REFERENCE} characters")
    if mode == "courier" and not reference:
        raise ValidationError("A courier delivery needs the courier's reference (AWB, docket)")
    return reference


def deliver(
    ctx: Context,
    actor: Employee,
    number: str,
    items: Mapping[int, int],
    mode: str,
    courier_ref: str = "",
    *,
    central: DeliveryBill | None = None,
) -> DeliveryNote:
    """Deliver ``items`` (line_no -> quantity) of the bill ``number``: a numbered
    delivery note, its ``delivery.recorded`` event and the stock leaving (on hand and
    reserved at the bill's location), in one transaction.

    ``central`` is the central's copy of the bill when the screen has it: required for
    another till's bill, and for this till's own it counts what other tills delivered.
    Every quantity is checked against the bill as it stands inside the transaction; one
    wrong quantity refuses the whole delivery and nothing is written."""
    require(actor, Perm.DELIVER)
    reference = _reference(mode, courier_ref)
    if not items:
        raise ValidationError("Choose what to deliver")
    with ctx.write():
        bill = view(ctx, number, central)
        products: dict[int, Product] = {}
        for line_no, qty in sorted(items.items()):
            check_quantity(bill, line_no, qty)
            line = bill.line(line_no)
            product = Product.get_or_none(Product.sku == line.sku)
            if product is None:
                raise NotFound(f"This till does not know {line.sku} ({line.name}) yet")
            products[line_no] = product
        note_number = numbering.allocate(ctx, "delivery")
        note_uuid = new_id()
        delivery = Delivery.create(
            uuid=note_uuid,
            number=note_number,
            sale_uuid=bill.uuid,
            sale_number=bill.number,
            sale_terminal=bill.terminal,
            location=bill.location,
            mode=mode,
            courier_ref=reference,
            employee=actor,
            created_at=ctx.now(),
        )
        own = Sale.get_or_none(Sale.uuid == bill.uuid) if bill.local else None
        payload_lines = []
        moves = []
        for line_no, qty in sorted(items.items()):
            line, product = bill.line(line_no), products[line_no]
            DeliveryLine.create(delivery=delivery, line_no=line_no, product=product, qty_milli=qty)
            if own is not None:
                SaleLine.update(delivered_milli=SaleLine.delivered_milli + qty).where(
                    SaleLine.sale == own, SaleLine.line_no == line_no
                ).execute()
            moves.append(
                stock.Move(
                    product.id,
                    on_hand=-qty,
                    reserved=-qty,
                    location=bill.location,
                    lot_no=line.lot_no,
                    serial=line.serial,
                )
            )
            payload_lines.append(
                {
                    "line_no": line_no,
                    "sku": line.sku,
                    "name": line.name,
                    "unit": line.unit,
                    "qty_milli": qty,
                    "ordered_milli": line.ordered_milli,
                    "pending_milli": line.pending_milli - qty,
                    "lot_no": line.lot_no,
                    "serial": line.serial,
                }
            )
        left = bill.pending_milli - sum(items.values())
        event = journal.append(
            ctx,
            "delivery.recorded",
            {
                "uuid": note_uuid,
                "number": note_number,
                "sale": bill.number,
                "sale_uuid": bill.uuid,
                "sale_terminal": bill.terminal,
                "location": bill.location,
                "mode": mode,
                "courier_ref": reference,
                "customer": (
                    {"uuid": bill.customer_uuid, "name": bill.customer_name}
                    if bill.customer_name
                    else None
                ),
                "lines": payload_lines,
                "pending_milli": left,
            },
            employee=actor.code,
        )
        stock.record(ctx, "delivery", note_number, event.seq, moves)
    return DeliveryNote(note_number, note_uuid, bill.number, len(payload_lines), left)
