"""Tax and discount arithmetic on examples worked out by hand (see docs/taxes.md)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.core.pricing import CouponTerms, Discount, LineInput, allocate, price_bill


def one(price: int, rate: int, incl: bool, interstate: bool = False, qty: int = 1000):
    return price_bill([LineInput(price, qty, incl, rate)], interstate=interstate, round_off=False)


def test_inclusive_18_percent_within_the_state() -> None:
    # 100.00 incl. 18 %: taxable 10000/1.18 = 8474.58 -> 8475; CGST = SGST = 8475 × 9 % =
    # 762.75 -> 763; taxable becomes 10000 - 2 × 763 = 8474 so the line still totals 100.00
    bill = one(10000, 1800, True)
    line = bill.lines[0]
    assert (line.taxable, line.cgst, line.sgst, line.igst, line.total) == (8474, 763, 763, 0, 10000)


def test_exclusive_18_percent_within_the_state() -> None:
    bill = one(100000, 1800, False)
    line = bill.lines[0]
    assert (line.taxable, line.cgst, line.sgst, line.total) == (100000, 9000, 9000, 118000)


def test_interstate_is_igst() -> None:
    line = one(100000, 1800, False, interstate=True).lines[0]
    assert (line.cgst, line.sgst, line.igst, line.total) == (0, 0, 18000, 118000)
    # 189.00 incl. 5 % from another state: taxable 18000, IGST 900
    line = one(18900, 500, True, interstate=True).lines[0]
    assert (line.taxable, line.igst, line.total) == (18000, 900, 18900)


def test_half_paisa_rounds_up() -> None:
    # 40.00 incl. 28 %: taxable 3125; half tax 3125 × 14 % = 437.5 -> 438
    line = one(4000, 2800, True).lines[0]
    assert (line.taxable, line.cgst, line.sgst) == (3124, 438, 438)


def test_round_off_to_the_nearest_rupee_is_its_own_line() -> None:
    lines = [
        LineInput(18900, 1000, True, 500),
        LineInput(4000, 1000, True, 1800),
        LineInput(3800, 755, True, 0),
    ]  # 189.00 + 40.00 + 0.755 kg × 38.00 = 257.69
    bill = price_bill(lines)
    assert bill.total_before_round == 25769
    assert (bill.round_off, bill.total) == (31, 25800)
    down = price_bill([LineInput(3800, 321, True, 0)])  # 12.198 -> 12.20 -> 12.00
    assert (down.total_before_round, down.round_off, down.total) == (1220, -20, 1200)


def test_order_discount_is_shared_exactly_by_largest_remainder() -> None:
    assert allocate(1000, [10000, 20000]) == [333, 667]
    bill = price_bill(
        [LineInput(10000, 1000, True, 0), LineInput(20000, 1000, True, 0)],
        order_discount=Discount("amount", 1000),
        round_off=False,
    )
    assert [ln.order_discount for ln in bill.lines] == [333, 667]
    assert bill.total == 29000


def test_line_discount_percent_and_amount() -> None:
    bill = price_bill(
        [
            LineInput(4000, 3000, True, 0, "percent", 1000),
            LineInput(5000, 1000, True, 0, "amount", 700),
        ],
        round_off=False,
    )
    assert [ln.line_discount for ln in bill.lines] == [1200, 700]
    assert bill.total == 12000 - 1200 + 5000 - 700


def test_coupon_needs_its_minimum_and_is_capped() -> None:
    lines = [LineInput(60000, 1000, True, 0)]
    capped = price_bill(lines, coupon=CouponTerms("percent", 5000, 50000, 20000), round_off=False)
    assert capped.coupon_applies and capped.coupon_discount == 20000
    below = price_bill(lines, coupon=CouponTerms("percent", 1000, 70000), round_off=False)
    assert not below.coupon_applies and below.coupon_discount == 0


def test_scale_label_price_is_charged_as_printed() -> None:
    bill = price_bill([LineInput(3800, 755, True, 0, fixed_gross=2870)], round_off=False)
    assert bill.total == 2870


line_inputs = st.builds(
    LineInput,
    unit_price=st.integers(0, 500_000),
    qty_milli=st.integers(1, 20_000),
    includes_tax=st.booleans(),
    rate_bp=st.sampled_from([0, 500, 1200, 1800, 2800]),
    discount_kind=st.sampled_from([None, "percent", "amount"]),
    discount_value=st.integers(0, 10_000),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_inputs, min_size=1, max_size=12),
    interstate=st.booleans(),
    order=st.one_of(
        st.none(),
        st.builds(Discount, st.sampled_from(["percent", "amount"]), st.integers(1, 10_000)),
    ),
    coupon=st.one_of(
        st.none(),
        st.builds(
            CouponTerms,
            st.sampled_from(["percent", "amount"]),
            st.integers(1, 10_000),
            st.integers(0, 100_000),
            st.one_of(st.none(), st.integers(0, 50_000)),
        ),
    ),
    round_off=st.booleans(),
)
def test_tax_lines_always_add_up(lines, interstate, order, coupon, round_off) -> None:
    bill = price_bill(
        lines, interstate=interstate, order_discount=order, coupon=coupon, round_off=round_off
    )
    for line in bill.lines:
        assert line.taxable + line.tax == line.total
        assert min(line.taxable, line.cgst, line.sgst, line.igst) >= 0
        assert line.cgst == line.sgst
        assert (line.igst == 0) or interstate
    summary_tax = sum(row.tax for row in bill.tax_summary)
    assert summary_tax == bill.tax_total
    assert sum(row.taxable for row in bill.tax_summary) == bill.taxable_total
    assert bill.taxable_total + bill.tax_total + bill.round_off == bill.total
    assert sum(ln.order_discount for ln in bill.lines) == bill.order_discount + bill.coupon_discount
    assert bill.discount_total <= bill.subtotal
    assert abs(bill.round_off) <= 50
    if round_off:
        assert bill.total % 100 == 0
