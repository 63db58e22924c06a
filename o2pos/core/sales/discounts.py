"""What comes off a bill: line and bill discounts within a role's limit, price
overrides, coupons."""

from __future__ import annotations

import json

from o2pos.core import pricelists
from o2pos.core.auth import Approval, Perm, require, require_discount
from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.models import Coupon, Employee, Sale, SaleLine
from o2pos.core.money import BP, format_amount
from o2pos.core.sales.bills import draft_of, get, line_of, lines_of
from o2pos.core.sales.repricing import discount_base, effective_bp, line_offers, recompute
from o2pos.core.vouchers import NOT_DISCOUNTED, is_voucher


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
        sale = draft_of(sale_id)
        line = line_of(sale, line_id)
        if is_voucher(line.sku):
            raise ValidationError(NOT_DISCOUNTED)
        approved_by = None
        if kind is not None:
            gross = line.gross - line_offers(sale, line)  # off what the line offers leave
            _check_discount(kind, value, gross)
            given = require_discount(actor, effective_bp(kind, value, gross), approval)
            approved_by, limit = given.approved_by, given.limit_bp
        else:
            limit = 0
        SaleLine.update(
            discount_kind=kind,
            discount_value=value if kind else 0,
            approved_by=approved_by,
            discount_limit_bp=limit,
        ).where(SaleLine.id == line.id).execute()
        recompute(ctx, sale)
    return SaleLine.get_by_id(line_id)


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
        sale = draft_of(sale_id)
        line = line_of(sale, line_id)
        if is_voucher(line.sku):
            raise ValidationError(NOT_DISCOUNTED)
        if line.fixed_gross is not None:
            raise ValidationError("A scale label's price cannot be overridden")
        approved_by = require(actor, Perm.PRICE_OVERRIDE, approval)
        SaleLine.update(
            unit_price=unit_price,
            # a price other than the one the customer's group pays stays put when the
            # bill is repriced (a walk-in's is the list price)
            price_overridden=unit_price != pricelists.target_price(ctx, sale, line),
            price_approved_by=approved_by,
        ).where(SaleLine.id == line.id).execute()
        recompute(ctx, sale)
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
        sale = draft_of(sale_id)
        approved_by = None
        if kind is not None:
            base = discount_base(lines_of(sale))
            _check_discount(kind, value, base)
            given = require_discount(actor, effective_bp(kind, value, base), approval)
            approved_by, limit = given.approved_by, given.limit_bp
        else:
            limit = 0
        Sale.update(
            order_discount_kind=kind,
            order_discount_value=value if kind else 0,
            order_discount_approved_by=approved_by,
            order_discount_limit_bp=limit,
        ).where(Sale.id == sale.id).execute()
        recompute(ctx, get(sale_id))
    return get(sale_id)


def usable_coupon(ctx: Context, code: str) -> Coupon:
    """The coupon with this code, if it can be used today; else a ValidationError why not."""
    coupon = Coupon.get_or_none(Coupon.code == code)
    if coupon is None or not coupon.active:
        raise ValidationError(f"No coupon {code}")
    today = ctx.today()
    if coupon.valid_from and today < coupon.valid_from:
        raise ValidationError(f"Coupon {coupon.code} is valid from {coupon.valid_from}")
    if coupon.valid_to and today > coupon.valid_to:
        raise ValidationError(f"Coupon {coupon.code} expired on {coupon.valid_to}")
    if coupon.usage_limit is not None and coupon.used_count >= coupon.usage_limit:
        raise ValidationError(f"Coupon {coupon.code} has been used up")
    return coupon


def refuse_with_offers(sale: Sale, code: str) -> None:
    """A coupon does not go on a bill while an offer that does not go with coupons
    applies to it (``Offer.with_coupons``); the cashier is told which."""
    refused_by = json.loads(sale.offers_state).get("no_coupons") if sale.offers_state else []
    if refused_by:
        raise ValidationError(
            f"Coupon {code} cannot be used on this bill: {refused_by[0]} does not go with coupons"
        )


def apply_coupon(ctx: Context, sale_id: int, code: str, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    code = code.strip().upper()
    with ctx.write():
        sale = draft_of(sale_id)
        coupon = usable_coupon(ctx, code)
        refuse_with_offers(sale, code)
        base = discount_base(lines_of(sale))
        if base < coupon.min_cart:
            raise ValidationError(
                f"Coupon {code} needs a bill of {format_amount(coupon.min_cart)} or more"
            )
        Sale.update(coupon_code=code, notice=None).where(Sale.id == sale.id).execute()
        recompute(ctx, get(sale_id))
    return get(sale_id)


def remove_coupon(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = draft_of(sale_id)
        Sale.update(coupon_code=None, coupon_discount=0, notice=None).where(
            Sale.id == sale.id
        ).execute()
        recompute(ctx, get(sale_id))
    return get(sale_id)
