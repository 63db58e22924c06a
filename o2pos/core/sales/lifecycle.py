"""A bill's life before it is paid: started, its customer, held and recalled, voided."""

from __future__ import annotations

from peewee import fn

from o2pos.core import journal
from o2pos.core.auth import Approval, Perm, require
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, StateError, ValidationError
from o2pos.core.ids import new_id
from o2pos.core.models import Customer, Employee, Journal, Sale
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number
from o2pos.core.register import current_session
from o2pos.core.sales.bills import draft_of, get, lines_of, open_draft
from o2pos.core.sales.payloads import line_payload
from o2pos.core.sales.repricing import recompute


def new(ctx: Context, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        session = current_session(ctx)
        return Sale.create(
            uuid=new_id(),
            terminal_id=ctx.terminal_id,
            employee=actor,
            session=session,
            created_at=ctx.now(),
        )


def current_bill(ctx: Context, actor: Employee) -> tuple[int, int]:
    """The bill to show on the sales screen: the one in progress on this till (after a
    restart or a lock) or a new one. Returns its id and how many lines it already has."""
    draft = open_draft(ctx)
    if draft is not None:
        return draft.id, len(lines_of(draft))
    return new(ctx, actor).id, 0


def set_customer(ctx: Context, sale_id: int, customer_id: int | None, actor: Employee) -> Sale:
    """Walk-in (None) or a named customer; from another state, the bill is taxed IGST."""
    require(actor, Perm.SELL)
    with ctx.write():
        sale = draft_of(sale_id)
        customer = None
        if customer_id is not None:
            customer = Customer.get_or_none(Customer.id == customer_id)
            if customer is None:
                raise NotFound("No such customer")
        interstate = bool(
            customer
            and customer.state_code
            and customer.state_code != ctx.settings.store.state_code
        )
        Sale.update(customer=customer, interstate=interstate).where(Sale.id == sale.id).execute()
        recompute(ctx, get(sale_id))
    return get(sale_id)


# how a bill's goods reach the customer when not taken at the counter (``core.deliveries``)
DELIVERY_MARKS = {"home": "Home delivery", "pickup": "Pick-up later"}


def set_delivery(ctx: Context, sale_id: int, mode: str | None, actor: Employee) -> Sale:
    """Mark a bill in progress for later delivery (``home`` or ``pickup``), or unmark it
    (None): its goods are then reserved at completion and leave stock when delivered."""
    require(actor, Perm.SELL)
    if mode is not None and mode not in DELIVERY_MARKS:
        raise ValidationError(f"A bill is delivered home or picked up later, not {mode!r}")
    with ctx.write():
        sale = draft_of(sale_id)
        Sale.update(delivery=mode).where(Sale.id == sale.id).execute()
    return get(sale_id)


def hold(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = draft_of(sale_id)
        if not lines_of(sale):
            raise ValidationError("An empty bill cannot be held")
        Sale.update(status="held").where(Sale.id == sale.id).execute()
        journal.append(
            ctx,
            "sale.held",
            {"uuid": sale.uuid, "total": sale.total, "lines": len(lines_of(sale))},
            employee=actor.code,
        )
    return get(sale_id)


def recall(ctx: Context, sale_id: int, actor: Employee) -> Sale:
    require(actor, Perm.SELL)
    with ctx.write():
        sale = get(sale_id)
        if sale.status != "held":
            raise StateError("Only a held bill can be recalled")
        Sale.update(status="draft", session=current_session(ctx)).where(
            Sale.id == sale.id
        ).execute()
        journal.append(ctx, "sale.recalled", {"uuid": sale.uuid}, employee=actor.code)
    return get(sale_id)


def cancel(
    ctx: Context, sale_id: int, actor: Employee, approval: Approval | None = None, reason: str = ""
) -> Sale:
    """Void a bill in progress; a bill with lines needs the void permission or approval.

    Only an empty draft that was never held goes without a journal event: nothing about it
    ever reached the record.
    """
    require(actor, Perm.SELL)
    if contains_card_number(reason):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    with ctx.write():
        sale = get(sale_id)
        if sale.status not in ("draft", "held"):
            raise StateError(f"A {sale.status} bill cannot be cancelled; take a return instead")
        lines = lines_of(sale)
        was_held = sale.status == "held" or _was_held(sale)
        if not lines and not was_held:
            Sale.update(status="cancelled").where(Sale.id == sale.id).execute()
            return get(sale_id)
        approved_by = require(actor, Perm.VOID, approval) if lines else None
        Sale.update(status="cancelled").where(Sale.id == sale.id).execute()
        journal.append(
            ctx,
            "sale.voided",
            {
                "uuid": sale.uuid,
                "reason": reason.strip()[:200],
                "total": sale.total,
                "lines": [line_payload(ln) for ln in lines],
            },
            employee=actor.code,
            approved_by=approved_by,
        )
    return get(sale_id)


def _was_held(sale: Sale) -> bool:
    return (
        Journal.select()
        .where(
            Journal.event_type == "sale.held",
            fn.json_extract(Journal.payload, "$.uuid") == sale.uuid,
        )
        .exists()
    )
