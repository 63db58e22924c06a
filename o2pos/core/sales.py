"""Bills: draft → held → completed, or cancelled.

A draft is saved at every change (one short transaction each), so a till killed mid-bill
resumes it exactly. Lines copy the product's price, tax and name when rung up: a price
pulled from the central later does not change a bill in progress. Completing a bill
allocates its number, moves stock, lots and serials, records its payment and writes the
``sale.completed`` event, all in one transaction.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from peewee import fn

from o2pos.core import journal, numbering
from o2pos.core.auth import Approval, Perm, require, require_discount
from o2pos.core.catalog import adjust_stock, fifo_lots, find_by_code
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, StateError, ValidationError
from o2pos.core.models import (
    Coupon,
    CouponRedemption,
    Customer,
    Employee,
    Journal,
    Lot,
    Product,
    Sale,
    SaleLine,
    SerialNumber,
    TaxClass,
)
from o2pos.core.money import (
    BP,
    MILLI,
    format_amount,
    format_percent,
    format_qty,
    line_amount,
    parse_qty,
)
from o2pos.core.payments import Tender, receipt_payload, record, settle
from o2pos.core.pricing import CouponTerms, Discount, LineInput, discount_amount, price_bill
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number
from o2pos.core.register import current_session, require_open

MAX_LINES = 500
MAX_QTY_MILLI = 100_000 * MILLI
_SCAN = re.compile(r"^\s*(?P<qty>[0-9]+(?:\.[0-9]{1,3})?)\s*\*\s*(?P<code>\S+)\s*$")


class SerialRequired(ValidationError):
    """The product is serial-tracked: ask for the serial number and add again."""

    def __init__(self, product: Product) -> None:
        super().__init__(f"{product.name} needs its serial number")
        self.product = product


@dataclass(frozen=True)
class CheckoutResult:
    sale: Sale
    receipt_number: str | None
    change: int


# --- reading --------------------------------------------------------------------------


def get(sale_id: int) -> Sale:
    rows = Sale.fetch("id = ?", sale_id)
    if not rows:
        raise NotFound(f"No bill with id {sale_id}")
    return rows[0]


def lines_of(sale: Sale) -> list[SaleLine]:
    return SaleLine.fetch("sale_id = ? ORDER BY line_no", sale.id)


class LineView(NamedTuple):
    """What a screen shows of a bill line: read without building a 35-field model."""

    id: int
    line_no: int
    name: str
    serial: str | None
    qty_milli: int
    unit_price: int
    line_discount: int
    order_discount: int  # the line's share of the bill discount and the coupon
    tax_rate_bp: int
    total: int


def line_views(sale_id: int) -> list[LineView]:
    rows = SaleLine._meta.database.execute_sql(
        "SELECT id, line_no, name, serial, qty_milli, unit_price, line_discount, "
        "order_discount, tax_rate_bp, total FROM sale_line WHERE sale_id = ? ORDER BY line_no",
        (sale_id,),
    ).fetchall()
    return [LineView(*row) for row in rows]


def find_by_number(number: str) -> Sale:
    sale = Sale.get_or_none(Sale.number == number.strip().upper())
    if sale is None:
        raise NotFound(f"No bill numbered {number.strip()}")
    return sale


def open_draft(ctx: Context) -> Sale | None:
    """The bill in progress on this till, if any (to resume after a restart)."""
    return (
        Sale.select()
        .where(Sale.terminal_id == ctx.terminal_id, Sale.status == "draft")
        .order_by(Sale.id.desc())
        .first()
    )


def held(ctx: Context) -> list[Sale]:
    return list(
        Sale.select()
        .where(Sale.terminal_id == ctx.terminal_id, Sale.status == "held")
        .order_by(Sale.created_at)
    )


# --- the draft ------------------------------------------------------------------------


def new(ctx: Context, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        session = current_session(ctx)
        return Sale.create(
            uuid=str(uuid.uuid4()),
            terminal_id=ctx.terminal_id,
            employee=actor,
            session=session,
            created_at=ctx.now(),
        )


def _draft(sale_id: int) -> Sale:
    sale = get(sale_id)
    if sale.status != "draft":
        raise StateError(f"This bill is {sale.status}; it can no longer be changed")
    return sale


def _line(sale: Sale, line_id: int) -> SaleLine:
    line = SaleLine.get_or_none(SaleLine.id == line_id, SaleLine.sale == sale)
    if line is None:
        raise NotFound("That line is not on this bill")
    return line


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
    count, highest = SaleLine._meta.database.execute_sql(
        "SELECT COUNT(*), COALESCE(MAX(line_no), 0) FROM sale_line WHERE sale_id = ?", (sale.id,)
    ).fetchone()
    return count, highest


def _new_line(sale: Sale, product: Product, qty: int, **extra: Any) -> SaleLine:
    (rate,) = TaxClass._meta.database.execute_sql(
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
    if scan.qty_milli is not None:
        if qty is not None:
            raise ValidationError("A scale label carries its own quantity: scan it without 'N*'")
        qty = scan.qty_milli
    qty = qty if qty is not None else MILLI
    _check_qty(product, qty, product.weighed)
    with ctx.write():
        sale = _draft(sale_id)
        if _line_stats(sale)[0] >= MAX_LINES:
            raise ValidationError(f"A bill holds at most {MAX_LINES} lines")
        touched: list[SaleLine] = []
        if product.serial_tracked:
            touched.append(_add_serial(sale, product, qty, serial))
        elif product.lot_tracked:
            touched.extend(_add_lots(ctx, sale, product, qty, lot_no))
        elif scan.fixed_gross is not None or product.weighed:
            touched.append(_new_line(sale, product, qty, fixed_gross=scan.fixed_gross))
        else:
            touched.append(_add_plain(sale, product, qty))
        _recompute(ctx, sale)
    return [SaleLine.fetch("id = ?", line.id)[0] for line in touched]


def _add_plain(sale: Sale, product: Product, qty: int) -> SaleLine:
    """Scanning the same item again adds to its line, unless that line was altered."""
    found = SaleLine.fetch(
        "sale_id = ? AND product_id = ? AND price_overridden = 0 AND discount_kind IS NULL "
        "AND fixed_gross IS NULL AND unit_price = ? LIMIT 1",
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


def _add_serial(sale: Sale, product: Product, qty: int, serial: str | None) -> SaleLine:
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
            Lot.location == ctx.settings.terminal.location,
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


def set_qty(ctx: Context, sale_id: int, line_id: int, qty_milli: int, actor: Employee) -> SaleLine:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        line = _line(sale, line_id)
        product = line.product
        _check_qty(line, qty_milli, product.weighed)
        if line.serial:
            raise ValidationError("A serial-numbered line is always one piece")
        if line.fixed_gross is not None:
            raise ValidationError("A scale label's quantity cannot be changed: remove and rescan")
        if line.lot_id is not None:
            lot = Lot.get_by_id(line.lot_id)
            free = lot.qty_milli - _lot_reserved(sale, lot) + line.qty_milli
            if qty_milli > free:
                raise ValidationError(f"Lot {lot.lot_no} has only {format_qty(free)}")
        SaleLine.update(qty_milli=qty_milli).where(SaleLine.id == line.id).execute()
        _recompute(ctx, sale)
    return SaleLine.get_by_id(line_id)


def remove_line(ctx: Context, sale_id: int, line_id: int, actor: Employee) -> None:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        line = _line(sale, line_id)
        line.delete_instance()
        _recompute(ctx, sale)
        # a line taken off a bill is on the record: voids are what loss prevention reads
        journal.append(
            ctx,
            "sale.line_removed",
            {"uuid": sale.uuid, **_line_payload(line)},
            employee=actor.code,
        )


def set_line_discount(
    ctx: Context,
    sale_id: int,
    line_id: int,
    kind: str | None,
    value: int,
    actor: Employee,
    approval: Approval | None = None,
) -> SaleLine:
    """Percent (basis points) or amount off one line; above the role's limit needs approval.

    ``kind=None`` removes the discount, which only ever raises the price, so it needs no
    approval.
    """
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        line = _line(sale, line_id)
        approved_by = None
        if kind is not None:
            gross = line.gross
            _check_discount(kind, value, gross)
            given = require_discount(actor, _effective_bp(kind, value, gross), approval)
            approved_by, limit = given.approved_by, given.limit_bp
        else:
            limit = 0
        SaleLine.update(
            discount_kind=kind,
            discount_value=value if kind else 0,
            approved_by=approved_by,
            discount_limit_bp=limit,
        ).where(SaleLine.id == line.id).execute()
        _recompute(ctx, sale)
    return SaleLine.get_by_id(line_id)


def _effective_bp(kind: str, value: int, base: int) -> int:
    """How big a discount is, in basis points of what it comes off (rounded up)."""
    if kind == "percent":
        return value
    return (value * BP + base - 1) // base if base > 0 else BP + 1


def _check_discount(kind: str, value: int, base: int) -> None:
    if kind not in ("percent", "amount"):
        raise ValidationError("A discount is a percent or an amount")
    if value <= 0:
        raise ValidationError("A discount must be more than zero")
    if kind == "percent" and value > BP:
        raise ValidationError("A discount cannot be more than 100%")
    if kind == "amount" and value > base:
        raise ValidationError(f"The discount is more than the {format_amount(base)} it applies to")
    if base <= 0:
        raise ValidationError("There is nothing to discount")


def override_price(
    ctx: Context,
    sale_id: int,
    line_id: int,
    unit_price: int,
    actor: Employee,
    approval: Approval | None = None,
) -> SaleLine:
    """A new unit price for one line; a role without ``price_override`` needs approval.

    The price, the bill and the line are checked first: the approval is used up only by an
    override that then goes through.
    """
    if unit_price < 0:
        raise ValidationError("A price cannot be negative")
    with ctx.write():
        sale = _draft(sale_id)
        line = _line(sale, line_id)
        if line.fixed_gross is not None:
            raise ValidationError("A scale label's price cannot be overridden")
        approved_by = require(actor, Perm.PRICE_OVERRIDE, approval)
        SaleLine.update(
            unit_price=unit_price,
            price_overridden=unit_price != line.list_price,
            price_approved_by=approved_by,
        ).where(SaleLine.id == line.id).execute()
        _recompute(ctx, sale)
    return SaleLine.get_by_id(line_id)


def set_order_discount(
    ctx: Context,
    sale_id: int,
    kind: str | None,
    value: int,
    actor: Employee,
    approval: Approval | None = None,
) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        approved_by = None
        if kind is not None:
            base = sale.subtotal - sum(ln.line_discount for ln in lines_of(sale))
            _check_discount(kind, value, base)
            given = require_discount(actor, _effective_bp(kind, value, base), approval)
            approved_by, limit = given.approved_by, given.limit_bp
        else:
            limit = 0
        Sale.update(
            order_discount_kind=kind,
            order_discount_value=value if kind else 0,
            order_discount_approved_by=approved_by,
            order_discount_limit_bp=limit,
        ).where(Sale.id == sale.id).execute()
        _recompute(ctx, get(sale_id))
    return get(sale_id)


def _coupon_problem(ctx: Context, coupon: Coupon | None, code: str) -> str | None:
    if coupon is None or not coupon.active:
        return f"No coupon {code}"
    today = ctx.today()
    if coupon.valid_from and today < coupon.valid_from:
        return f"Coupon {coupon.code} is valid from {coupon.valid_from}"
    if coupon.valid_to and today > coupon.valid_to:
        return f"Coupon {coupon.code} expired on {coupon.valid_to}"
    if coupon.usage_limit is not None and coupon.used_count >= coupon.usage_limit:
        return f"Coupon {coupon.code} has been used up"
    return None


def apply_coupon(ctx: Context, sale_id: int, code: str, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    code = code.strip().upper()
    with ctx.write():
        sale = _draft(sale_id)
        coupon = Coupon.get_or_none(Coupon.code == code)
        problem = _coupon_problem(ctx, coupon, code)
        if problem:
            raise ValidationError(problem)
        base = sale.subtotal - sum(ln.line_discount for ln in lines_of(sale))
        if base < coupon.min_cart:
            raise ValidationError(
                f"Coupon {code} needs a bill of {format_amount(coupon.min_cart)} or more"
            )
        Sale.update(coupon_code=code, notice=None).where(Sale.id == sale.id).execute()
        _recompute(ctx, get(sale_id))
    return get(sale_id)


def remove_coupon(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        Sale.update(coupon_code=None, coupon_discount=0, notice=None).where(
            Sale.id == sale.id
        ).execute()
        _recompute(ctx, get(sale_id))
    return get(sale_id)


def set_customer(ctx: Context, sale_id: int, customer_id: int | None, actor: Employee) -> Sale:
    """Walk-in (None) or a named customer; from another state, the bill is taxed IGST."""
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        customer = None
        if customer_id is not None:
            customer = Customer.get_or_none(Customer.id == customer_id)
            if customer is None:
                raise NotFound("No such customer")
        interstate = bool(
            customer
            and customer.state_code
            and customer.state_code != ctx.settings.store.state_code
        )
        Sale.update(customer=customer, interstate=interstate).where(Sale.id == sale.id).execute()
        _recompute(ctx, get(sale_id))
    return get(sale_id)


def _recompute(ctx: Context, sale: Sale) -> None:
    """Price the bill again from its lines' snapshots and store every computed figure."""
    sale = get(sale.id)
    lines = lines_of(sale)
    notices = _drop_outgrown_discounts(sale, lines)
    coupon = Coupon.get_or_none(Coupon.code == sale.coupon_code) if sale.coupon_code else None
    terms = (
        CouponTerms(coupon.kind, coupon.value, coupon.min_cart, coupon.max_discount)
        if coupon
        else None
    )
    discount = (
        Discount(sale.order_discount_kind, sale.order_discount_value)
        if sale.order_discount_kind
        else None
    )
    bill = price_bill(
        [
            LineInput(
                unit_price=ln.unit_price,
                qty_milli=ln.qty_milli,
                includes_tax=ln.price_includes_tax,
                rate_bp=ln.tax_rate_bp,
                discount_kind=ln.discount_kind,
                discount_value=ln.discount_value,
                fixed_gross=ln.fixed_gross,
            )
            for ln in lines
        ],
        interstate=sale.interstate,
        order_discount=discount,
        coupon=terms,
        round_off=ctx.settings.store.round_off,
    )
    for line, result in zip(lines, bill.lines, strict=True):
        changed = (
            line.gross,
            line.line_discount,
            line.order_discount,
            line.taxable,
            line.cgst,
            line.sgst,
            line.igst,
            line.total,
        ) != (
            result.gross,
            result.line_discount,
            result.order_discount,
            result.taxable,
            result.cgst,
            result.sgst,
            result.igst,
            result.total,
        )
        if changed:
            SaleLine.update_row(
                line.id,
                gross=result.gross,
                line_discount=result.line_discount,
                order_discount=result.order_discount,
                taxable=result.taxable,
                cgst=result.cgst,
                sgst=result.sgst,
                igst=result.igst,
                total=result.total,
            )
    updates: dict[str, Any] = {
        "subtotal": bill.subtotal,
        "discount_total": bill.discount_total,
        "coupon_discount": bill.coupon_discount,
        "taxable_total": bill.taxable_total,
        "tax_total": bill.tax_total,
        "round_off": bill.round_off,
        "total": bill.total,
        "balance": bill.total,
    }
    if coupon is not None and not bill.coupon_applies:
        # a coupon whose minimum the cart no longer reaches is dropped, and the cashier told
        updates.update(coupon_code=None, coupon_discount=0)
        notices.append(
            f"Coupon {coupon.code} removed: the bill is below "
            f"{format_amount(coupon.min_cart)}; apply it again when it qualifies"
        )
    # the notice belongs to this change only: the next change clears it
    updates["notice"] = " ".join(notices) or None
    Sale.update_row(sale.id, **updates)


