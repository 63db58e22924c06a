"""Stock transfers between the store's locations: sent from one, received at another.

Out: a draft transfer to another location is filled by scanning items and quantities into
it (a lot is the one chosen, or first in first out; a serial is named, as on a bill) and
then sent, in one transaction: its number (TO), its ``transfer.sent`` event and its stock
moves, on hand down at this location and in transit up at the destination (in transit
belongs to where the goods go). The lots' quantities go down with it; a serial travels as
``transit``, at the destination.

In: the destination's till gets the transfer from the central (``sync.transfers`` builds
an ``Incoming``; nothing else tells a till what was sent to it), confirms or enters what
arrived of each line, and receives it: its receipt note (TI), its ``transfer.received``
event and the moves at this location, in transit down by what was sent and on hand up by
what arrived. What arrived short or in excess needs a reason per line and a manager's
approval (``approve_stock``): the difference is then on the record, which is
what keeps "out at A = in transit = in at B plus the recorded differences" true.

A till receives a transfer once (its uuid is this till's row); two tills of one location
are kept apart by the central's claim on the transfer, and a second receipt that slipped
past it anyway (both offline) is accepted and flagged there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from peewee import fn

from o2pos.core import journal, numbering, stock
from o2pos.core.auth import Approval, Perm, require
from o2pos.core.catalog import fifo_lots, find_by_code
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, StateError, ValidationError
from o2pos.core.ids import new_id
from o2pos.core.models import (
    Employee,
    Location,
    Lot,
    Product,
    SerialNumber,
    Transfer,
    TransferLine,
    sql,
)
from o2pos.core.money import MILLI, format_qty
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number
from o2pos.core.sales.lines import MAX_QTY_MILLI, SerialRequired, parse_scan
from o2pos.core.vouchers import is_voucher

MAX_LINES = 500
DRAFT = "draft"
SENT = "sent"
RECEIVED = "received"
REASON_LENGTH = 200


# --- where the goods can go -----------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    code: str
    name: str


def destinations(ctx: Context) -> list[Destination]:
    """Every location this till knows (the central publishes the store's) but its own."""
    rows = Location.select().where(Location.code != ctx.location).order_by(Location.code)
    return [Destination(row.code, row.name) for row in rows]


def destination(ctx: Context, code: str) -> Destination:
    """The location ``code`` names (any case), if goods may be sent there from here."""
    wanted = code.strip()
    if not wanted:
        raise ValidationError("Choose the location the goods go to")
    if wanted.upper() == ctx.location.upper():
        raise ValidationError(f"The goods are at {ctx.location} already: choose another location")
    row = Location.get_or_none(fn.UPPER(Location.code) == wanted.upper())
    if row is None:
        raise NotFound(f"No location {wanted}: F12 pulls the store's locations from the central")
    return Destination(row.code, row.name)


# --- the draft ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    id: int
    line_no: int
    sku: str
    name: str
    unit: str
    qty_milli: int
    lot_no: str | None
    serial: str | None
    on_hand: int  # at this location now, before the transfer is sent


@dataclass(frozen=True)
class Draft:
    id: int
    to_location: str
    to_name: str
    lines: tuple[DraftLine, ...]

    @property
    def total_milli(self) -> int:
        return sum(line.qty_milli for line in self.lines)


def _draft_row(ctx: Context, transfer_id: int) -> Transfer:
    row = Transfer.get_or_none(Transfer.id == transfer_id)
    if row is None:
        raise NotFound("No such transfer")
    if row.status != DRAFT:
        raise StateError(f"Transfer {row.number} was sent already")
    if row.from_location != ctx.location:
        raise StateError(
            f"This transfer leaves {row.from_location}: sign in at {row.from_location} to change it"
        )
    return row


def view(ctx: Context, transfer_id: int) -> Draft:
    """A draft with its lines, and how much of each is on hand here."""
    row = Transfer.get_by_id(transfer_id)
    place = Location.get_or_none(Location.code == row.to_location)
    lines = []
    for line in (
        TransferLine.select().where(TransferLine.transfer == row).order_by(TransferLine.line_no)
    ):
        product = Product.get_by_id(line.product_id)
        lines.append(
            DraftLine(
                line.id,
                line.line_no,
                line.sku,
                product.name,
                product.unit,
                line.qty_milli,
                line.lot_no,
                line.serial,
                stock.level(ctx, line.product_id).on_hand,
            )
        )
    return Draft(row.id, row.to_location, place.name if place else row.to_location, tuple(lines))


def open_draft(ctx: Context) -> Draft | None:
    """The transfer being filled at this location, if there is one (it survives a lock and
    a restart, as a bill in progress does)."""
    row = (
        Transfer.select()
        .where(Transfer.status == DRAFT, Transfer.from_location == ctx.location)
        .order_by(Transfer.id.desc())
        .first()
    )
    return view(ctx, row.id) if row else None


def start(ctx: Context, actor: Employee, to_location: str) -> Draft:
    """Send to ``to_location``: the open draft of this location goes there now, or a new
    one is started."""
    require(actor, Perm.MANAGE_STOCK)
    place = destination(ctx, to_location)
    with ctx.write():
        row = (
            Transfer.select()
            .where(Transfer.status == DRAFT, Transfer.from_location == ctx.location)
            .order_by(Transfer.id.desc())
            .first()
        )
        if row is not None:
            Transfer.update(to_location=place.code).where(Transfer.id == row.id).execute()
            transfer_id = row.id
        else:
            transfer_id = Transfer.insert_row(
                uuid=new_id(),
                number="",
                from_location=ctx.location,
                to_location=place.code,
                sent_by=ctx.terminal_id,
                status=DRAFT,
                created_at=ctx.now(),
                employee=actor.code,
            )
    return view(ctx, transfer_id)


def _check_qty(product: Product, qty_milli: int) -> None:
    if qty_milli <= 0:
        raise ValidationError("The quantity must be more than zero")
    if qty_milli > MAX_QTY_MILLI:
        raise ValidationError("That quantity is too large for one line")
    if not product.weighed and qty_milli % MILLI:
        raise ValidationError(
            f"{product.name} moves in whole {product.unit}, not {format_qty(qty_milli)}"
        )


def _line_stats(row: Transfer) -> tuple[int, int]:
    count, highest = sql(
        "SELECT COUNT(*), COALESCE(MAX(line_no), 0) FROM transfer_line WHERE transfer_id = ?",
        (row.id,),
    ).fetchone()
    return int(count), int(highest)


def _new_line(row: Transfer, product: Product, qty: int, **extra: Any) -> int:
    return TransferLine.insert_row(
        transfer=row.id,
        line_no=_line_stats(row)[1] + 1,
        product=product.id,
        sku=product.sku,
        qty_milli=qty,
        reason="",
        **extra,
    )


def _serial_here(ctx: Context) -> Any:
    """Where a serial number must be to leave from this location: here, or (no location
    recorded) at the till's own location."""
    here = SerialNumber.location == ctx.location
    if ctx.location == ctx.settings.terminal.location:
        here = here | SerialNumber.location.is_null()
    return here


def _add_serial(ctx: Context, row: Transfer, product: Product, qty: int, serial: str | None) -> int:
    if qty != MILLI:
        raise ValidationError(f"{product.name} is serial-tracked: one per line")
    if not serial or not serial.strip():
        raise SerialRequired(product)
    serial = serial.strip().upper()
    found = SerialNumber.get_or_none(
        SerialNumber.product == product, SerialNumber.serial == serial, _serial_here(ctx)
    )
    if found is None:
        raise NotFound(f"Serial {serial} of {product.name} is not at {ctx.location}")
    if found.status != "available":
        raise ValidationError(f"Serial {serial} of {product.name} is not in stock ({found.status})")
    taken = TransferLine.select().where(
        TransferLine.transfer == row, TransferLine.product == product, TransferLine.serial == serial
    )
    if taken.exists():
        raise ValidationError(f"Serial {serial} is already on this transfer")
    return _new_line(row, product, qty, serial=serial)


def _lot_taken(row: Transfer, product: Product, lot_no: str) -> int:
    return int(
        TransferLine.select(fn.COALESCE(fn.SUM(TransferLine.qty_milli), 0))
        .where(
            TransferLine.transfer == row,
            TransferLine.product == product,
            TransferLine.lot_no == lot_no,
        )
        .scalar()
    )


def _add_to_lot(row: Transfer, product: Product, lot: Lot, qty: int) -> int:
    """Onto the line of this lot if the transfer has one, else a new line."""
    same = TransferLine.get_or_none(
        TransferLine.transfer == row,
        TransferLine.product == product,
        TransferLine.lot_no == lot.lot_no,
    )
    if same is not None:
        TransferLine.update_row(same.id, qty_milli=same.qty_milli + qty)
        return int(same.id)
    return _new_line(row, product, qty, lot_no=lot.lot_no)


def _add_lots(
    ctx: Context, row: Transfer, product: Product, qty: int, lot_no: str | None
) -> list[int]:
    """The quantity from the chosen lot, or first in first out over the lots here."""
    if lot_no and lot_no.strip():
        lot = Lot.get_or_none(
            Lot.product == product, Lot.lot_no == lot_no.strip(), Lot.location == ctx.location
        )
        if lot is None:
            raise NotFound(f"No lot {lot_no.strip()} of {product.name} at {ctx.location}")
        free = lot.qty_milli - _lot_taken(row, product, lot.lot_no)
        if qty > free:
            raise ValidationError(f"Lot {lot.lot_no} has only {format_qty(max(free, 0))} left")
        return [_add_to_lot(row, product, lot, qty)]
    touched: list[int] = []
    remaining = qty
    for lot in fifo_lots(ctx, product):
        free = lot.qty_milli - _lot_taken(row, product, lot.lot_no)
        take = min(free, remaining)
        if not product.weighed:
            take -= take % MILLI
        if take <= 0:
            continue
        touched.append(_add_to_lot(row, product, lot, take))
        remaining -= take
        if remaining == 0:
            return touched
    raise ValidationError(
        f"Only {format_qty(qty - remaining)} of {product.name} at {ctx.location} across its lots"
    )


def _add_plain(row: Transfer, product: Product, qty: int) -> int:
    """Scanning the same item again adds to its line."""
    same = TransferLine.get_or_none(
        TransferLine.transfer == row,
        TransferLine.product == product,
        TransferLine.lot_no.is_null(),
        TransferLine.serial.is_null(),
    )
    if same is not None:
        _check_qty(product, same.qty_milli + qty)
        TransferLine.update_row(same.id, qty_milli=same.qty_milli + qty)
        return int(same.id)
    return _new_line(row, product, qty)


def add_item(
    ctx: Context,
    transfer_id: int,
    text: str,
    actor: Employee,
    *,
    lot_no: str | None = None,
    serial: str | None = None,
) -> Draft:
    """Put what was scanned or typed on the draft (``3*CODE`` sets the quantity)."""
    require(actor, Perm.MANAGE_STOCK)
    qty, code = parse_scan(text)
    scan = find_by_code(ctx, code)
    product = scan.product
    if is_voucher(product.sku):
        raise ValidationError("A gift voucher is not stock: it cannot be transferred")
    if scan.fixed_gross is not None:
        raise ValidationError(
            f"A price label gives no quantity to send: type the weight, then *{product.sku}"
        )
    if scan.qty_milli is not None:
        if qty is not None:
            raise ValidationError("A scale label carries its own quantity: scan it without 'N*'")
        qty = scan.qty_milli
    qty = qty if qty is not None else MILLI
    _check_qty(product, qty)
    with ctx.write():
        row = _draft_row(ctx, transfer_id)
        if _line_stats(row)[0] >= MAX_LINES:
            raise ValidationError(f"A transfer holds at most {MAX_LINES} lines")
        if product.serial_tracked:
            _add_serial(ctx, row, product, qty, serial)
        elif product.lot_tracked:
            _add_lots(ctx, row, product, qty, lot_no)
        else:
            _add_plain(row, product, qty)
    return view(ctx, transfer_id)


def _line_of(row: Transfer, line_id: int) -> TransferLine:
    line = TransferLine.get_or_none(TransferLine.id == line_id, TransferLine.transfer == row)
    if line is None:
        raise NotFound("That line is not on this transfer")
    return line


def set_qty(ctx: Context, transfer_id: int, line_id: int, qty_milli: int, actor: Employee) -> Draft:
    require(actor, Perm.MANAGE_STOCK)
    with ctx.write():
        row = _draft_row(ctx, transfer_id)
        line = _line_of(row, line_id)
        product = Product.get_by_id(line.product_id)
        _check_qty(product, qty_milli)
        if line.serial:
            raise ValidationError("A serial-numbered line is always one piece")
        if line.lot_no:
            lot = Lot.get_or_none(
                Lot.product == product, Lot.lot_no == line.lot_no, Lot.location == ctx.location
            )
            free = (lot.qty_milli if lot else 0) - _lot_taken(row, product, line.lot_no)
            free += line.qty_milli
            if qty_milli > free:
                raise ValidationError(f"Lot {line.lot_no} has only {format_qty(max(free, 0))}")
        TransferLine.update_row(line.id, qty_milli=qty_milli)
    return view(ctx, transfer_id)


def remove_line(ctx: Context, transfer_id: int, line_id: int, actor: Employee) -> Draft:
    require(actor, Perm.MANAGE_STOCK)
    with ctx.write():
        row = _draft_row(ctx, transfer_id)
        _line_of(row, line_id).delete_instance()
    return view(ctx, transfer_id)


# --- sending ---------------------------------------------------------------------------


def _expiry(product_id: int, location: str, lot_no: str | None) -> str | None:
    if not lot_no:
        return None
    lot = Lot.get_or_none(Lot.product == product_id, Lot.location == location, Lot.lot_no == lot_no)
    return lot.expiry.isoformat() if lot is not None and lot.expiry else None


def send(ctx: Context, transfer_id: int, actor: Employee) -> Transfer:
    """Send the draft: its number, its event and its stock moves in one transaction.

    Everything that can stop it (a lot sold meanwhile, a serial no longer here, a
    destination this till no longer knows) rolls the whole of it back.
    """
    require(actor, Perm.MANAGE_STOCK)
    with ctx.write():
        row = _draft_row(ctx, transfer_id)
        place = destination(ctx, row.to_location)
        lines = list(
            TransferLine.select().where(TransferLine.transfer == row).order_by(TransferLine.line_no)
        )
        if not lines:
            raise ValidationError("The transfer is empty: scan what goes first")
        payload_lines = []
        moves: list[stock.Move] = []
        for line in lines:
            product = Product.get_by_id(line.product_id)
            if line.lot_no:
                moved = (
                    Lot.update(qty_milli=Lot.qty_milli - line.qty_milli)
                    .where(
                        Lot.product == product,
                        Lot.location == ctx.location,
                        Lot.lot_no == line.lot_no,
                        Lot.qty_milli >= line.qty_milli,
                    )
                    .execute()
                )
                if not moved:
                    raise ValidationError(
                        f"Lot {line.lot_no} of {product.name} no longer has "
                        f"{format_qty(line.qty_milli)} here"
                    )
            if line.serial:
                moved = (
                    SerialNumber.update(status="transit", location=place.code)
                    .where(
                        SerialNumber.product == product,
                        SerialNumber.serial == line.serial,
                        SerialNumber.status == "available",
                        _serial_here(ctx),
                    )
                    .execute()
                )
                if not moved:
                    raise ValidationError(
                        f"Serial {line.serial} of {product.name} is no longer in stock here"
                    )
            payload_lines.append(
                {
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "name": product.name,
                    "unit": product.unit,
                    "qty_milli": line.qty_milli,
                    "lot_no": line.lot_no,
                    "expiry": _expiry(product.id, ctx.location, line.lot_no),
                    "serial": line.serial,
                }
            )
            lot_no, serial = line.lot_no, line.serial
            moves.append(
                stock.Move(product.id, -line.qty_milli, 0, 0, ctx.location, lot_no, serial)
            )
            moves.append(stock.Move(product.id, 0, 0, line.qty_milli, place.code, lot_no, serial))
        number = numbering.allocate(ctx, "transfer")
        now = ctx.now()
        Transfer.update(
            number=number,
            status=SENT,
            to_location=place.code,
            created_at=now,
            employee=actor.code,
            sent_by=ctx.terminal_id,
        ).where(Transfer.id == row.id).execute()
        event = journal.append(
            ctx,
            "transfer.sent",
            {
                "uuid": row.uuid,
                "number": number,
                "from_location": ctx.location,
                "to_location": place.code,
                "lines": payload_lines,
            },
            employee=actor.code,
        )
        stock.record(ctx, "transfer_out", number, event.seq, moves)
    return Transfer.get_by_id(transfer_id)


# --- receiving -------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingLine:
    line_no: int
    sku: str
    name: str
    unit: str
    qty_milli: int
    lot_no: str | None = None
    expiry: str | None = None  # YYYY-MM-DD
    serial: str | None = None


@dataclass(frozen=True)
class Incoming:
    """A transfer sent to a location, as the central holds it (``sync.transfers``)."""

    uuid: str
    number: str
    sent_by: str  # the sending till
    from_location: str
    to_location: str
    sent_at: str  # ISO UTC, as in the sending till's journal
    lines: tuple[IncomingLine, ...]
    employee: str | None = None
    status: str = SENT  # sent | received (at the central, at any till)
    received_number: str | None = None
    received_by: str | None = None  # the till that received it
    held_by: str | None = None  # the till whose claim on it is live

    def line(self, line_no: int) -> IncomingLine:
        found = next((ln for ln in self.lines if ln.line_no == line_no), None)
        if found is None:
            raise NotFound(f"Transfer {self.number} has no line {line_no}")
        return found

    @property
    def total_milli(self) -> int:
        return sum(line.qty_milli for line in self.lines)


@dataclass(frozen=True)
class Count:
    """What arrived of one line, and why it differs from what was sent (if it does)."""

    line_no: int
    received_milli: int
    reason: str = ""


def received_here(ctx: Context, transfer_uuid: str) -> str | None:
    """The receipt note this till gave the transfer, if it received it already."""
    row = Transfer.get_or_none(Transfer.uuid == transfer_uuid)
    return row.received_number if row is not None and row.status == RECEIVED else None


def check_incoming(ctx: Context, incoming: Incoming) -> None:
    """May this session receive ``incoming``? A ``StateError`` says why not."""
    if incoming.to_location != ctx.location:
        raise StateError(
            f"{incoming.number} goes to {incoming.to_location}, not {ctx.location}: "
            f"it is received there"
        )
    done = received_here(ctx, incoming.uuid)
    if done:
        raise StateError(f"{incoming.number} was received here already ({done})")
    if incoming.status == RECEIVED:
        where = f" at {incoming.received_by}" if incoming.received_by else ""
        number = f" ({incoming.received_number})" if incoming.received_number else ""
        raise StateError(f"{incoming.number} was received already{where}{number}")


def check_count(incoming: Incoming, line_no: int, received_milli: int) -> None:
    """A quantity typed for one line, checked as it is typed (reads only)."""
    line = incoming.line(line_no)
    if received_milli < 0:
        raise ValidationError("What arrived cannot be less than nothing")
    if received_milli > MAX_QTY_MILLI:
        raise ValidationError("That quantity is too large for one line")
    product = Product.get_or_none(Product.sku == line.sku)
    weighed = product.weighed if product is not None else bool(line.qty_milli % MILLI)
    if not weighed and received_milli % MILLI:
        raise ValidationError(
            f"{line.name} comes in whole {line.unit}, not {format_qty(received_milli)}"
        )
    if line.serial and received_milli > MILLI:
        raise ValidationError(f"Serial {line.serial} is one piece: it arrived (1) or not (0)")


def match_scan(
    ctx: Context, incoming: Incoming, text: str, counted: dict[int, int]
) -> tuple[int, int]:
    """What an item scanned at receipt counts towards: (line number, quantity). The first
    line of that product not yet full takes it, else its last line (what arrived over)."""
    qty, code = parse_scan(text)
    scan = find_by_code(ctx, code)
    if scan.qty_milli is not None and scan.fixed_gross is None:
        if qty is not None:
            raise ValidationError("A scale label carries its own quantity: scan it without 'N*'")
        qty = scan.qty_milli
    qty = qty if qty is not None else MILLI
    if qty <= 0:
        raise ValidationError("The quantity must be more than zero")
    lines = [line for line in incoming.lines if line.sku == scan.product.sku]
    if not lines:
        raise NotFound(f"{scan.product.name} is not on transfer {incoming.number}")
    for line in lines:
        if counted.get(line.line_no, 0) + qty <= line.qty_milli:
            return line.line_no, qty
    for line in lines:
        if counted.get(line.line_no, 0) < line.qty_milli:
            return line.line_no, qty
    return lines[-1].line_no, qty


def differences(incoming: Incoming, counts: list[Count]) -> dict[int, int]:
    """Line number -> received less sent, for the lines where they differ."""
    sent = {line.line_no: line.qty_milli for line in incoming.lines}
    return {
        c.line_no: c.received_milli - sent[c.line_no]
        for c in counts
        if c.line_no in sent and c.received_milli != sent[c.line_no]
    }


def _checked_counts(incoming: Incoming, counts: list[Count]) -> dict[int, Count]:
    by_line: dict[int, Count] = {}
    for count in counts:
        incoming.line(count.line_no)
        if count.line_no in by_line:
            raise ValidationError(f"Line {count.line_no} is counted twice")
        check_count(incoming, count.line_no, count.received_milli)
        reason = count.reason.strip()
        if contains_card_number(reason):
            raise ValidationError(CARD_NUMBER_MESSAGE)
        by_line[count.line_no] = Count(count.line_no, count.received_milli, reason[:REASON_LENGTH])
    for line in incoming.lines:
        if line.line_no not in by_line:
            raise ValidationError(
                f"Line {line.line_no} ({line.name}) is not counted: confirm what arrived"
            )
        count = by_line[line.line_no]
        if count.received_milli != line.qty_milli and not count.reason:
            gap = count.received_milli - line.qty_milli
            what = f"{format_qty(-gap)} short" if gap < 0 else f"{format_qty(gap)} over"
            raise ValidationError(f"Line {line.line_no} ({line.name}) is {what}: give a reason")
    return by_line


def receive(
    ctx: Context,
    actor: Employee,
    incoming: Incoming,
    counts: list[Count],
    *,
    approval: Approval | None = None,
    claim_id: str | None = None,
) -> Transfer:
    """Receive ``incoming`` at this location with what arrived of each line.

    Every line is counted; a difference has its reason; then a manager approves the
    differences (``ApprovalRequired`` until one does, nothing written), and the receipt
    note, its event and its moves are written in one transaction.
    """
    require(actor, Perm.MANAGE_STOCK)
    check_incoming(ctx, incoming)
    by_line = _checked_counts(incoming, counts)
    products: dict[int, Product] = {}
    for line in incoming.lines:
        product = Product.get_or_none(Product.sku == line.sku)
        if product is None:
            raise NotFound(
                f"{line.name} ({line.sku}) is not in this till's catalog: "
                "pull master data (F12), then receive"
            )
        products[line.line_no] = product
    differs = differences(incoming, list(by_line.values()))
    with ctx.write():
        check_incoming(ctx, incoming)  # again, under the write lock
        # only now, with nothing left to refuse, is a manager's approval used
        approved_by = require(actor, Perm.APPROVE_STOCK, approval) if differs else None
        number = numbering.allocate(ctx, "transfer_in")
        now = ctx.now()
        row = Transfer.get_or_none(Transfer.uuid == incoming.uuid)
        received = {
            "status": RECEIVED,
            "received_number": number,
            "received_at": now,
            "received_by": actor.code,
            "approved_by": approved_by,
        }
        if row is not None:  # sent from this very till, to the location it now works at
            Transfer.update(**received).where(Transfer.id == row.id).execute()
            transfer_id = row.id
        else:
            transfer_id = Transfer.insert_row(
                uuid=incoming.uuid,
                number=incoming.number,
                from_location=incoming.from_location,
                to_location=incoming.to_location,
                sent_by=incoming.sent_by,
                created_at=_moment(incoming.sent_at) or now,
                employee=incoming.employee or "",
                **received,
            )
        payload_lines = []
        moves: list[stock.Move] = []
        for line in incoming.lines:
            product, count = products[line.line_no], by_line[line.line_no]
            got = count.received_milli
            fields = {"received_milli": got, "reason": count.reason}
            updated = (
                TransferLine.update(**fields)
                .where(TransferLine.transfer == transfer_id, TransferLine.line_no == line.line_no)
                .execute()
            )
            if not updated:
                TransferLine.insert_row(
                    transfer=transfer_id,
                    line_no=line.line_no,
                    product=product.id,
                    sku=line.sku,
                    qty_milli=line.qty_milli,
                    lot_no=line.lot_no,
                    serial=line.serial,
                    **fields,
                )
            if line.lot_no and got:
                _lot_in(ctx, product, line, got)
            if line.serial and got:
                _serial_in(ctx, product, line.serial)
            payload_lines.append(
                {
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "name": line.name,
                    "unit": line.unit,
                    "qty_milli": line.qty_milli,
                    "received_milli": got,
                    "reason": count.reason,
                    "lot_no": line.lot_no,
                    "serial": line.serial,
                }
            )
            moves.append(
                stock.Move(
                    product.id,
                    on_hand=got,
                    transit=-line.qty_milli,
                    location=ctx.location,
                    lot_no=line.lot_no,
                    serial=line.serial,
                )
            )
        event = journal.append(
            ctx,
            "transfer.received",
            {
                "uuid": incoming.uuid,
                "number": number,
                "transfer": incoming.number,
                "sent_by": incoming.sent_by,
                "from_location": incoming.from_location,
                "to_location": incoming.to_location,
                "claim_id": claim_id,
                "lines": payload_lines,
            },
            employee=actor.code,
            approved_by=approved_by,
        )
        stock.record(ctx, "transfer_in", number, event.seq, moves)
    return Transfer.get_by_id(transfer_id)


def _moment(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.removesuffix("Z"))
    except ValueError:
        return None


def _lot_in(ctx: Context, product: Product, line: IncomingLine, qty: int) -> None:
    """The lot arrives here with its expiry; a lot already here of that number grows."""
    lot = Lot.get_or_none(
        Lot.product == product, Lot.location == ctx.location, Lot.lot_no == line.lot_no
    )
    if lot is not None:
        Lot.update(qty_milli=Lot.qty_milli + qty).where(Lot.id == lot.id).execute()
        return
    Location.insert(code=ctx.location, name=ctx.location).on_conflict_ignore().execute()
    Lot.insert(
        product=product,
        location=ctx.location,
        lot_no=line.lot_no,
        expiry=date.fromisoformat(line.expiry) if line.expiry else None,
        received_at=ctx.now(),
        qty_milli=qty,
    ).execute()


def _serial_in(ctx: Context, product: Product, serial: str) -> None:
    """The serial is in stock here now (this till may never have seen it)."""
    SerialNumber.insert(
        product=product, serial=serial, status="available", location=ctx.location
    ).on_conflict(
        conflict_target=[SerialNumber.product, SerialNumber.serial],
        update={SerialNumber.status: "available", SerialNumber.location: ctx.location},
    ).execute()
