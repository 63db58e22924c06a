"""Pricing a bill again after every change, and what a change does to its discounts."""

from __future__ import annotations

import json
from typing import Any

from o2pos.core import offerdata, offers, pricelists
from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.models import Coupon, Sale, SaleLine, sql
from o2pos.core.money import (
    BP,
    MAX_AMOUNT,
    format_amount,
    format_percent,
    format_qty,
    line_amount,
)
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
    return sum(
        ln.gross - ln.offer_discount - ln.line_discount for ln in lines if not is_voucher(ln.sku)
    )


def line_offers(sale: Sale, line: SaleLine) -> int:
    """What the line's own offers gave (not its share of a bill offer, which comes after
    the line's discount): what a manual line discount comes off."""
    if not line.offers:
        return 0
    bill_code = json.loads(sale.bill_offer)["code"] if sale.bill_offer else None
    return sum(g["amount"] for g in json.loads(line.offers) if g["code"] != bill_code)


def product_facts(lines: list[SaleLine]) -> dict[int, tuple[str, str, bool]]:
    """Each line's product's category, brand and whether it is weighed (one query): what
    offers and a price list select lines by."""
    ids = sorted({ln.product_id for ln in lines})
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    found = sql(f"SELECT id, category, brand, weighed FROM product WHERE id IN ({marks})", ids)
    return {row[0]: (row[1] or "", row[2] or "", bool(row[3])) for row in found.fetchall()}


def evaluate_offers(
    ctx: Context,
    sale: Sale,
    lines: list[SaleLine],
    live: list[offers.Offer],
    about: dict[int, tuple[str, str, bool]] | None = None,
) -> offers.Outcome:
    """What the till's active offers give on the bill's goods now (the store's local time,
    the customer's group); a gift voucher sold is no goods and takes no offer. ``about``:
    ``product_facts`` of the lines, when the caller has them."""
    if not live:
        return offers.Outcome()
    goods = [ln for ln in lines if not is_voucher(ln.sku)]
    if not goods:
        return offers.Outcome()
    if about is None:
        about = product_facts(goods)
    unknown = ("", "", False)
    cart = []
    for ln in goods:
        category, brand, weighed = about.get(ln.product_id, unknown)
        cart.append(
            offers.CartLine(
                ln.line_no,
                ln.sku,
                category,
                brand,
                ln.unit_price,
                ln.qty_milli,
                weighed,
                ln.fixed_gross,
            )
        )
    return offers.evaluate(live, cart, ctx.local(ctx.now()), pricelists.customer_group(ctx, sale))


def recompute(ctx: Context, sale: Sale, fresh: frozenset[int] = frozenset()) -> None:
    """Price the bill again from its lines' snapshots and store every computed figure.

    Each line first takes the price its customer's group pays (``core.pricelists``; lines
    just rung up, ``fresh``, without a notice).
    """
    sale = get(sale.id)
    lines = lines_of(sale)
    live = offerdata.active_offers()
    # the products' categories once, for the price list and the offers alike
    about = product_facts(lines) if live or sale.customer_id is not None else {}
    categories = {product: facts[0] for product, facts in about.items()}
    # the customer group's prices first: offers come off the price the customer pays
    repriced = pricelists.reprice(ctx, sale, lines, fresh, categories)
    notices = [repriced] if repriced else []
    outcome = evaluate_offers(ctx, sale, lines, live, about)
    offered = {
        ln.line_no: outcome.line_discount(ln.line_no) for ln in lines if not is_voucher(ln.sku)
    }
    notices += _drop_outgrown_discounts(sale, lines, offered)
    state = offer_state(outcome, lines, {o.code: o for o in live})
    notices += offer_notices(json.loads(sale.offers_state) if sale.offers_state else {}, state)
    coupon = Coupon.get_or_none(Coupon.code == sale.coupon_code) if sale.coupon_code else None
    refused_by = state.get("no_coupons") or []
    if coupon is not None and refused_by:
        # an offer that does not go with coupons now applies: the coupon leaves the bill
        Sale.update(coupon_code=None, coupon_discount=0).where(Sale.id == sale.id).execute()
        notices.append(f"Coupon {coupon.code} removed: {refused_by[0]} does not go with coupons")
        coupon = None
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
                offer_discount=offered.get(ln.line_no, 0),
            )
            for ln in lines
        ],
        interstate=sale.interstate,
        order_discount=discount,
        coupon=terms,
        round_off=ctx.settings.store.round_off,
        bill_offer=outcome.bill.amount if outcome.bill else 0,
    )
    if max([bill.subtotal, bill.total, *(r.gross for r in bill.lines)]) > MAX_AMOUNT:
        # stored as 64-bit integers: past them a write failed as "something went wrong"
        raise ValidationError(
            f"The bill would come to more than {format_amount(MAX_AMOUNT)}: "
            "check the quantity and the price"
        )
    for line, result in zip(lines, bill.lines, strict=True):
        given = [
            {"code": g.code, "name": g.name, "amount": g.amount}
            for g in outcome.lines.get(line.line_no, [])
        ]
        if outcome.bill is not None and result.bill_offer:
            given.append(
                {"code": outcome.bill.code, "name": outcome.bill.name, "amount": result.bill_offer}
            )
        given_text = json.dumps(given) if given else None
        if (line.offer_discount, line.offers) != (result.offer_discount, given_text):
            SaleLine.update_row(line.id, offer_discount=result.offer_discount, offers=given_text)
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
        "offer_discount": bill.offer_discount,
        "bill_offer": (
            json.dumps(
                {"code": outcome.bill.code, "name": outcome.bill.name, "amount": bill.bill_offer}
            )
            if outcome.bill is not None and bill.bill_offer
            else None
        ),
        "offers_state": json.dumps(state, sort_keys=True) if state else None,
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