def _drop_outgrown_discounts(sale: Sale, lines: list[SaleLine]) -> list[str]:
    """Remove amount discounts that the cart's changes made bigger than they were allowed.

    A fixed amount off approved on three pieces is a larger share of one piece: above the
    limit it was given under, it no longer applies and must be given again.
    """
    notices: list[str] = []
    after = 0
    for ln in lines:
        gross = (
            ln.fixed_gross
            if ln.fixed_gross is not None
            else line_amount(ln.unit_price, ln.qty_milli)
        )
        if ln.discount_kind == "amount" and (
            ln.discount_value > gross
            or _effective_bp("amount", ln.discount_value, gross) > ln.discount_limit_bp
        ):
            SaleLine.update(
                discount_kind=None, discount_value=0, approved_by=None, discount_limit_bp=0
            ).where(SaleLine.id == ln.id).execute()
            ln.discount_kind, ln.discount_value, ln.approved_by = None, 0, None
            notices.append(
                f"Discount on {ln.name} removed: after the change it is more than "
                f"{format_percent(ln.discount_limit_bp)} of the line; give it again."
            )
        after += gross - discount_amount(gross, ln.discount_kind, ln.discount_value)
    if sale.order_discount_kind == "amount" and (
        sale.order_discount_value > after
        or _effective_bp("amount", sale.order_discount_value, after) > sale.order_discount_limit_bp
    ):
        Sale.update(
            order_discount_kind=None,
            order_discount_value=0,
            order_discount_approved_by=None,
            order_discount_limit_bp=0,
        ).where(Sale.id == sale.id).execute()
        sale.order_discount_kind, sale.order_discount_value = None, 0
        notices.append(
            "Bill discount removed: after the change it is more than "
            f"{format_percent(sale.order_discount_limit_bp)} of the bill; give it again."
        )
    return notices


