"""Offers (automatic promotions): which apply to a cart, and what each gives, per line.

A pure function of the offers, the cart and the moment: no storage, so the sales code,
the benchmarks and the property tests call it alike, and the same cart always gets the
same offers whatever order it was rung up in (units are ordered by price and SKU, never
by the order they were scanned).

The rule (``docs/offers.md`` has worked examples):

1. An offer counts only when it is active, within its dates, on one of its days and within
   its hours (the store's local time), and for the customer's group if it names groups.
2. **Line offers** (``percent`` or ``amount`` off a product, category or brand;
   ``buy_get``: buy X get Y free or at a discount, the same or another product, the
   cheapest free; ``bundle``: a fixed price for one of each of its products) are worked
   out on their own; then they are taken by priority (higher first), then by what they
   give (more first), then by code, and each takes its lines only if none of them is taken
   already: **one offer per line**.
3. **Bill offers** (``threshold``: percent or amount off when the goods, after the line
   offers, reach a total) come on top; the one that gives most applies.
4. An **exclusive** offer applies alone. When one qualifies, the cart gets whichever gives
   more: the best exclusive offer alone, or the line and bill offers of steps 2 and 3.
5. A coupon is taken on top only if every applied offer allows it (``with_coupons``).
6. ``max_per_bill`` caps how often an offer applies to one bill (free items of a
   buy-get, bundles, discounted units); 0 = no cap. No offer takes a line below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from o2pos.core.money import BP, MILLI, div_round, format_amount, line_amount

LINE_KINDS = frozenset({"percent", "amount", "buy_get", "bundle"})
KINDS = LINE_KINDS | {"threshold"}


@dataclass(frozen=True)
class Offer:
    code: str
    name: str
    kind: str  # percent | amount | buy_get | bundle | threshold
    # what it is on: any of these SKUs, categories or brands (none: every product)
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    # percent: basis points off; amount: minor units off per unit (per kg when weighed);
    # threshold: basis points or minor units off the goods (``value_kind``)
    value: int = 0
    value_kind: str = "percent"  # threshold: percent | amount
    buy_qty: int = 0  # buy_get: X whole units
    get_qty: int = 0  # buy_get: Y whole units
    get_skus: tuple[str, ...] = ()  # buy_get: the Y product(s); none: the same products
    get_off_bp: int = BP  # buy_get: how much off the Y units (100 %: free)
    bundle_price: int = 0  # bundle: the price of one of each of ``skus``
    min_total: int = 0  # threshold: the goods' total after line offers
    min_qty_milli: int = 0  # percent / amount: matching quantity on the bill at least
    valid_from: date | None = None
    valid_to: date | None = None
    days: tuple[int, ...] = ()  # 0 = Monday; none: every day
    hours: tuple[int, int] | None = None  # minutes from midnight [start, end)
    groups: tuple[str, ...] = ()  # customer groups; none: everyone
    max_per_bill: int = 0
    priority: int = 0
    exclusive: bool = False
    with_coupons: bool = True
    active: bool = True


@dataclass(frozen=True)
class CartLine:
    line_no: int
    sku: str
    category: str
    brand: str
    unit_price: int
    qty_milli: int
    weighed: bool = False
    fixed_gross: int | None = None  # a scale label's price: taken as it is

    @cached_property
    def gross(self) -> int:
        if self.fixed_gross is not None:
            return self.fixed_gross
        return line_amount(self.unit_price, self.qty_milli)


@dataclass(frozen=True)
class Given:
    """What one offer gives on one line."""

    code: str
    name: str
    amount: int


@dataclass(frozen=True)
class Hint:
    """An offer the cart nearly qualifies for, said the way the cashier reads it out."""

    code: str
    text: str


@dataclass
class Outcome:
    lines: dict[int, list[Given]] = field(default_factory=dict)  # line_no -> given
    bill: Given | None = None  # a threshold offer: shared over the goods like a bill discount
    coupons_allowed: bool = True
    applied: list[str] = field(default_factory=list)  # offer codes, in the order applied
    hints: list[Hint] = field(default_factory=list)

    def line_discount(self, line_no: int) -> int:
        return sum(g.amount for g in self.lines.get(line_no, []))

    @property
    def total(self) -> int:
        lines = sum(g.amount for given in self.lines.values() for g in given)
        return lines + (self.bill.amount if self.bill else 0)


def qualifies(offer: Offer, moment: datetime, group: str | None) -> bool:
    """Step 1: ``moment`` is the store's local time."""
    if not offer.active or offer.kind not in KINDS:
        return False
    today = moment.date()
    if offer.valid_from is not None and today < offer.valid_from:
        return False
    if offer.valid_to is not None and today > offer.valid_to:
        return False
    if offer.days and moment.weekday() not in offer.days:
        return False
    if offer.hours is not None:
        minute = moment.hour * 60 + moment.minute
        start, end = offer.hours
        if not (start <= minute < end if start <= end else minute >= start or minute < end):
            return False
    return not offer.groups or (group is not None and group in offer.groups)


