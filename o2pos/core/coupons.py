"""Coupons' use counted store-wide: what a till knows of it, and what it does offline.

The central counts every use of a coupon in a store (``central.coupons``); a till holds
that count as last pulled (master data ``coupon_use``) plus its own uses the central has
not had yet, so ``Coupon.used_count`` is the best the till knows when it cannot ask. A
coupon with a usage limit is reserved at the central when it goes on a bill
(``sync.coupons``); when the central cannot be asked, ``[central] offline_coupons``
decides: ``allow`` takes it while the count the till knows is below the limit (a use
beyond it is flagged centrally), ``refuse`` takes no limited coupon.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.models import Coupon, Journal, Sale, SyncCursor, tuples
from o2pos.core.sales.bills import draft_of, lines_of
from o2pos.core.sales.discounts import refuse_with_offers, usable_coupon
from o2pos.core.sales.repricing import discount_base
from o2pos.core.syncstate import NAME


@dataclass(frozen=True)
class CouponCheck:
    """A coupon this bill may take, as far as the till can tell: ``limited`` ones are
    reserved at the central under ``reservation_id`` (the bill's sale uuid)."""

    code: str
    limited: bool
    reservation_id: str
    used_count: int
    usage_limit: int | None


def check(ctx: Context, sale_id: int, code: str) -> CouponCheck:
    """Whether coupon ``code`` can go on this draft bill (known, valid today, not used up
    as far as the till knows, the bill big enough); a ValidationError says why not. Reads
    only: the central is asked next, then ``sales.apply_coupon`` writes."""
    code = code.strip().upper()
    sale = draft_of(sale_id)
    coupon = usable_coupon(ctx, code)
    refuse_with_offers(sale, code)
    if discount_base(lines_of(sale)) < coupon.min_cart:
        from o2pos.core.money import format_amount

        raise ValidationError(
            f"Coupon {code} needs a bill of {format_amount(coupon.min_cart)} or more"
        )
    return CouponCheck(
        code,
        coupon.usage_limit is not None,
        str(sale.uuid),
        int(coupon.used_count),
        coupon.usage_limit,
    )


def check_offline(checked: CouponCheck, policy: str) -> str:
    """What the cashier reads when a limited coupon goes on the bill with no central:
    raises ValidationError under ``refuse``; under ``allow`` says what the till knows."""
    if policy == "refuse":
        raise ValidationError(
            f"Coupon {checked.code} has a usage limit and the central cannot be reached "
            "to count it: not taken offline"
        )
    return (
        f"Coupon {checked.code}: {checked.used_count} of {checked.usage_limit} used as last "
        "known (offline)"
    )


@dataclass(frozen=True)
class HeldUse:
    """A limited coupon on a bill: the use the central may hold for it, to give back."""

    code: str
    reservation_id: str
    sale_id: int


def held_use(sale_id: int) -> HeldUse | None:
    """The use a bill's coupon may hold at the central (a limited coupon), else None."""
    sale = Sale.get_or_none(Sale.id == sale_id)
    if sale is None or not sale.coupon_code or sale.status not in ("draft", "held"):
        return None
    coupon = Coupon.get_or_none(Coupon.code == sale.coupon_code)
    if coupon is None or coupon.usage_limit is None:
        return None
    return HeldUse(str(sale.coupon_code), str(sale.uuid), int(sale.id))


def unsent_uses(code: str) -> int:
    """This till's completed sales with ``code`` whose events the central has not had."""
    cursor = SyncCursor.get_or_none(SyncCursor.name == NAME)
    acked = cursor.acked_seq if cursor is not None else 0
    count = 0
    for (text,) in tuples(
        Journal.select(Journal.payload).where(
            Journal.seq > acked, Journal.event_type == "sale.completed"
        )
    ):
        coupon = json.loads(text).get("coupon") or {}
        count += coupon.get("code") == code
    return count


def adopt_count(code: str, used_count: int) -> None:
    """The store-wide count from the central, plus this till's own uses still unsent
    (inside the caller's transaction). A coupon the till does not have yet is skipped:
    its count comes again with the next change."""
    Coupon.update(used_count=used_count + unsent_uses(code)).where(Coupon.code == code).execute()
