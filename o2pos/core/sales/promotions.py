"""The Promotions view: the offers a bill gets and those it nearly gets, for the cashier
to read out ("add 1 more for Buy 2 get 1 free")."""

from __future__ import annotations

from dataclasses import dataclass, field

from o2pos.core import offerdata
from o2pos.core.context import Context
from o2pos.core.sales.bills import get, lines_of
from o2pos.core.sales.repricing import evaluate_offers


@dataclass(frozen=True)
class Promotions:
    applied: list[tuple[str, int]] = field(default_factory=list)  # name, what it gives
    hints: list[str] = field(default_factory=list)  # "add 1 more for ..."
    coupons_allowed: bool = True


def promotions(ctx: Context, sale_id: int) -> Promotions:
    """What the offers give this bill as it stands, and what one more step would give."""
    sale = get(sale_id)
    outcome = evaluate_offers(ctx, sale, lines_of(sale), offerdata.active_offers())
    given: dict[str, tuple[str, int]] = {}
    for line_given in outcome.lines.values():
        for g in line_given:
            name, amount = given.get(g.code, (g.name, 0))
            given[g.code] = (name, amount + g.amount)
    if outcome.bill is not None:
        given[outcome.bill.code] = (outcome.bill.name, outcome.bill.amount)
    return Promotions(
        applied=[given[code] for code in outcome.applied if code in given],
        hints=[h.text for h in outcome.hints],
        coupons_allowed=outcome.coupons_allowed,
    )