class _Index:
    """The cart's lines by SKU, category and brand, built once per evaluation: each offer
    finds its lines by a few lookups instead of testing every line (200 offers on a
    50-line cart after every scan)."""

    def __init__(self, lines: Sequence[CartLine]) -> None:
        self.lines = list(lines)
        self.by_sku: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        self.by_brand: dict[str, list[int]] = {}
        for i, ln in enumerate(self.lines):
            self.by_sku.setdefault(ln.sku, []).append(i)
            self.by_category.setdefault(ln.category, []).append(i)
            self.by_brand.setdefault(ln.brand, []).append(i)
        self._on: dict[int, list[CartLine]] = {}

    def with_keys(
        self, skus: Iterable[str], categories: Iterable[str] = (), brands: Iterable[str] = ()
    ) -> list[CartLine]:
        """The lines of any of these SKUs, categories or brands, in cart order."""
        found = [i for key in skus for i in self.by_sku.get(key, ())]
        if categories:
            found += [i for key in categories for i in self.by_category.get(key, ())]
        if brands:
            found += [i for key in brands for i in self.by_brand.get(key, ())]
        if not found:  # most offers, on most carts
            return []
        return [self.lines[i] for i in sorted(set(found))]

    def touches(self, offer: Offer) -> bool:
        """Whether ``offer`` may concern this cart: a bill offer, an offer on everything,
        or one with a product, category or brand on the cart."""
        if offer.kind == "threshold" or not (offer.skus or offer.categories or offer.brands):
            return True
        return not (
            self.by_sku.keys().isdisjoint(offer.skus)
            and self.by_category.keys().isdisjoint(offer.categories)
            and self.by_brand.keys().isdisjoint(offer.brands)
        )

    def on(self, offer: Offer) -> list[CartLine]:
        """The lines ``offer`` is on (``_on``), in cart order."""
        got = self._on.get(id(offer))
        if got is None:
            if not (offer.skus or offer.categories or offer.brands):
                got = self.lines
            else:
                got = self.with_keys(offer.skus, offer.categories, offer.brands)
            self._on[id(offer)] = got
        return got


@dataclass(frozen=True)
class _Candidate:
    offer: Offer
    given: dict[int, int]  # line_no -> amount

    @property
    def total(self) -> int:
        return sum(self.given.values())


