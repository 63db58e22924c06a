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

from peewee import fn

from o2pos.core.context import Context
from o2pos.core.errors import PaymentError, ValidationError
from o2pos.core.models import Customer, LoyaltyScheme, PointsBalance, PointsMove, Sale
from o2pos.core.money import BP, format_amount

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


# the demo store's scheme: a point for every ₹100 paid, a point pays ₹1, at least 5 points
# a redemption; household goods earn double, medicines nothing (a gift voucher never earns)
DEMO_SCHEME: dict[str, Any] = {
    "spend_per_point": 10000,
    "category_rates": {"Household": 2 * BP, "Medicines": 0},
    "excluded": [],
    "point_value": 100,
    "min_redeem": 5,
    "active": True,
}


def balance(customer_uuid: str) -> int:
    """A customer's points as this till knows them: the central's last figure plus this
    till's own moves the central had not counted then (never below zero)."""
    row = PointsBalance.get_or_none(PointsBalance.customer_uuid == customer_uuid)
    base, as_of = (row.balance, row.as_of_seq) if row else (0, 0)
    own = (
        PointsMove.select(fn.COALESCE(fn.SUM(PointsMove.delta), 0))
        .where(PointsMove.customer_uuid == customer_uuid, PointsMove.seq > as_of)
        .scalar()
    )
    return max(0, base + int(own or 0))


def adopt(ctx: Context, customer_uuid: str, data: dict[str, Any]) -> None:
    """A ``points`` master record: the central's balance and the last seq of this till's
    events it includes (``as_of``, by terminal)."""
    as_of = data["as_of"].get(ctx.terminal_id, 0)
    if data["balance"] < 0 or not isinstance(as_of, int):
        raise ValidationError(f"points {customer_uuid}: a balance of 0 or more, as_of by till")
    PointsBalance.insert(
        customer_uuid=customer_uuid, balance=data["balance"], as_of_seq=as_of
    ).on_conflict(
        conflict_target=[PointsBalance.customer_uuid],
        update={PointsBalance.balance: data["balance"], PointsBalance.as_of_seq: as_of},
    ).execute()


def record(customer_uuid: str, seq: int, delta: int) -> None:
    """This till's event ``seq`` moved the customer's points by ``delta``."""
    if delta:
        PointsMove.insert(customer_uuid=customer_uuid, seq=seq, delta=delta).execute()


def sale_points(
    customer_uuid: str | None,
    lines: list[EarnLine],
    total: int,
    money_paid: int,
    redeemed: int,
) -> dict[str, Any] | None:
    """What a completed bill's event says about points (``points`` in ``sale.completed``),
    or None when it has nothing to say (walk-in, no scheme and nothing redeemed).

    Points are earned on what was paid in money (not with points, not left on account):
    the lines' paid amounts are scaled by that share of the total.
    """
    scheme = current()
    if customer_uuid is None or (scheme is None and not redeemed):
        return None
    earned_points = 0
    if scheme is not None and total > 0:
        share = min(max(money_paid, 0), total)
        scaled = [EarnLine(ln.sku, ln.category, ln.paid * share // total) for ln in lines]
        earned_points = earned(scheme, scaled)
    before = balance(customer_uuid)
    return {
        "customer": customer_uuid,
        "earned": earned_points,
        "redeemed": redeemed,
        "balance": max(0, before + earned_points - redeemed),
    }


def points_for(amount: int, scheme: Scheme) -> int:
    """How many points pay ``amount`` (a whole number of points, or refused)."""
    if scheme.point_value <= 0:
        raise PaymentError("Points cannot pay here: the scheme gives them no value")
    points, rest = divmod(amount, scheme.point_value)
    if rest:
        raise PaymentError(
            f"Points pay in steps of {format_amount(scheme.point_value)} (one point each)"
        )
    return points


def redeemable(customer_uuid: str, amount: int, *, reserved: bool = False) -> int:
    """The points that pay ``amount`` for this customer, checked against the scheme's
    minimum and, unless the central reserved them (it knows every till's), the balance
    this till knows; a ``PaymentError`` the cashier can act on."""
    scheme = current()
    if scheme is None:
        raise PaymentError("No points scheme is in force")
    points = points_for(amount, scheme)
    if points < scheme.min_redeem:
        raise PaymentError(f"At least {scheme.min_redeem} points are redeemed at a time")
    have = balance(customer_uuid)
    if points > have and not reserved:
        raise PaymentError(
            f"The customer has {have} points ({format_amount(have * scheme.point_value)})"
        )
    return points


@dataclass(frozen=True)
class Redeemer:
    """The bill's customer as the payment dialog offers points to them."""

    customer_uuid: str
    points: int  # as this till knows them (the central decides on Enter)
    point_value: int
    min_redeem: int


def redeemer(sale_id: int) -> Redeemer | None:
    """Who can pay this bill with points: its named customer, when a scheme is in force."""
    scheme = current()
    if scheme is None or scheme.point_value <= 0:
        return None
    row = (
        Customer.select(Customer.uuid)
        .join(Sale, on=(Sale.customer == Customer.id))
        .where(Sale.id == sale_id)
        .first()
    )
    if row is None:
        return None
    return Redeemer(row.uuid, balance(row.uuid), scheme.point_value, scheme.min_redeem)
