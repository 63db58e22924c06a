"""Gift vouchers on a bill never change what its goods cost: any goods, any discounts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from o2pos.core.money import MINOR_PER_UNIT, div_round
from o2pos.core.pricing import CouponTerms, Discount, LineInput, price_bill

goods = st.lists(
    st.builds(
        LineInput,
        unit_price=st.integers(1, 500_000),
        qty_milli=st.integers(1, 20).map(lambda n: n * 1000),
        includes_tax=st.booleans(),
        rate_bp=st.sampled_from([0, 500, 1200, 1800, 2800]),
        discount_kind=st.sampled_from([None, "percent"]),
        discount_value=st.integers(0, 2000),
    ),
    min_size=1,
    max_size=6,
)
vouchers = st.lists(st.integers(1, 5_000_000), min_size=1, max_size=3)
discount = st.one_of(st.none(), st.builds(Discount, st.just("percent"), st.integers(1, 3000)))
coupon = st.one_of(st.none(), st.builds(CouponTerms, st.just("amount"), st.integers(1, 50_000)))


@given(
    goods=goods,
    amounts=vouchers,
    discount=discount,
    coupon=coupon,
    interstate=st.booleans(),
    where=st.integers(0, 6),
)
def test_vouchers_leave_the_goods_figures_alone(
    goods, amounts, discount, coupon, interstate, where
) -> None:
    kw = {"interstate": interstate, "order_discount": discount, "coupon": coupon}
    alone = price_bill(goods, round_off=False, **kw)
    sold = [LineInput(a, 1000, True, 0, stored_value=True) for a in amounts]
    at = min(where, len(goods))
    lines = [*goods[:at], *sold, *goods[at:]]
    both = price_bill(lines, round_off=True, **kw)
    results = both.lines[:at] + both.lines[at + len(sold) :]
    assert results == alone.lines
    for amount, result in zip(amounts, both.lines[at : at + len(sold)], strict=True):
        assert (result.gross, result.total, result.taxable, result.tax) == (amount, amount, 0, 0)
        assert (result.line_discount, result.order_discount) == (0, 0)
    assert (both.taxable_total, both.tax_total) == (alone.taxable_total, alone.tax_total)
    assert both.tax_summary == alone.tax_summary
    assert (both.order_discount, both.coupon_discount) == (
        alone.order_discount,
        alone.coupon_discount,
    )
    assert both.subtotal == alone.subtotal + sum(amounts)
    before = alone.total + sum(amounts)
    assert both.total == div_round(before, MINOR_PER_UNIT) * MINOR_PER_UNIT