def offer_state(
    outcome: offers.Outcome, lines: list[SaleLine], live: dict[str, offers.Offer]
) -> dict[str, Any]:
    """What applied, as the cashier would describe it: each offer's name and the units it
    made free (by product name), and the offers that do not go with a coupon. Kept on the
    bill so the next change can say what it undid."""
    names = {ln.line_no: (ln.name, ln.unit_price) for ln in lines}
    applied: dict[str, dict[str, Any]] = {}
    for line_no, given in outcome.lines.items():
        name, unit_price = names.get(line_no, ("", 0))
        for g in given:
            entry = applied.setdefault(g.code, {"name": g.name, "free": {}})
            offer = live.get(g.code)
            free = offer is not None and offer.kind == "buy_get" and offer.get_off_bp >= BP
            if free and unit_price > 0 and g.amount >= unit_price:
                entry["free"][name] = entry["free"].get(name, 0) + g.amount // unit_price
    if outcome.bill is not None:
        applied.setdefault(outcome.bill.code, {"name": outcome.bill.name, "free": {}})
    if not applied:
        return {}
    state: dict[str, Any] = {"applied": applied}
    if not outcome.coupons_allowed:
        state["no_coupons"] = sorted(
            applied[c]["name"] for c in applied if c in live and not live[c].with_coupons
        )
    return state


def _units(count: int, name: str) -> str:
    return f"{format_qty(count * 1000)} {name}"


def offer_notices(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What the change did to the offers, said to the cashier: an offer that lapsed (and
    the items no longer free), one that now applies, free items that went."""
    was: dict[str, Any] = before.get("applied", {})
    now: dict[str, Any] = after.get("applied", {})
    notices = []
    for code in sorted(was):
        old = was[code]
        new = now.get(code)
        lost = {
            name: units - (new["free"].get(name, 0) if new else 0)
            for name, units in old["free"].items()
        }
        lost_text = ", ".join(_units(n, name) for name, n in sorted(lost.items()) if n > 0)
        if new is None:
            notices.append(
                f"{old['name']} no longer applies"
                + (f": {lost_text} not free." if lost_text else ".")
            )
        elif lost_text:
            notices.append(f"{old['name']}: {lost_text} no longer free.")
    for code in sorted(set(now) - set(was)):
        free = ", ".join(_units(n, name) for name, n in sorted(now[code]["free"].items()))
        notices.append(f"{now[code]['name']} applies" + (f": {free} free." if free else "."))
    return notices


def _drop_outgrown_discounts(
    sale: Sale, lines: list[SaleLine], offered: dict[int, int]
) -> list[str]:
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
        # a manual discount comes off what the offers leave of the line
        gross -= min(offered.get(ln.line_no, 0), gross)
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
