"""A manager's approval is used up only by an operation that then goes through.

Every core operation that takes an ``approval`` checks everything it can first. Input it
refuses (1.5 of a piece item, a negative price, a closed register ...) is refused before
the approval is redeemed, so the manager's PIN is still good for the corrected try; and
a cashier is told what is wrong before anyone is asked for a PIN at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from o2pos.core import auth, register, returns, sales
from o2pos.core.errors import (
    ApprovalRequired,
    DomainError,
    NotFound,
    PaymentError,
    RegisterClosed,
    StateError,
    ValidationError,
)
from o2pos.core.models import Journal, SaleLine
from o2pos.core.returns import ReturnItem
from tests.conftest import Store

Refused = type[DomainError]


def _still_good(store: Store, approval: auth.Approval) -> None:
    """The approval was not spent: it still approves (once) what it was given for."""
    nobody = store.people["stock"]  # may do none of these alone
    assert auth.require(nobody, approval.permission, approval) == "manager"


def _refused_before_the_approval(
    store: Store,
    permission: str,
    error: Refused,
    match: str,
    attempt: Callable[[auth.Approval | None], Any],
) -> None:
    events = Journal.select().count()
    # without an approval: the input is refused first, no PIN is asked for
    with pytest.raises(error, match=match) as refused:
        attempt(None)
    assert not isinstance(refused.value, ApprovalRequired)
    approval = store.approval(permission)
    with pytest.raises(error, match=match):
        attempt(approval)
    assert Journal.select().count() == events
    _still_good(store, approval)


def _sold(store: Store, *codes: str) -> tuple[str, list[SaleLine]]:
    done = store.cash_sale(*codes)
    return done.sale.number, sales.lines_of(done.sale)


# --- returns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "error", "match"),
    [
        (1500, ValidationError, r"comes back in whole pcs, not 1\.5"),
        (0, ValidationError, "more than zero"),
        (3000, ValidationError, "only 2 of 2"),
    ],
)
def test_a_wrong_return_quantity_does_not_spend_the_managers_pin(
    store: Store, qty: int, error: Refused, match: str
) -> None:
    store.open_register()
    number, [line] = _sold(store, "2*SOAP")
    _refused_before_the_approval(
        store,
        auth.Perm.REFUND,
        error,
        match,
        lambda approval: returns.create(
            store.ctx, store.cashier, number, [ReturnItem(line.id, qty)], "cash", approval=approval
        ),
    )


def test_every_other_refused_return_keeps_the_approval_too(store: Store) -> None:
    ctx, cashier = store.ctx, store.cashier
    store.open_register(0)
    number, [line] = _sold(store, "SOAP")
    sale_id = store.bill("SOAP")
    draft_line = sales.lines_of(sales.get(sale_id))[0]

    def attempt(
        sale: str, items: list[ReturnItem], method: str = "cash"
    ) -> Callable[[auth.Approval | None], Any]:
        return lambda approval: returns.create(ctx, cashier, sale, items, method, approval=approval)

    cases: list[tuple[Refused, str, Callable[[auth.Approval | None], Any]]] = [
        (NotFound, "No sale numbered", attempt("S-T1-999999", [ReturnItem(line.id, 1000)])),
        (PaymentError, "Cannot refund by", attempt(number, [ReturnItem(line.id, 1000)], "gold")),
        (NotFound, "not on this sale", attempt(number, [ReturnItem(draft_line.id, 1000)])),
        (
            ValidationError,
            "listed twice",
            attempt(number, [ReturnItem(line.id, 1000), ReturnItem(line.id, 1000)]),
        ),
        (ValidationError, "Choose what comes back", attempt(number, [])),
        # the sale was paid in cash; the drawer then held only its 40.00, less a cash out
        (PaymentError, "Not enough cash", attempt(number, [ReturnItem(line.id, 1000)])),
    ]
    register.move_cash(ctx, store.manager, "out", 1000, "to the bank")
    for error, match, action in cases:
        _refused_before_the_approval(store, auth.Perm.REFUND, error, match, action)
    register.close_session(ctx, store.manager, 3000)
    _refused_before_the_approval(
        store,
        auth.Perm.REFUND,
        RegisterClosed,
        "closed",
        attempt(number, [ReturnItem(line.id, 1000)]),
    )


def test_a_good_return_then_spends_the_approval_once(store: Store) -> None:
    store.open_register()
    number, [line] = _sold(store, "2*SOAP")
    approval = store.approval(auth.Perm.REFUND)
    with pytest.raises(ValidationError):
        returns.create(
            store.ctx, store.cashier, number, [ReturnItem(line.id, 1500)], "cash", approval=approval
        )
    ret = returns.create(
        store.ctx, store.cashier, number, [ReturnItem(line.id, 1000)], "cash", approval=approval
    )
    assert ret.approved_by == "manager"
    with pytest.raises(auth.PermissionDenied, match="one action"):
        auth.require(store.cashier, auth.Perm.REFUND, approval)


def test_a_quantity_is_checked_for_a_sale_line_as_soon_as_it_is_typed(store: Store) -> None:
    store.open_register()
    number, [soap, onion] = _sold(store, "2*SOAP", "2210001012508")  # 1.25 kg of onion
    returns.check_quantity(soap.id, 2000)
    returns.check_quantity(onion.id, 250)  # loose goods come back by weight
    with pytest.raises(ValidationError, match=r"Neem Soap 100 g comes back in whole pcs, not 1\.5"):
        returns.check_quantity(soap.id, 1500)
    with pytest.raises(ValidationError, match="only 2 of 2"):
        returns.check_quantity(soap.id, 3000)
    with pytest.raises(ValidationError, match="more than zero"):
        returns.check_quantity(soap.id, 0)
    returns.create(store.ctx, store.manager, number, [ReturnItem(soap.id, 1000)], "cash")
    with pytest.raises(ValidationError, match="only 1 of 2"):
        returns.check_quantity(soap.id, 2000)
    with pytest.raises(NotFound):
        returns.check_quantity(999_999, 1000)
    draft = store.bill("SOAP")
    with pytest.raises(StateError, match="not a completed sale"):
        returns.check_quantity(sales.lines_of(sales.get(draft))[0].id, 1000)


# --- sales -------------------------------------------------------------------------------


def test_a_refused_price_override_keeps_the_approval(store: Store) -> None:
    ctx, cashier = store.ctx, store.cashier
    sale_id = store.bill("SOAP", "2110001028694")  # onion at a price the scale printed
    soap, onion = sales.lines_of(sales.get(sale_id))

    def override(line_id: int, price: int) -> Callable[[auth.Approval | None], Any]:
        return lambda approval: sales.override_price(
            ctx, sale_id, line_id, price, cashier, approval
        )

    perm = auth.Perm.PRICE_OVERRIDE
    _refused_before_the_approval(store, perm, ValidationError, "negative", override(soap.id, -1))
    _refused_before_the_approval(
        store, perm, ValidationError, "scale label", override(onion.id, 100)
    )
    _refused_before_the_approval(store, perm, NotFound, "not on this bill", override(999, 100))
    with pytest.raises(ApprovalRequired):
        sales.override_price(ctx, sale_id, soap.id, 3500, cashier)
    approval = store.approval(perm)
    line = sales.override_price(ctx, sale_id, soap.id, 3500, cashier, approval)
    assert (line.unit_price, line.price_approved_by) == (3500, "manager")


def test_refused_discounts_and_voids_keep_the_approval(store: Store) -> None:
    ctx, cashier = store.ctx, store.cashier
    sale_id = store.bill("SOAP")
    [line] = sales.lines_of(sales.get(sale_id))
    perm = auth.Perm.DISCOUNT
    _refused_before_the_approval(
        store,
        perm,
        ValidationError,
        "more than 100%",
        lambda a: sales.set_line_discount(ctx, sale_id, line.id, "percent", 10_001, cashier, a),
    )
    _refused_before_the_approval(
        store,
        perm,
        ValidationError,
        "more than the",
        lambda a: sales.set_order_discount(ctx, sale_id, "amount", 999_999, cashier, a),
    )
    store.open_register()
    paid = store.cash_sale("COLA").sale
    _refused_before_the_approval(
        store,
        auth.Perm.VOID,
        StateError,
        "cannot be cancelled",
        lambda a: sales.cancel(ctx, paid.id, cashier, a),
    )


# --- the cash register ---------------------------------------------------------------------


def test_refused_cash_moves_no_sale_and_close_keep_the_approval(store: Store) -> None:
    ctx, cashier = store.ctx, store.cashier
    move = auth.Perm.CASH_MOVE
    _refused_before_the_approval(
        store,
        auth.Perm.NO_SALE,
        RegisterClosed,
        "closed",
        lambda a: register.open_drawer(ctx, cashier, "no sale", a),
    )
    _refused_before_the_approval(
        store,
        auth.Perm.CLOSE_REGISTER,
        RegisterClosed,
        "closed",
        lambda a: register.close_session(ctx, cashier, 0, a),
    )
    # the cashier may move cash alone; a billing employee needs a manager for it
    billing = store.people["billing"]
    _refused_before_the_approval(
        store,
        move,
        RegisterClosed,
        "closed",
        lambda a: register.move_cash(ctx, billing, "in", 100, "coins", a),
    )
    store.open_register(10000)
    for amount, reason, match in (
        (0, "coins", "more than zero"),
        (100, "  ", "reason"),
        (20000, "bank", "not that much cash"),
    ):
        _refused_before_the_approval(
            store,
            move,
            ValidationError,
            match,
            lambda a, amount=amount, reason=reason: register.move_cash(  # type: ignore[misc]
                ctx, billing, "out", amount, reason, a
            ),
        )
    _refused_before_the_approval(
        store,
        auth.Perm.CLOSE_REGISTER,
        ValidationError,
        "negative",
        lambda a: register.close_session(ctx, cashier, -1, a),
    )
    session = register.close_session(ctx, cashier, 10000, store.approval(auth.Perm.CLOSE_REGISTER))
    assert session.approved_by == "manager"
