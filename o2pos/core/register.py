"""Cash register sessions: the counted float, cash in and out, expected cash and closing.

Expected cash is never stored while a session is open: it is computed from the float and
every cash movement (cash tendered less change, cash refunds, cash in, cash out), so it
cannot drift from the documents it summarises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from peewee import fn

from o2pos.core import journal, numbering
from o2pos.core.auth import Approval, Perm, has_permission, require
from o2pos.core.context import Context
from o2pos.core.errors import RegisterClosed, StateError, ValidationError
from o2pos.core.models import (
    CashMovement,
    Employee,
    Payment,
    PaymentMethod,
    Receipt,
    RegisterSession,
    RemoteReturn,
    Return,
    tuples,
)
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number


def current_session(ctx: Context) -> RegisterSession | None:
    rows = RegisterSession.fetch("terminal_id = ? AND status = 'open'", ctx.terminal_id)
    return rows[0] if rows else None


def is_open(ctx: Context) -> bool:
    return current_session(ctx) is not None


def expected_now(ctx: Context) -> int | None:
    """The cash the drawer should hold now; None when the register is closed."""
    session = current_session(ctx)
    return expected_cash(session) if session is not None else None


def needs_float(ctx: Context, employee: Employee) -> bool:
    """Ask this employee for the opening float now? Only one who may open the register,
    and only while no session is open on this till."""
    return has_permission(employee, Perm.OPEN_REGISTER) and not is_open(ctx)


def require_open(ctx: Context) -> RegisterSession:
    session = current_session(ctx)
    if session is None:
        raise RegisterClosed("The cash register is closed on this till: open it with a float first")
    return session


def open_session(ctx: Context, actor: Employee, opening_float: int) -> RegisterSession:
    require(actor, Perm.OPEN_REGISTER)
    if opening_float < 0:
        raise ValidationError("The opening float cannot be negative")
    with ctx.write():
        if current_session(ctx) is not None:
            raise StateError("The cash register is already open on this till")
        session = RegisterSession.create(
            terminal_id=ctx.terminal_id,
            opened_by=actor,
            opened_at=ctx.now(),
            opening_float=opening_float,
        )
        journal.append(
            ctx,
            "register.opened",
            {"session_id": session.id, "opening_float": opening_float},
            employee=actor.code,
        )
    return session


def cash_totals(session: RegisterSession) -> dict[str, int]:
    """Every cash flow of a session, the parts of the expected cash.

    ``cash_sales`` is cash taken at checkout for the bills it completed; ``cash_dues`` is
    cash collected later for bills saved unpaid or on account (the receipts screen). Both
    are tendered less change, and both are in the drawer.
    """
    received = dict(
        tuples(
            Payment.select(Receipt.purpose, fn.SUM(Payment.amount))
            .join(Receipt)
            .switch(Payment)
            .join(PaymentMethod)
            .where(Receipt.session == session, PaymentMethod.kind == "cash")
            .group_by(Receipt.purpose)
        )
    )
    cash_sales, cash_dues = received.get("sale", 0), received.get("dues", 0)
    cash_refunds = sum(  # returns of this till's sales and of other tills' sales
        model.select(fn.COALESCE(fn.SUM(model.total), 0))
        .join(PaymentMethod)
        .where(model.session == session, PaymentMethod.kind == "cash")
        .scalar()
        for model in (Return, RemoteReturn)
    )
    moves = dict(
        tuples(
            CashMovement.select(CashMovement.kind, fn.SUM(CashMovement.amount))
            .where(CashMovement.session == session)
            .group_by(CashMovement.kind)
        )
    )
    cash_in, cash_out = moves.get("in", 0), moves.get("out", 0)
    expected = session.opening_float + cash_sales + cash_dues - cash_refunds + cash_in - cash_out
    return {
        "opening_float": session.opening_float,
        "cash_sales": cash_sales,
        "cash_dues": cash_dues,
        "cash_refunds": cash_refunds,
        "cash_in": cash_in,
        "cash_out": cash_out,
        "expected_cash": expected,
    }


def expected_cash(session: RegisterSession) -> int:
    return cash_totals(session)["expected_cash"]


class MovementView(NamedTuple):
    number: str
    kind: str  # in | out | no_sale
    amount: int
    reason: str
    by: str  # the employee's code


@dataclass(frozen=True)
class DrawerView:
    """The open session of this till as the register screen shows it."""

    opened_at: datetime  # naive UTC
    opened_by: str
    cash: dict[str, int]  # cash_totals
    movements: list[MovementView]


def drawer(ctx: Context) -> DrawerView | None:
    """The open register session with its cash figures and movements; None when closed."""
    session = current_session(ctx)
    if session is None:
        return None
    moves = tuples(
        CashMovement.select(
            CashMovement.number,
            CashMovement.kind,
            CashMovement.amount,
            CashMovement.reason,
            Employee.code,
        )
        .join(Employee)
        .where(CashMovement.session == session)
        .order_by(CashMovement.id)
    )
    opened_by = Employee.get_by_id(session.opened_by_id).code
    return DrawerView(
        session.opened_at, opened_by, cash_totals(session), [MovementView(*m) for m in moves]
    )


def move_cash(
    ctx: Context,
    actor: Employee,
    kind: str,
    amount: int,
    reason: str,
    approval: Approval | None = None,
) -> CashMovement:
    """Cash in (change brought in) or cash out (a payout, a bank drop), with a reason.

    Everything is checked before a manager's approval is used up (as in every operation
    that takes one): a refused move leaves the approval for the next try.
    """
    if kind not in ("in", "out"):
        raise ValidationError("Cash moves in or out")
    if amount <= 0:
        raise ValidationError("The amount must be more than zero")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the cash moves (a reason is required)")
    if contains_card_number(reason):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    with ctx.write():
        session = require_open(ctx)
        if kind == "out" and amount > expected_cash(session):
            raise ValidationError("There is not that much cash in the drawer")
        approved_by = require(actor, Perm.CASH_MOVE, approval)
        movement = CashMovement.create(
            session=session,
            number=numbering.allocate(ctx, "cash"),
            kind=kind,
            amount=amount,
            reason=reason[:200],
            employee=actor,
            approved_by=approved_by,
            created_at=ctx.now(),
        )
        journal.append(
            ctx,
            "register.cash_moved",
            {
                "session_id": session.id,
                "number": movement.number,
                "kind": kind,
                "amount": amount,
                "reason": movement.reason,
            },
            employee=actor.code,
            approved_by=approved_by,
        )
    return movement


def open_drawer(
    ctx: Context, actor: Employee, reason: str, approval: Approval | None = None
) -> CashMovement:
    """A "no sale" drawer opening: only with permission, and always on the record."""
    if contains_card_number(reason):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    with ctx.write():
        session = require_open(ctx)
        approved_by = require(actor, Perm.NO_SALE, approval)
        movement = CashMovement.create(
            session=session,
            number=numbering.allocate(ctx, "cash"),
            kind="no_sale",
            amount=0,
            reason=(reason.strip() or "no sale")[:200],
            employee=actor,
            approved_by=approved_by,
            created_at=ctx.now(),
        )
        journal.append(
            ctx,
            "drawer.opened",
            {"session_id": session.id, "number": movement.number, "reason": movement.reason},
            employee=actor.code,
            approved_by=approved_by,
        )
    return movement


def close_session(
    ctx: Context, actor: Employee, counted_cash: int, approval: Approval | None = None
) -> RegisterSession:
    """Count the drawer, store the difference and give the session its Z number."""
    if counted_cash < 0:
        raise ValidationError("The counted cash cannot be negative")
    with ctx.write():
        session = require_open(ctx)
        approved_by = require(actor, Perm.CLOSE_REGISTER, approval)
        totals = cash_totals(session)
        expected = totals["expected_cash"]
        z_number = numbering.allocate(ctx, "z_report")
        RegisterSession.update(
            status="closed",
            closed_by=actor,
            approved_by=approved_by,
            closed_at=ctx.now(),
            expected_cash=expected,
            counted_cash=counted_cash,
            difference=counted_cash - expected,
            z_number=z_number,
        ).where(RegisterSession.id == session.id).execute()
        session = RegisterSession.get_by_id(session.id)
        from o2pos.core.reports import session_report  # reports reads what this module writes

        journal.append(
            ctx,
            "register.closed",
            {
                "session_id": session.id,
                "z_number": z_number,
                "expected_cash": expected,
                "counted_cash": counted_cash,
                "difference": counted_cash - expected,
                "report": session_report(ctx, session),
            },
            employee=actor.code,
            approved_by=approved_by,
        )
    return session