# --- state changes --------------------------------------------------------------------


def hold(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = _draft(sale_id)
        if not lines_of(sale):
            raise ValidationError("An empty bill cannot be held")
        Sale.update(status="held").where(Sale.id == sale.id).execute()
        journal.append(
            ctx,
            "sale.held",
            {"uuid": sale.uuid, "total": sale.total, "lines": len(lines_of(sale))},
            employee=actor.code,
        )
    return get(sale_id)


def recall(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = get(sale_id)
        if sale.status != "held":
            raise StateError("Only a held bill can be recalled")
        Sale.update(status="draft", session=current_session(ctx)).where(
            Sale.id == sale.id
        ).execute()
        journal.append(ctx, "sale.recalled", {"uuid": sale.uuid}, employee=actor.code)
    return get(sale_id)


def cancel(
    ctx: Context, sale_id: int, actor: Employee, approval: Approval | None = None, reason: str = ""
) -> Sale:
    """Void a bill in progress; a bill with lines needs the void permission or approval.

    Only an empty draft that was never held goes without a journal event: nothing about it
    ever reached the record.
    """
    require(actor, Perm.SELL)
    if contains_card_number(reason):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    with ctx.write():
        sale = get(sale_id)
        if sale.status not in ("draft", "held"):
            raise StateError(f"A {sale.status} bill cannot be cancelled; take a return instead")
        lines = lines_of(sale)
        was_held = sale.status == "held" or _was_held(sale)
        if not lines and not was_held:
            Sale.update(status="cancelled").where(Sale.id == sale.id).execute()
            return get(sale_id)
        approved_by = require(actor, Perm.VOID, approval) if lines else None
        Sale.update(status="cancelled").where(Sale.id == sale.id).execute()
        journal.append(
            ctx,
            "sale.voided",
            {
                "uuid": sale.uuid,
                "reason": reason.strip()[:200],
                "total": sale.total,
                "lines": [_line_payload(ln) for ln in lines],
            },
            employee=actor.code,
            approved_by=approved_by,
        )
    return get(sale_id)


def _was_held(sale: Sale) -> bool:
    return (
        Journal.select()
        .where(
            Journal.event_type == "sale.held",
            fn.json_extract(Journal.payload, "$.uuid") == sale.uuid,
        )
        .exists()
    )


def _line_payload(line: SaleLine) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "sku": line.sku,
        "name": line.name,
        "unit": line.unit,
        "qty_milli": line.qty_milli,
        "list_price": line.list_price,
        "unit_price": line.unit_price,
        "price_overridden": line.price_overridden,
        "fixed_gross": line.fixed_gross,
        "price_includes_tax": line.price_includes_tax,
        "tax_class": line.tax_class,
        "tax_rate_bp": line.tax_rate_bp,
        "discount_kind": line.discount_kind,
        "discount_value": line.discount_value,
        "approved_by": line.approved_by,
        "price_approved_by": line.price_approved_by,
        "lot_no": line.lot_no,
        "serial": line.serial,
        "gross": line.gross,
        "line_discount": line.line_discount,
        "order_discount": line.order_discount,
        "taxable": line.taxable,
        "cgst": line.cgst,
        "sgst": line.sgst,
        "igst": line.igst,
        "total": line.total,
    }


def tax_summary(lines: list[SaleLine]) -> list[dict[str, int]]:
    rows: dict[int, dict[str, int]] = {}
    for ln in lines:
        row = rows.setdefault(
            ln.tax_rate_bp,
            {"rate_bp": ln.tax_rate_bp, "taxable": 0, "cgst": 0, "sgst": 0, "igst": 0},
        )
        for key in ("taxable", "cgst", "sgst", "igst"):
            row[key] += getattr(ln, key)
    return [rows[k] for k in sorted(rows)]


def sale_payload(sale: Sale, lines: list[SaleLine]) -> dict[str, Any]:
    """Everything the back office needs to rebuild the bill without asking the till."""
    customer = sale.customer
    return {
        "uuid": sale.uuid,
        "number": sale.number,
        "session_id": sale.session_id,
        "customer": (
            {
                "uuid": customer.uuid,
                "name": customer.name,
                "gstin": customer.gstin,
                "state_code": customer.state_code,
            }
            if customer
            else None
        ),
        "interstate": sale.interstate,
        "lines": [_line_payload(ln) for ln in lines],
        "order_discount": (
            {
                "kind": sale.order_discount_kind,
                "value": sale.order_discount_value,
                "approved_by": sale.order_discount_approved_by,
            }
            if sale.order_discount_kind
            else None
        ),
        "coupon": (
            {"code": sale.coupon_code, "amount": sale.coupon_discount} if sale.coupon_code else None
        ),
        "subtotal": sale.subtotal,
        "discount_total": sale.discount_total,
        "taxable_total": sale.taxable_total,
        "tax_total": sale.tax_total,
        "taxes": tax_summary(lines),
        "round_off": sale.round_off,
        "total": sale.total,
    }


def _complete(
    ctx: Context, sale: Sale, lines: list[SaleLine], actor: Employee, **fields: Any
) -> Sale:
    """Number the bill and move its goods; the caller records payment and the event."""
    if not lines:
        raise ValidationError("The bill is empty: scan an item first")
    if sale.coupon_code:
        coupon = Coupon.get_or_none(Coupon.code == sale.coupon_code)
        problem = _coupon_problem(ctx, coupon, sale.coupon_code)
        if problem:
            raise ValidationError(problem + ": remove it to go on")
        Coupon.update(used_count=Coupon.used_count + 1).where(Coupon.code == coupon.code).execute()
        CouponRedemption.create(coupon=coupon, sale=sale, amount=sale.coupon_discount)
    for line in lines:
        adjust_stock(ctx, line.product_id, -line.qty_milli)
        if line.lot_id is not None:
            moved = (
                Lot.update(qty_milli=Lot.qty_milli - line.qty_milli)
                .where(Lot.id == line.lot_id, Lot.qty_milli >= line.qty_milli)
                .execute()
            )
            if not moved:
                raise ValidationError(
                    f"Lot {line.lot_no} of {line.name} no longer has enough stock"
                )
        if line.serial:
            sold = (
                SerialNumber.update(status="sold")
                .where(
                    SerialNumber.product == line.product_id,
                    SerialNumber.serial == line.serial,
                    SerialNumber.status == "available",
                )
                .execute()
            )
            if not sold:
                raise ValidationError(f"Serial {line.serial} of {line.name} has already been sold")
    fields.update(
        number=numbering.allocate(ctx, "sale"),
        status="completed",
        completed_at=ctx.now(),
        employee=actor,
    )
    Sale.update_row(sale.id, **fields)
    for key, value in fields.items():
        setattr(sale, key, value)
    return sale


def checkout(ctx: Context, sale_id: int, tenders: list[Tender], actor: Employee) -> CheckoutResult:
    """Complete and pay a bill in one transaction: the fast path, scan, scan, pay."""
    require(actor, Perm.TAKE_PAYMENT)
    with ctx.write():
        session = require_open(ctx)
        sale = _draft(sale_id)  # its figures are current: every change to a draft reprices it
        lines = lines_of(sale)
        settlement = settle(ctx, sale.total, tenders, customer=sale.customer)
        paid = settlement.paid
        sale = _complete(
            ctx,
            sale,
            lines,
            actor,
            session=session,
            paid=paid,
            balance=sale.total - paid,
            on_account=settlement.on_account > 0,
        )
        receipt = None
        if settlement.lines:
            receipt = record(
                ctx,
                settlement,
                [(sale, settlement.paid)] if settlement.paid else [],
                actor=actor,
                session=session,
                customer=sale.customer,
                purpose="sale",
            )
        payload = sale_payload(sale, lines)
        payload.update(paid=sale.paid, balance=sale.balance, on_account=sale.on_account)
        if receipt is not None:
            payload.update(receipt_payload(receipt, settlement))
        else:
            payload.update(receipt=None, tendered=0, applied=0, change=0, payments=[])
        journal.append(
            ctx,
            "sale.completed",
            payload,
            employee=actor.code,
            approved_by=_approvers(sale, lines),
        )
    return CheckoutResult(sale, receipt.number if receipt else None, settlement.change)


def save_unpaid(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    """ "Save and print": complete the bill unpaid; it is paid later on the receipts screen."""
    require(actor, Perm.SELL)
    with ctx.write():
        session = require_open(ctx)
        sale = _draft(sale_id)
        lines = lines_of(sale)
        sale = _complete(ctx, sale, lines, actor, session=session, paid=0, balance=sale.total)
        payload = sale_payload(sale, lines)
        payload.update(
            paid=0,
            balance=sale.total,
            on_account=False,
            receipt=None,
            tendered=0,
            applied=0,
            change=0,
            payments=[],
        )
        journal.append(
            ctx, "sale.completed", payload, employee=actor.code, approved_by=_approvers(sale, lines)
        )
    return sale


def _approvers(sale: Sale, lines: list[SaleLine]) -> str | None:
    codes = {c for ln in lines for c in (ln.approved_by, ln.price_approved_by) if c}
    if sale.order_discount_approved_by:
        codes.add(sale.order_discount_approved_by)
    return ",".join(sorted(codes)) or None
