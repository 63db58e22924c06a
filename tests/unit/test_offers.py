"""Offers: a worked example for each kind and each stacking rule of ``core.offers``
(docs/offers.md), and properties over any cart."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.core.offers import CartLine, Offer, evaluate

NOON = datetime(2026, 12, 2, 12, 0)  # a Wednesday


def line(no: int, sku: str, price: int, qty: int = 1, **kw: object) -> CartLine:
    return CartLine(
        line_no=no,
        sku=sku,
        category=str(kw.pop("category", "Grocery")),
        brand=str(kw.pop("brand", "")),
        unit_price=price,
        qty_milli=qty * 1000,
        **kw,  # type: ignore[arg-type]
    )


B2G1 = Offer("B2G1", "Buy 2 get 1 free", "buy_get", skus=("SOAP",), buy_qty=2, get_qty=1)
TEN = Offer("DAIRY10", "10% off dairy", "percent", categories=("Dairy",), value=1000)


def test_buy_two_get_one_free_gives_one_of_three_and_hints_at_two() -> None:
    three = evaluate([B2G1], [line(1, "SOAP", 4000, 3)], NOON)
    assert three.line_discount(1) == 4000
    assert three.lines[1][0].name == "Buy 2 get 1 free"
    two = evaluate([B2G1], [line(1, "SOAP", 4000, 2)], NOON)
    assert two.total == 0
    assert [h.text for h in two.hints] == ["add 1 more for Buy 2 get 1 free"]
    six = evaluate([B2G1], [line(1, "SOAP", 4000, 6)], NOON)
    assert six.total == 8000


def test_the_cheapest_of_each_three_is_the_free_one() -> None:
    offer = Offer("MIX", "3 for 2 on soaps", "buy_get", categories=("Soap",), buy_qty=2, get_qty=1)
    cart = [
        line(1, "ROSE", 5000, 1, category="Soap"),
        line(2, "NEEM", 4000, 1, category="Soap"),
        line(3, "LIME", 3000, 1, category="Soap"),
    ]
    result = evaluate([offer], cart, NOON)
    assert result.lines == {3: result.lines[3]} and result.line_discount(3) == 3000


def test_buy_one_get_another_product_half_price_and_a_cap_per_bill() -> None:
    offer = Offer(
        "TEA-CUP",
        "Buy tea, a mug at half price",
        "buy_get",
        skus=("TEA",),
        buy_qty=1,
        get_qty=1,
        get_skus=("MUG",),
        get_off_bp=5000,
        max_per_bill=2,
    )
    cart = [line(1, "TEA", 20000, 3), line(2, "MUG", 15000, 3)]
    result = evaluate([offer], cart, NOON)
    assert result.line_discount(2) == 2 * 7500  # three teas, but at most two mugs a bill
    assert result.line_discount(1) == 0


def test_percent_off_a_category_and_amount_off_a_brand_with_a_minimum_quantity() -> None:
    brand = Offer("AMUL5", "₹5 off Amul", "amount", brands=("Amul",), value=500, min_qty_milli=2000)
    cart = [line(1, "MILK", 5400, 1, category="Dairy", brand="Amul")]
    assert evaluate([brand], cart, NOON).total == 0  # one is below the minimum of two
    cart = [line(1, "MILK", 5400, 2, category="Dairy", brand="Amul")]
    # both apply to line 1; one offer per line: the one that gives more (10 % = 10.80)
    result = evaluate([brand, TEN], cart, NOON)
    assert [(g.code, g.amount) for g in result.lines[1]] == [("DAIRY10", 1080)]


def test_a_weighed_line_takes_an_amount_off_per_kilogram() -> None:
    offer = Offer("ONION", "₹2 off a kg", "amount", skus=("ONION",), value=200)
    cart = [CartLine(1, "ONION", "Veg", "", 3800, 1500, weighed=True)]
    assert evaluate([offer], cart, NOON).line_discount(1) == 300


def test_a_bundle_costs_its_price_and_a_missing_member_is_hinted() -> None:
    combo = Offer("BREKKIE", "Bread + butter for ₹90", "bundle", skus=("BREAD", "BUTTER"),
                  bundle_price=9000)  # fmt: skip
    cart = [line(1, "BREAD", 4500), line(2, "BUTTER", 6000)]
    result = evaluate([combo], cart, NOON)
    assert result.total == 1500
    assert result.line_discount(1) + result.line_discount(2) == 1500
    half = evaluate([combo], [line(1, "BREAD", 4500)], NOON)
    assert [h.text for h in half.hints] == ["add BUTTER for Bread + butter for ₹90"]


def test_a_bill_threshold_comes_on_top_of_line_offers_counted_after_them() -> None:
    over = Offer("500OFF50", "₹50 off above ₹500", "threshold", value=5000, value_kind="amount",
                 min_total=50000)  # fmt: skip
    cart = [line(1, "SOAP", 4000, 3), line(2, "RICE", 44000, 1)]  # 560.00, 520.00 after B2G1
    result = evaluate([B2G1, over], cart, NOON)
    assert result.line_discount(1) == 4000 and result.bill is not None
    assert result.bill.amount == 5000 and result.total == 9000
    short = evaluate([B2G1, over], [line(1, "SOAP", 4000, 3), line(2, "RICE", 40000)], NOON)
    assert short.bill is None  # 520.00 before, 480.00 after the free soap
    assert [h.text for h in short.hints] == ["add 20.00 more for ₹50 off above ₹500"]


def test_priority_decides_between_offers_on_one_line_before_their_size() -> None:
    small = Offer("HOUSE", "House brand 5%", "percent", skus=("SOAP",), value=500, priority=5)
    result = evaluate([B2G1, small], [line(1, "SOAP", 4000, 3)], NOON)
    assert result.applied == ["HOUSE"] and result.total == 600


def test_an_exclusive_offer_applies_alone_when_it_gives_more() -> None:
    staff = Offer("STAFF", "Staff 30%", "percent", value=3000, exclusive=True, groups=("staff",))
    cart = [line(1, "SOAP", 4000, 3), line(2, "MILK", 5400, 1, category="Dairy")]
    shopper = evaluate([B2G1, TEN, staff], cart, NOON, group="retail")
    assert shopper.applied == ["B2G1", "DAIRY10"]  # not staff: the group does not match
    colleague = evaluate([B2G1, TEN, staff], cart, NOON, group="staff")
    assert colleague.applied == ["STAFF"]
    assert colleague.total == 5220  # 30 % of 174.00, more than 40.00 + 5.40 together
    cheap = Offer("STAFF", "Staff 25%", "percent", value=2500, exclusive=True, groups=("staff",))
    assert evaluate([B2G1, TEN, cheap], cart, NOON, group="staff").total == 4540


def test_coupons_on_top_only_when_every_applied_offer_allows_them() -> None:
    no_coupons = Offer("CLEAR", "Clearance 30%", "percent", skus=("OLD",), value=3000,
                       with_coupons=False)  # fmt: skip
    assert evaluate([no_coupons], [line(1, "SOAP", 4000)], NOON).coupons_allowed
    assert not evaluate([no_coupons], [line(1, "OLD", 4000)], NOON).coupons_allowed


def test_dates_days_and_hours() -> None:
    happy = Offer("HAPPY", "Happy hour", "percent", value=1000, days=(2,), hours=(16 * 60, 18 * 60),
                  valid_to=date(2026, 12, 31))  # fmt: skip
    cart = [line(1, "COLA", 4000)]
    assert evaluate([happy], cart, NOON).total == 0
    assert evaluate([happy], cart, datetime(2026, 12, 2, 17, 0)).total == 400
    assert evaluate([happy], cart, datetime(2026, 12, 3, 17, 0)).total == 0  # Thursday
    assert evaluate([happy], cart, datetime(2027, 1, 6, 17, 0)).total == 0  # after its end


SKUS = ("SOAP", "MILK", "TEA", "MUG", "BREAD", "BUTTER", "RICE")
OFFERS = [
    B2G1,
    TEN,
    Offer(
        "TEA-CUP",
        "tea mug",
        "buy_get",
        skus=("TEA",),
        buy_qty=1,
        get_qty=1,
        get_skus=("MUG",),
        get_off_bp=5000,
    ),
    Offer("BREKKIE", "combo", "bundle", skus=("BREAD", "BUTTER"), bundle_price=9000),
    Offer("BIG", "₹100 off", "threshold", value=10000, value_kind="amount", min_total=60000),
    Offer("RICE", "₹500 off rice", "amount", skus=("RICE",), value=50000),  # more than it costs
]
carts = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(100, 60000), st.integers(1, 6)),
    min_size=1,
    max_size=12,
)


def build(items: list[tuple[str, int, int]]) -> list[CartLine]:
    prices: dict[str, int] = {}
    cart = []
    for no, (sku, price, qty) in enumerate(items, start=1):
        price = prices.setdefault(sku, price)  # a product has one price on a bill
        category = "Dairy" if sku in ("MILK", "BUTTER") else "Grocery"
        cart.append(line(no, sku, price, qty, category=category))
    return cart


@settings(max_examples=300, deadline=None)
@given(carts)
def test_no_line_goes_below_zero_and_the_bill_never_does(items: list[tuple[str, int, int]]) -> None:
    cart = build(items)
    result = evaluate(OFFERS, cart, NOON)
    for ln in cart:
        assert 0 <= result.line_discount(ln.line_no) <= ln.gross
    assert 0 <= result.total <= sum(ln.gross for ln in cart)


@settings(max_examples=300, deadline=None)
@given(carts, st.randoms())
def test_the_order_a_cart_is_rung_up_in_does_not_change_what_it_gets(
    items: list[tuple[str, int, int]], rng: object
) -> None:
    cart = build(items)
    shuffled = list(cart)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    renumbered = [
        CartLine(no, ln.sku, ln.category, ln.brand, ln.unit_price, ln.qty_milli)
        for no, ln in enumerate(shuffled, start=1)
    ]
    first, second = evaluate(OFFERS, cart, NOON), evaluate(OFFERS, renumbered, NOON)
    assert first.total == second.total
    assert sorted(first.applied) == sorted(second.applied)

    def per_sku(lines: list[CartLine], result: object) -> dict[str, int]:
        sums: dict[str, int] = {}
        for ln in lines:
            sums[ln.sku] = sums.get(ln.sku, 0) + result.line_discount(ln.line_no)  # type: ignore[attr-defined]
        return sums

    assert per_sku(cart, first) == per_sku(renumbered, second)