def _units(lines: Iterable[CartLine]) -> list[tuple[int, str, int]]:
    """Whole units of piece goods as (unit price, SKU, line_no), dearest first; equal
    units in SKU then line order, so the order of scanning never matters."""
    units = []
    for ln in lines:
        if ln.weighed or ln.fixed_gross is not None or ln.qty_milli % MILLI:
            continue
        units += [(ln.unit_price, ln.sku, ln.line_no)] * (ln.qty_milli // MILLI)
    units.sort(key=lambda u: (-u[0], u[1], u[2]))
    return units


def _capped(times: int, offer: Offer) -> int:
    return min(times, offer.max_per_bill) if offer.max_per_bill > 0 else times


def _percent_or_amount(offer: Offer, index: _Index) -> _Candidate | None:
    matching = index.on(offer)
    if not matching or sum(ln.qty_milli for ln in matching) < offer.min_qty_milli:
        return None
    given: dict[int, int] = {}
    units_left = offer.max_per_bill * MILLI if offer.max_per_bill > 0 else None
    for ln in sorted(matching, key=lambda ln: (-ln.unit_price, ln.sku, ln.line_no)):
        qty = ln.qty_milli if units_left is None else min(ln.qty_milli, units_left)
        if qty <= 0:
            break
        if offer.kind == "percent":
            part = ln.gross if qty == ln.qty_milli else line_amount(ln.unit_price, qty)
            amount = div_round(part * offer.value, BP)
        else:
            amount = line_amount(offer.value, qty)
        amount = min(amount, ln.gross)
        if amount > 0:
            given[ln.line_no] = amount
        if units_left is not None:
            units_left -= qty
    return _Candidate(offer, given) if given else None


def _buy_get(offer: Offer, index: _Index) -> _Candidate | None:
    x, y = offer.buy_qty, offer.get_qty
    if x <= 0 or y <= 0:
        return None
    given: dict[int, int] = {}

    def give(unit: tuple[int, str, int]) -> None:
        price, _sku, line_no = unit
        given[line_no] = given.get(line_no, 0) + div_round(price * offer.get_off_bp, BP)

    buy = _units(index.on(offer))
    if not offer.get_skus:  # the same products: of each X + Y, the Y cheapest
        groups = _capped(len(buy) // (x + y), offer)
        chosen = buy[: groups * (x + y)]
        for group in range(groups):
            for unit in chosen[group * (x + y) + x : (group + 1) * (x + y)]:
                give(unit)
    else:  # another product: Y of it for every X bought, cheapest first
        get = _units(index.with_keys(offer.get_skus))
        get.reverse()
        free = _capped(len(buy) // x, offer) * y
        for unit in get[:free]:
            give(unit)
    return _Candidate(offer, given) if given else None


def _bundle(offer: Offer, index: _Index) -> _Candidate | None:
    if not offer.skus:
        return None
    by_sku: dict[str, list[tuple[int, str, int]]] = {}
    for unit in _units(index.with_keys(offer.skus)):
        by_sku.setdefault(unit[1], []).append(unit)
    sets = _capped(min((len(by_sku.get(s, [])) for s in offer.skus), default=0), offer)
    given: dict[int, int] = {}
    for number in range(sets):
        members = [by_sku[s][number] for s in offer.skus]
        worth = sum(u[0] for u in members)
        off = worth - offer.bundle_price
        if off <= 0:
            break
        # shared over the set's units in proportion to their prices, exactly
        shares = _share(off, [u[0] for u in members])
        for unit, share in zip(members, shares, strict=True):
            given[unit[2]] = given.get(unit[2], 0) + share
    return _Candidate(offer, given) if given else None


def _share(amount: int, weights: list[int]) -> list[int]:
    base = sum(weights)
    shares = [amount * w // base for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % base), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


CANDIDATES = {
    "percent": _percent_or_amount,
    "amount": _percent_or_amount,
    "buy_get": _buy_get,
    "bundle": _bundle,
}


def _line_offers(offers: Sequence[Offer], index: _Index) -> list[_Candidate]:
    """Step 2: one offer per line, by priority, then what it gives, then code."""
    candidates = [c for o in offers if (c := CANDIDATES[o.kind](o, index)) is not None]
    candidates.sort(key=lambda c: (-c.offer.priority, -c.total, c.offer.code))
    taken: set[int] = set()
    chosen = []
    for candidate in candidates:
        if taken & set(candidate.given):
            continue
        taken |= set(candidate.given)
        chosen.append(candidate)
    return chosen


def _bill_offer(offers: Sequence[Offer], goods_after: int) -> tuple[Offer, int] | None:
    """Step 3: the threshold offer that gives most on what the goods come to (then by
    priority, then by code)."""
    found = []
    for offer in offers:
        if offer.kind != "threshold" or goods_after < offer.min_total or goods_after <= 0:
            continue
        amount = (
            div_round(goods_after * offer.value, BP)
            if offer.value_kind == "percent"
            else offer.value
        )
        amount = min(amount, goods_after)
        if amount > 0:
            found.append((-amount, -offer.priority, offer.code, offer))
    if not found:
        return None
    best = min(found)
    return best[3], -best[0]


def _outcome(chosen: list[_Candidate], bill: tuple[Offer, int] | None) -> Outcome:
    outcome = Outcome()
    for candidate in chosen:
        for line_no, amount in sorted(candidate.given.items()):
            outcome.lines.setdefault(line_no, []).append(
                Given(candidate.offer.code, candidate.offer.name, amount)
            )
        outcome.applied.append(candidate.offer.code)
    if bill is not None:
        outcome.bill = Given(bill[0].code, bill[0].name, bill[1])
        outcome.applied.append(bill[0].code)
    used = [c.offer for c in chosen] + ([bill[0]] if bill else [])
    outcome.coupons_allowed = all(o.with_coupons for o in used)
    return outcome


def evaluate(
    offers: Sequence[Offer],
    lines: Sequence[CartLine],
    moment: datetime,
    group: str | None = None,
) -> Outcome:
    """What the offers give on ``lines`` at ``moment`` (the store's local time).

    An offer on products none of which is on the cart can give nothing and hint nothing:
    it is left out before any work (most of a store's offers, on most carts).
    """
    index = _Index(lines)
    live = [o for o in offers if index.touches(o) and qualifies(o, moment, group)]
    goods = sum(ln.gross for ln in lines)

    def combined(pool: list[Offer]) -> Outcome:
        chosen = _line_offers([o for o in pool if o.kind in LINE_KINDS], index)
        after = goods - sum(c.total for c in chosen)
        return _outcome(chosen, _bill_offer(pool, after))

    result = combined([o for o in live if not o.exclusive])
    for offer in sorted((o for o in live if o.exclusive), key=lambda o: o.code):
        alone = combined([offer])
        if alone.total > result.total:
            result = alone
    result.hints = hints(live, lines, result, index)
    return result


def hints(
    offers: Sequence[Offer],
    lines: Sequence[CartLine],
    outcome: Outcome,
    index: _Index | None = None,
) -> list[Hint]:
    """Offers the cart is one step from: one more unit, a little more spent, the one
    missing product of a bundle. What already applies is not hinted."""
    index = index or _Index(lines)
    found = []
    goods_after = sum(ln.gross for ln in lines) - sum(
        g.amount for given in outcome.lines.values() for g in given
    )
    for offer in sorted(offers, key=lambda o: o.code):
        if offer.code in outcome.applied:
            continue
        if offer.kind == "buy_get" and offer.buy_qty > 0:
            units = len(_units(index.on(offer)))
            step = offer.buy_qty + (0 if offer.get_skus else offer.get_qty)
            if units and units % step == step - 1:
                found.append(Hint(offer.code, f"add 1 more for {offer.name}"))
        elif (
            offer.kind == "threshold" and 0 < offer.min_total - goods_after <= offer.min_total // 5
        ):
            more = format_amount(offer.min_total - goods_after)
            found.append(Hint(offer.code, f"add {more} more for {offer.name}"))
        elif offer.kind == "bundle" and offer.skus:
            have = {s for s in offer.skus if s in index.by_sku}
            missing = [s for s in offer.skus if s not in have]
            if len(missing) == 1 and have:
                found.append(Hint(offer.code, f"add {missing[0]} for {offer.name}"))
        elif offer.kind in ("percent", "amount") and offer.min_qty_milli > 0:
            qty = sum(ln.qty_milli for ln in index.on(offer))
            if qty and 0 < offer.min_qty_milli - qty <= MILLI:  # none on the cart: no hint
                found.append(Hint(offer.code, f"add 1 more for {offer.name}"))
    return found
