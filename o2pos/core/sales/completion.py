"""Completing a bill: its number, its goods out of stock, its payment, the gift vouchers
it sold and its events, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from o2pos.core import credit, gst, journal, loyalty, numbering, stock, vouchers
from o2pos.core.auth import Approval, Perm, require
from o2pos.core.context import Context
from o2pos.core.customers import Dues
from o2pos.core.errors import ValidationError
from o2pos.core.models import (
    Coupon,
    CouponRedemption,
    Employee,
    Lot,
    Product,
    Sale,
    SaleLine,
    SerialNumber,
    tuples,
)
from o2pos.core.payments import Settlement, Tender, receipt_payload, record, settle
from o2pos.core.register import require_open
from o2pos.core.sales.bills import draft_of, lines_of
from o2pos.core.sales.discounts import usable_coupon
from o2pos.core.sales.payloads import sale_payload


@dataclass(frozen=True)
class CheckoutResult:
    sale: Sale
    receipt_number: str | None
    change: int


def _complete(
    ctx: Context, sale: Sale, lines: list[SaleLine], actor: Employee, **fields: Any
) -> Sale:
    """Number the bill and move its goods; the caller records payment and the event."""
    if not lines:
        raise ValidationError("The bill is empty: scan an item first")
    gst.require_hsn(sale, lines)
    if sale.coupon_code:
        try:
            coupon = usable_coupon(ctx, sale.coupon_code)
        except ValidationError as problem:
            raise ValidationError(f"{problem}: remove it to go on") from None
        Coupon.update(used_count=Coupon.used_count + 1).where(Coupon.code == coupon.code).execute()
        CouponRedemption.create(coupon=coupon, sale=sale, amount=sale.coupon_discount)
    for line in lines:
        if vouchers.is_voucher(line.sku):  # stored value sold, not goods: no stock moves
            continue
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
        location=ctx.location,
    )
    Sale.update_row(sale.id, **fields)
    for key, value in fields.items():
        setattr(sale, key, value)
    return sale


def checkout(
    ctx: Context,
    sale_id: int,
    tenders: list[Tender],
    actor: Employee,
    *,
    approval: Approval | None = None,
    dues: Dues | None = None,
) -> CheckoutResult:
    """Complete and pay a bill in one transaction: the fast path, scan, scan, pay.

    On account past the customer's credit limit or terms needs ``approval`` (a manager's,
    ``Perm.APPROVE_CREDIT``); ``dues`` are the customer's dues from the central, None when
    it could not be asked (``core.credit``)."""
    require(actor, Perm.TAKE_PAYMENT)
    with ctx.write():
        session = require_open(ctx)
        sale = draft_of(sale_id)  # its figures are current: every change to a draft reprices it
        lines = lines_of(sale)
        settlement = settle(ctx, sale.total, tenders, customer=sale.customer)
        sold = [ln for ln in lines if vouchers.is_voucher(ln.sku)]
        vouchers.check_paid_in_money(
            sale.total,
            sum(ln.total for ln in sold),
            [(t.method.kind, t.applied) for t in settlement.lines],
        )
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
        # last of the checks: a manager's approval is used up only by a bill that goes through
        granted = (
            credit.check_on_account(
                ctx,
                sale.customer,
                settlement.on_account,
                actor,
                fetched=dues,
                approval=approval,
                leave_out=sale.number,
            )
            if sale.customer is not None
            else None
        )
        payload = sale_payload(sale, lines)
        payload.update(paid=sale.paid, balance=sale.balance, on_account=sale.on_account)
        if granted is not None:
            payload["credit"] = granted
        if receipt is not None:
            payload.update(receipt_payload(receipt, settlement))
        else:
            payload.update(receipt=None, tendered=0, applied=0, change=0, payments=[])
        issued = [(ln, vouchers.create_gift_voucher(ctx, ln.total)) for ln in sold]
        if issued:
            payload["vouchers"] = [vouchers.printed(v, ln.line_no) for ln, v in issued]
        points = _points(sale, lines, settlement)
        if points is not None:
            payload["points"] = points
        event = journal.append(
            ctx,
            "sale.completed",
            payload,
            employee=actor.code,
            approved_by=_approvers(sale, lines, granted),
        )
        stock.record(ctx, "sale", str(sale.number), event.seq, sale_moves(sale, lines))
        if points is not None:
            loyalty.record(points["customer"], event.seq, points["earned"] - points["redeemed"])
        for _line, voucher in issued:
            journal.append(
                ctx,
                "voucher.issued",
                vouchers.issued_payload(voucher, sale.uuid),
                employee=actor.code,
            )
    return CheckoutResult(sale, receipt.number if receipt else None, settlement.change)


def _points(sale: Sale, lines: list[SaleLine], settlement: Settlement) -> dict[str, Any] | None:
    """Points the bill earns (on what was paid in money) and redeems (``core.loyalty``)."""
    customer = sale.customer
    if customer is None:
        return None
    by_points = sum(t.applied for t in settlement.lines if t.method.kind == "points")
    scheme = loyalty.current()
    redeemed = loyalty.points_for(by_points, scheme) if scheme and by_points else 0
    goods = [ln for ln in lines if not vouchers.is_voucher(ln.sku)]
    categories = dict(
        tuples(
            Product.select(Product.id, Product.category).where(
                Product.id.in_([ln.product_id for ln in goods])
            )
        )
    )
    earn_lines = [
        loyalty.EarnLine(ln.sku, categories.get(ln.product_id, ""), ln.total) for ln in goods
    ]
    return loyalty.sale_points(
        customer.uuid, earn_lines, sale.total, settlement.paid - by_points, redeemed
    )


def save_unpaid(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    """ "Save and print": complete the bill unpaid; it is paid later on the receipts screen."""
    require(actor, Perm.SELL)
    with ctx.write():
        session = require_open(ctx)
        sale = draft_of(sale_id)
        lines = lines_of(sale)
        if any(vouchers.is_voucher(ln.sku) for ln in lines):
            raise ValidationError(vouchers.NOT_UNPAID)
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
        event = journal.append(
            ctx, "sale.completed", payload, employee=actor.code, approved_by=_approvers(sale, lines)
        )
        stock.record(ctx, "sale", str(sale.number), event.seq, sale_moves(sale, lines))
    return sale


def sale_moves(sale: Sale, lines: list[SaleLine]) -> list[stock.Move]:
    """The goods leave on hand now, or are reserved when the bill is delivered later."""
    moves = []
    for line in lines:
        if vouchers.is_voucher(line.sku):
            continue
        if sale.delivery:
            moves.append(stock.Move(line.product_id, reserved=line.qty_milli))
        else:
            moves.append(
                stock.Move(
                    line.product_id,
                    on_hand=-line.qty_milli,
                    lot_no=line.lot_no,
                    serial=line.serial,
                )
            )
    return moves


def _approvers(
    sale: Sale, lines: list[SaleLine], granted: dict[str, Any] | None = None
) -> str | None:
    codes = {c for ln in lines for c in (ln.approved_by, ln.price_approved_by) if c}
    if sale.order_discount_approved_by:
        codes.add(sale.order_discount_approved_by)
    if granted is not None:
        codes.add(granted["approved_by"])
    return ",".join(sorted(codes)) or None
