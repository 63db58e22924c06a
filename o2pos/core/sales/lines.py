"""Ringing up: scans and typed codes, quantities, lots and serials, removing a line."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from peewee import fn

from o2pos.core import journal, stock
from o2pos.core.auth import Perm, require
from o2pos.core.catalog import fifo_lots, find_by_code
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, ValidationError
from o2pos.core.models import Employee, Lot, Product, Sale, SaleLine, SerialNumber, sql
from o2pos.core.money import MILLI, format_qty, parse_qty
from o2pos.core.sales.bills import draft_of, line_of
from o2pos.core.sales.payloads import line_payload
from o2pos.core.sales.repricing import recompute
from o2pos.core.vouchers import (
    NOT_SCANNED,
    ONE_PER_LINE,
    check_seller,
    is_voucher,
    parse_voucher_amount,
    voucher_product,
)

MAX_LINES = 500
MAX_QTY_MILLI = 100_000 * MILLI
_SCAN = re.compile(r"^\s*(?P<qty>[0-9]+(?:\.[0-9]{1,3})?)\s*\*\s*(?P<code>\S+)\s*$")


class SerialRequired(ValidationError):
    """The product is serial-tracked: ask for the serial number and add again."""

    def __init__(self, product: Product) -> None:
        super().__init__(f"{product.name} needs its serial number")
        self.product_name = product.name


def parse_scan(text: str) -> tuple[int | None, str]:
    """``3*8901234567890`` → (3000, code); a plain code → (None, code)."""
    match = _SCAN.match(text)
    if match:
        return parse_qty(match["qty"]), match["code"]
    if "*" in text:
        raise ValidationError(f"'{text.strip()}': type a quantity, '*', then the code (3*CODE)")
    return None, text.strip()


def _check_qty(product: Product | SaleLine, qty_milli: int, weighed: bool) -> None:
    if qty_milli <= 0:
        raise ValidationError("The quantity must be more than zero")
    if qty_milli > MAX_QTY_MILLI:
        raise ValidationError("That quantity is too large for one line")
    if not weighed and qty_milli % MILLI:
        raise ValidationError(
            f"{product.name} is sold in whole {product.unit}, not {format_qty(qty_milli)}"
        )


def _line_stats(sale: Sale) -> tuple[int, int]:
    """How many lines the bill has, and its highest line number (one plain query)."""
    count, highest = sql(
        "SELECT COUNT(*), COALESCE(MAX(line_no), 0) FROM sale_line WHERE sale_id = ?", (sale.id,)
    ).fetchone()
    return count, highest


def _new_line(sale: Sale, product: Product, qty: int, **extra: Any) -> SaleLine:
    (rate,) = sql(
        "SELECT rate_bp FROM tax_class WHERE code = ?", (product.tax_class_id,)
    ).fetchone()
    fields = {
        "sale": sale,
        "line_no": _line_stats(sale)[1] + 1,
        "product": product,
        "sku": product.sku,
        "name": product.name,
        "unit": product.unit,
        "qty_milli": qty,
        "list_price": product.price,
        "unit_price": product.price,
        "price_includes_tax": product.price_includes_tax,
        "tax_class": product.tax_class_id,
        "tax_rate_bp": rate,
        "hsn": product.hsn,
        **extra,
    }
    return SaleLine(id=SaleLine.insert_row(**fields), **fields)


def add_item(
    ctx: Context,
    sale_id: int,
    text: str,
    actor: Employee,
    *,
    serial: str | None = None,
    lot_no: str | None = None,
) -> list[SaleLine]:
    """Ring up what was scanned or typed (``3*CODE`` sets the quantity); returns touched lines."""
    require(actor, Perm.SELL)
    qty, code = parse_scan(text)
    scan = find_by_code(ctx, code)
    product = scan.product
    if is_voucher(product.sku):  # an import made the reserved product sellable: never a scan
        raise ValidationError(NOT_SCANNED)
    if scan.qty_milli is not None:
        if qty is not None:
            raise ValidationError("A scale label carries its own quantity: scan it without 'N*'")
        qty = scan.qty_milli
    qty = qty if qty is not None else MILLI
    _check_qty(product, qty, product.weighed)
    with ctx.write():
        sale = draft_of(sale_id)
        if _line_stats(sale)[0] >= MAX_LINES:
            raise ValidationError(f"A bill holds at most {MAX_LINES} lines")
        touched: list[SaleLine] = []
        before = {row[0] for row in sql("SELECT id FROM sale_line WHERE sale_id = ?", (sale.id,))}
        stock.check_sale(ctx, sale.id, product, qty)
        if product.serial_tracked:
            touched.append(_add_serial(ctx, sale, product, qty, serial))
        elif product.lot_tracked:
            touched.extend(_add_lots(ctx, sale, product, qty, lot_no))
        elif scan.fixed_gross is not None or product.weighed:
            touched.append(_new_line(sale, product, qty, fixed_gross=scan.fixed_gross))
        else:
            touched.append(_add_plain(sale, product, qty))
        recompute(ctx, sale, frozenset(ln.id for ln in touched if ln.id not in before))
    return [SaleLine.fetch("id = ?", line.id)[0] for line in touched]


def add_gift_voucher(ctx: Context, sale_id: int, amount_text: str, actor: Employee) -> SaleLine:
    """Put a gift voucher of the typed amount on the bill, as a line of its own.

    Only a role that takes payments may (``vouchers.check_seller``). A bad amount changes
    nothing.
    """
    check_seller(actor)
    amount = parse_voucher_amount(amount_text)
    with ctx.write():
        sale = draft_of(sale_id)
        if _line_stats(sale)[0] >= MAX_LINES:
            raise ValidationError(f"A bill holds at most {MAX_LINES} lines")
        line = _new_line(sale, voucher_product(), MILLI, list_price=amount, unit_price=amount)
        recompute(ctx, sale)
    return SaleLine.fetch("id = ?", line.id)[0]


def _add_plain(sale: Sale, product: Product, qty: int) -> SaleLine:
    """Scanning the same item again adds to its line, unless that line was altered (its
    unit price may be its customer group's: repricing gives it, so the list price is what
    tells the same item at the same price)."""
    found = SaleLine.fetch(
        "sale_id = ? AND product_id = ? AND price_overridden = 0 AND discount_kind IS NULL "
        "AND fixed_gross IS NULL AND list_price = ? LIMIT 1",
        sale.id,
        product.id,
        product.price,
    )
    if found:
        same = found[0]
        _check_qty(product, same.qty_milli + qty, False)
        SaleLine.update_row(same.id, qty_milli=same.qty_milli + qty)
        return same
    return _new_line(sale, product, qty)


def _add_serial(
    ctx: Context, sale: Sale, product: Product, qty: int, serial: str | None
) -> SaleLine:
    if qty != MILLI:
        raise ValidationError(f"{product.name} is serial-tracked: one per line")
    if not serial or not serial.strip():
        raise SerialRequired(product)
    serial = serial.strip().upper()
    row = SerialNumber.get_or_none(SerialNumber.product == product, SerialNumber.serial == serial)
    if row is None:
        raise NotFound(f"Serial {serial} is not in stock for {product.name}")
    if row.status != "available":
        raise ValidationError(f"Serial {serial} of {product.name} has already been sold")
    where = row.location or ctx.settings.terminal.location  # none: the till's own
    if where != ctx.location:
        raise ValidationError(f"Serial {serial} of {product.name} is at {where}, not here")
    on_bill = SaleLine.select().where(
        SaleLine.sale == sale, SaleLine.product == product, SaleLine.serial == serial
    )
    if on_bill.exists():
        raise ValidationError(f"Serial {serial} is already on this bill")
    return _new_line(sale, product, qty, serial=serial)


def _lot_reserved(sale: Sale, lot: Lot) -> int:
    return (
        SaleLine.select(fn.COALESCE(fn.SUM(SaleLine.qty_milli), 0))
        .where(SaleLine.sale == sale, SaleLine.lot == lot)
        .scalar()
    )


def _add_lots(
    ctx: Context, sale: Sale, product: Product, qty: int, lot_no: str | None
) -> list[SaleLine]:
    """Take the quantity from the chosen lot, or first-in-first-out over several lots."""
    if lot_no:
        lot = Lot.get_or_none(
            Lot.product == product,
            Lot.lot_no == lot_no.strip(),
            Lot.location == ctx.location,
        )
        if lot is None:
            raise NotFound(f"No lot {lot_no.strip()} of {product.name} here")
        free = lot.qty_milli - _lot_reserved(sale, lot)
        if qty > free:
            raise ValidationError(f"Lot {lot.lot_no} has only {format_qty(max(free, 0))} left")
        return [_new_line(sale, product, qty, lot=lot, lot_no=lot.lot_no)]
    lines: list[SaleLine] = []
    remaining = qty
    for lot in fifo_lots(ctx, product):
        free = lot.qty_milli - _lot_reserved(sale, lot)
        if free <= 0:
            continue
        take = min(free, remaining)
        if not product.weighed:
            take -= take % MILLI
            if take == 0:
                continue
        lines.append(_new_line(sale, product, take, lot=lot, lot_no=lot.lot_no))
        remaining -= take
        if remaining == 0:
            return lines
    raise ValidationError(
        f"Only {format_qty(qty - remaining)} of {product.name} in stock across its lots"
    )


class LotView(NamedTuple):
    lot_no: str
    expiry: str  # ISO date, or "" when the lot has none
    qty_milli: int


def lots_for(ctx: Context, text: str) -> tuple[str, list[LotView]]:
    """The product a typed or scanned code names, and its lots with stock here, first in
    first; ctrl+t sells from the one the cashier picks."""
    product = find_by_code(ctx, parse_scan(text)[1]).product
    if not product.lot_tracked:
        raise ValidationError(f"{product.name} is not sold by lot")
    lots = [
        LotView(lot.lot_no, str(lot.expiry or ""), lot.qty_milli) for lot in fifo_lots(ctx, product)
    ]
    if not lots:
        raise ValidationError(f"No lot of {product.name} has stock")
    return product.name, lots


def set_qty(ctx: Context, sale_id: int, line_id: int, qty_milli: int, actor: Employee) -> SaleLine:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = draft_of(sale_id)
        line = line_of(sale, line_id)
        if is_voucher(line.sku):
            raise ValidationError(ONE_PER_LINE)
        product = line.product
        _check_qty(line, qty_milli, product.weighed)
        if line.serial:
            raise ValidationError("A serial-numbered line is always one piece")
        if line.fixed_gross is not None:
            raise ValidationError("A scale label's quantity cannot be changed: remove and rescan")
        stock.check_sale(ctx, sale.id, product, qty_milli - line.qty_milli)
        if line.lot_id is not None:
            lot = Lot.get_by_id(line.lot_id)
            free = lot.qty_milli - _lot_reserved(sale, lot) + line.qty_milli
            if qty_milli > free:
                raise ValidationError(f"Lot {lot.lot_no} has only {format_qty(free)}")
        SaleLine.update(qty_milli=qty_milli).where(SaleLine.id == line.id).execute()
        recompute(ctx, sale)
    return SaleLine.get_by_id(line_id)


def remove_line(ctx: Context, sale_id: int, line_id: int, actor: Employee) -> None:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = draft_of(sale_id)
        line = line_of(sale, line_id)
        line.delete_instance()
        recompute(ctx, sale)
        # a line taken off a bill is on the record: voids are what loss prevention reads
        journal.append(
            ctx,
            "sale.line_removed",
            {"uuid": sale.uuid, **line_payload(line)},
            employee=actor.code,
        )
