"""Loyalty points: the scheme pulled from the central, and what a bill earns.

Points are earned on what a named customer paid for each line, after every discount, at
one point per ``spend_per_point`` (10000 paise: 1 point per ₹100); a category may earn at
another rate (basis points of the base rate: 20000 earns double, 0 nothing) and some
products earn nothing. The line amounts are added up first and the points rounded down
once, so splitting a bill never earns more than ringing it as one. A return takes back the
points in proportion to what it refunds, cumulatively, so several partial returns never
take back more than was earned. See ``docs/loyalty.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from o2pos.core.errors import ValidationError
from o2pos.core.models import LoyaltyScheme
from o2pos.core.money import BP

SCHEME = "default"


@dataclass(frozen=True)
class Scheme:
    spend_per_point: int
    point_value: int
    min_redeem: int = 0
    category_rates: dict[str, int] = field(default_factory=dict)
    excluded: frozenset[str] = frozenset()

    def rate_of(self, sku: str, category: str) -> int:
        """Basis points of the base earn rate this product earns at."""
        if sku in self.excluded:
            return 0
        return self.category_rates.get(category, BP)


@dataclass(frozen=True)
class EarnLine:
    sku: str
    category: str
    paid: int  # what the customer paid for the line, after discounts (minor units)


def earned(scheme: Scheme, lines: list[EarnLine]) -> int:
    """Whole points a bill of these lines earns (never below zero)."""
    weighted = sum(max(0, ln.paid) * scheme.rate_of(ln.sku, ln.category) for ln in lines)
    return weighted // (scheme.spend_per_point * BP)


def reversed_points(earned_points: int, total: int, refunded_before: int, refunded: int) -> int:
    """Points a return of ``refunded`` takes back from a bill of ``total`` that earned
    ``earned_points``, after returns that refunded ``refunded_before``: the share of
    everything refunded so far, less what earlier returns took (rounded down each time,
    so the returns of a whole bill take back exactly what it earned)."""
    if total <= 0 or earned_points <= 0:
        return 0
    after = min(total, refunded_before + refunded)
    before = min(total, refunded_before)
    return earned_points * after // total - earned_points * before // total


def check_scheme(data: dict[str, Any]) -> Scheme:
    """A ``loyalty`` master record, checked: a bad scheme is refused whole."""
    rates = data["category_rates"]
    excluded = data["excluded"]
    if data["spend_per_point"] <= 0:
        raise ValidationError("loyalty: the spend for one point must be above zero")
    if data["point_value"] < 0 or data["min_redeem"] < 0:
        raise ValidationError("loyalty: a point's value and the minimum redemption are >= 0")
    if not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in rates.items()
    ):
        raise ValidationError("loyalty: category rates are basis points (0 or more) by category")
    if not all(isinstance(s, str) for s in excluded):
        raise ValidationError("loyalty: excluded products are SKUs")
    return Scheme(
        data["spend_per_point"],
        data["point_value"],
        data["min_redeem"],
        dict(rates),
        frozenset(excluded),
    )


def apply_scheme(code: str, data: dict[str, Any]) -> None:
    scheme = check_scheme(data)
    fields = {
        "spend_per_point": scheme.spend_per_point,
        "category_rates": json.dumps(scheme.category_rates, sort_keys=True),
        "excluded": json.dumps(sorted(scheme.excluded)),
        "point_value": scheme.point_value,
        "min_redeem": scheme.min_redeem,
        "active": data["active"],
    }
    if not LoyaltyScheme.update(**fields).where(LoyaltyScheme.code == code).execute():
        LoyaltyScheme.insert(code=code, **fields).execute()


def current() -> Scheme | None:
    """The scheme in force on this till, or None (no scheme, or switched off)."""
    row = LoyaltyScheme.get_or_none(LoyaltyScheme.code == SCHEME)
    if row is None or not row.active:
        return None
    return Scheme(
        row.spend_per_point,
        row.point_value,
        row.min_redeem,
        json.loads(row.category_rates),
        frozenset(json.loads(row.excluded)),
    )


# the demo store's scheme: a point for every ₹100 paid, a point pays ₹1, at least 10 points
# a redemption; household goods earn double, medicines and gift vouchers nothing
DEMO_SCHEME: dict[str, Any] = {
    "spend_per_point": 10000,
    "category_rates": {"Household": 2 * BP, "Medicines": 0},
    "excluded": [],
    "point_value": 100,
    "min_redeem": 10,
    "active": True,
}
