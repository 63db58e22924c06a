"""Pricing a bill: discounts, GST and round-off, in exact integer arithmetic.

The rule (also in ``docs/taxes.md``):

1. Line gross = unit price × quantity, rounded half away from zero to the paisa (a scale
   label's printed price is taken as it is).
2. A line discount (percent of the gross, or an amount) comes off the line.
3. Order-level discounts (the order discount, then a coupon on what remains) are shared over
   the lines in proportion to their amounts; the paise left over by rounding go to the lines
   with the largest remainders, so the shares add up exactly.
4. Tax is worked out per line on its net amount, at the line's rate:
   - price excludes tax: CGST = SGST = round(net × rate / 2); IGST = round(net × rate);
   - price includes tax: taxable = round(net / (1 + rate)); CGST = SGST = round(taxable ×
     rate / 2) and taxable = net − CGST − SGST; or IGST = net − taxable.
   So each line's taxable + taxes equals its total, and the tax summary adds up exactly.
5. The bill total is the sum of line totals; with round-off on, it is rounded to the nearest
   rupee and the difference shown as its own line.

A gift voucher sold on the bill (``stored_value``) is a line of its own amount that takes no
part in steps 2 to 4: no discount comes off it, no share of the bill's discounts, no tax
(GST is due when the voucher buys goods). It counts in the subtotal and the total only; the
discounts' base, a coupon's minimum and the tax summary are the goods'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from o2pos.core.money import BP, MINOR_PER_UNIT, div_round, line_amount


@dataclass(frozen=True)
class LineInput:
    unit_price: int
    qty_milli: int
    includes_tax: bool
    rate_bp: int
    discount_kind: str | None = None  # percent | amount
    discount_value: int = 0
    fixed_gross: int | None = None
    stored_value: bool = False  # a gift voucher sold: not discounted, not taxed
    offer_discount: int = 0  # what line offers give (``core.offers``), before discount_kind


@dataclass(frozen=True)
class Discount:
    kind: str  # percent | amount
    value: int  # basis points or minor units


@dataclass(frozen=True)
class CouponTerms:
    kind: str
    value: int
    min_cart: int = 0
    max_discount: int | None = None


@dataclass(frozen=True)
class LineResult:
    gross: int
    line_discount: int
    order_discount: int
    taxable: int
    cgst: int
    sgst: int
    igst: int
    total: int
    offer_discount: int = 0  # line offers and the line's share of the bill offer
    bill_offer: int = 0  # of which the line's share of the bill offer

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst


@dataclass
class TaxRow:
    rate_bp: int
    taxable: int = 0
    cgst: int = 0
    sgst: int = 0
    igst: int = 0

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst


@dataclass
class BillResult:
    lines: list[LineResult]
    subtotal: int
    line_discounts: int
    order_discount: int
    coupon_discount: int
    coupon_applies: bool
    taxable_total: int
    tax_total: int
    total_before_round: int
    round_off: int
    total: int
    tax_summary: list[TaxRow] = field(default_factory=list)
    offer_discount: int = 0  # every offer's, line and bill
    bill_offer: int = 0  # the bill offer's, as it applied (never more than the goods)

    @property
    def discount_total(self) -> int:
        return (
            self.line_discounts + self.order_discount + self.coupon_discount + self.offer_discount
        )


def discount_amount(base: int, kind: str | None, value: int) -> int:
    if not kind or base <= 0:
        return 0
    if kind == "percent":
        return min(base, div_round(base * value, BP))
    return min(base, value)


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` over ``weights`` proportionally, exactly (largest remainder)."""
    base = sum(weights)
    if amount == 0 or base == 0:
        return [0] * len(weights)
    shares = [amount * w // base for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % base), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def line_tax(net: int, rate_bp: int, includes_tax: bool, interstate: bool) -> LineResult:
    """Taxable value and GST of one line's net amount (see the module's rule, step 4)."""
    if includes_tax:
        taxable = div_round(net * BP, BP + rate_bp)
        if interstate:
            return LineResult(0, 0, 0, taxable, 0, 0, net - taxable, net)
        half = div_round(taxable * rate_bp, 2 * BP)
        return LineResult(0, 0, 0, net - 2 * half, half, half, 0, net)
    if interstate:
        igst = div_round(net * rate_bp, BP)
        return LineResult(0, 0, 0, net, 0, 0, igst, net + igst)
    half = div_round(net * rate_bp, 2 * BP)
    return LineResult(0, 0, 0, net, half, half, 0, net + 2 * half)


def price_bill(
    lines: list[LineInput],
    *,
    interstate: bool = False,
    order_discount: Discount | None = None,
    coupon: CouponTerms | None = None,
    round_off: bool = True,
    bill_offer: int = 0,
) -> BillResult:
    """``bill_offer``: what a bill (threshold) offer gives, shared over the goods before
    the bill discount; each line's ``offer_discount`` comes off it before its own discount."""
    grosses = [
        ln.fixed_gross if ln.fixed_gross is not None else line_amount(ln.unit_price, ln.qty_milli)
        for ln in lines
    ]
    offers = [
        0 if ln.stored_value else max(0, min(ln.offer_discount, g))
        for g, ln in zip(grosses, lines, strict=True)
    ]
    line_discounts = [
        0 if ln.stored_value else discount_amount(g - o, ln.discount_kind, ln.discount_value)
        for g, o, ln in zip(grosses, offers, lines, strict=True)
    ]
    # what the bill's discounts are shared over: the goods, never a voucher sold
    after = [
        0 if ln.stored_value else g - o - d
        for g, o, d, ln in zip(grosses, offers, line_discounts, lines, strict=True)
    ]
    bill_off = max(0, min(bill_offer, sum(after)))
    bill_shares = allocate(bill_off, after)
    after = [a - b for a, b in zip(after, bill_shares, strict=True)]
    base = sum(after)
    order_disc = (
        discount_amount(base, order_discount.kind, order_discount.value) if order_discount else 0
    )
    coupon_disc = 0
    coupon_applies = coupon is not None and base >= coupon.min_cart and base > 0
    if coupon is not None and coupon_applies:
        coupon_disc = discount_amount(base - order_disc, coupon.kind, coupon.value)
        if coupon.max_discount is not None:
            coupon_disc = min(coupon_disc, coupon.max_discount)
    shares = allocate(order_disc + coupon_disc, after)

    results: list[LineResult] = []
    summary: dict[int, TaxRow] = {}
    for ln, gross, ldisc, amount, share, offer, bill_share in zip(
        lines, grosses, line_discounts, after, shares, offers, bill_shares, strict=True
    ):
        if ln.stored_value:
            results.append(LineResult(gross, 0, 0, 0, 0, 0, 0, gross))
            continue
        taxed = line_tax(amount - share, ln.rate_bp, ln.includes_tax, interstate)
        result = LineResult(
            gross,
            ldisc,
            share,
            taxed.taxable,
            taxed.cgst,
            taxed.sgst,
            taxed.igst,
            taxed.total,
            offer + bill_share,
            bill_share,
        )
        results.append(result)
        row = summary.setdefault(ln.rate_bp, TaxRow(ln.rate_bp))
        row.taxable += result.taxable
        row.cgst += result.cgst
        row.sgst += result.sgst
        row.igst += result.igst

    before_round = sum(r.total for r in results)
    rounding = 0
    if round_off:
        rounding = div_round(before_round, MINOR_PER_UNIT) * MINOR_PER_UNIT - before_round
    return BillResult(
        lines=results,
        subtotal=sum(grosses),
        line_discounts=sum(line_discounts),
        order_discount=order_disc,
        coupon_discount=coupon_disc,
        coupon_applies=coupon_applies,
        taxable_total=sum(r.taxable for r in results),
        tax_total=sum(r.tax for r in results),
        total_before_round=before_round,
        round_off=rounding,
        total=before_round + rounding,
        tax_summary=[summary[k] for k in sorted(summary)],
        offer_discount=sum(offers) + bill_off,
        bill_offer=bill_off,
    )
