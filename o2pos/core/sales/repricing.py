"""Pricing a bill again after every change, and what a change does to its discounts."""

from __future__ import annotations

from typing import Any

from o2pos.core import pricelists
from o2pos.core.context import Context
from o2pos.core.models import Coupon, Sale, SaleLine
from o2pos.core.money import BP, format_amount, format_percent, line_amount
from o2pos.core.pricing import CouponTerms, Discount, LineInput, discount_amount, price_bill
from o2pos.core.sales.bills import get, lines_of
from o2pos.core.vouchers import is_voucher


def effective_bp(kind: str, value: int, base: int) -> int:
    """How big a discount is, in basis points of what it comes off (rounded up)."""
    if kind == "percent":
        return value
    return (value * BP + base - 1) // base if base > 0 else BP + 1


def discount_base(lines: list[SaleLine]) -> int:
    """What a bill discount or a coupon comes off: the goods after their own discounts
    (a gift voucher sold on the bill is not discounted)."""
    return sum(ln.gross - ln.line_discount for ln in lines if not is_voucher(ln.sku))


def recompute(ctx: Context, sale: Sale, fresh: frozenset[int] = frozenset()) -> None:
    """Price the bill again from its lines' snapshots and store every computed figure.

    Each line first takes the price its customer's group pays (``core.pricelists``; lines
    just rung up, ``fresh``, without a notice).
    """
    sale = get(sale.id)
    lines = lines_of(sale)
    repriced = pricelists.reprice(ctx, sale, lines, fresh)
    notices = [repriced] if repriced else []
    notices += _drop_outgrown_discounts(sale, lines)
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
                stored_value=is_voucher(ln.sku),
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
        if is_voucher(ln.sku):  # no discount comes off a gift voucher, nor is shared over it
            continue
        gross = (
            ln.fixed_gross
            if ln.fixed_gross is not None
            else line_amount(ln.unit_price, ln.qty_milli)
        )
        if ln.discount_kind == "amount" and (
            ln.discount_value > gross
            or effective_bp("amount", ln.discount_value, gross) > ln.discount_limit_bp
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
        or effective_bp("amount", sale.order_discount_value, after) > sale.order_discount_limit_bp
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
