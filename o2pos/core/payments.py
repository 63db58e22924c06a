"""Tenders and receipts: split payment, change in cash only, stored-value tenders, dues.

``settle`` decides what a set of tenders does to an amount due, without writing anything;
``record`` writes the receipt, its tender lines and what each order received. Checkout and
the receipts screen share both, so the rules cannot differ between them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from peewee import JOIN, fn

from o2pos.core import journal, loyalty, numbering, syncstate
from o2pos.core.auth import Perm, require
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, PaymentError, StateError, ValidationError
from o2pos.core.ids import new_id
from o2pos.core.models import (
    Customer,
    Employee,
    Journal,
    PaidElsewhere,
    Payment,
    PaymentMethod,
    Receipt,
    ReceiptAllocation,
    RegisterSession,
    RemoteAllocation,
    Sale,
    Voucher,
)
from o2pos.core.money import format_amount
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number

STORED_VALUE = ("credit_note", "gift_voucher")
# What a tender of each kind must carry, named as the cashier is asked for it. One rule for
# the till's payment dialog, the command line and every other caller of ``settle``.
REFERENCE = {
    "card": "approval code",
    "upi": "transaction id",
    "credit_note": "credit note number",
    "gift_voucher": "voucher number",
}
RECEIPT_PURPOSES = ("sale", "dues")


@dataclass(frozen=True)
class Tender:
    method: str
    amount: int
    reference: str | None = None
    # the central's hold on a gift voucher or credit note (``sync.vouchers``); None offline
    reservation_id: str | None = None


@dataclass(frozen=True)
class TenderLine:
    method: PaymentMethod
    tendered: int
    applied: int
    reference: str | None
    voucher: Voucher | None
    reservation_id: str | None = None


@dataclass(frozen=True)
class Settlement:
    lines: list[TenderLine]
    due: int
    tendered: int
    applied: int
    change: int

    @property
    def on_account(self) -> int:
        return sum(t.applied for t in self.lines if t.method.kind == "on_account")

    @property
    def paid(self) -> int:
        """What actually reached the store (on account is credit, not payment)."""
        return self.applied - self.on_account


def settle(
    ctx: Context,
    due: int,
    tenders: list[Tender],
    *,
    customer: Customer | None,
    allow_partial: bool = False,
    allow_on_account: bool = True,
) -> Settlement:
    """Check tenders against what is due; raise a ``PaymentError`` a cashier can act on."""
    if not tenders and due > 0:
        raise PaymentError(f"Nothing tendered; {format_amount(due)} is due")
    lines: list[TenderLine] = []
    for tender in tenders:
        if tender.amount <= 0:
            raise ValidationError("Each tender must be more than zero")
        # one row by key on every checkout: peewee's query builder cost ~10× the read here
        found = PaymentMethod.fetch("code = ?", tender.method)
        method = found[0] if found else None
        if method is None or not method.active:
            raise PaymentError(f"Unknown payment method {tender.method!r}")
        reference = (tender.reference or "").strip() or None
        if contains_card_number(reference):
            raise ValidationError(f"{CARD_NUMBER_MESSAGE}: type the approval code")
        voucher = None
        if method.kind == "on_account":
            if not allow_on_account:
                raise PaymentError("On account cannot pay an account balance")
            if customer is None:
                raise PaymentError("On account needs a named customer on the bill")
        if method.kind in REFERENCE and not reference:
            raise PaymentError(f"{method.name}: type its {REFERENCE[method.kind]}, then Enter")
        if reference and method.kind in STORED_VALUE:  # REFERENCE asks every one of them
            voucher = Voucher.get_or_none(
                Voucher.code == reference.upper(), Voucher.kind == method.kind
            )
            if voucher is None:
                raise NotFound(f"No {method.name.lower()} numbered {reference}")
            if voucher.expires is not None and voucher.expires < ctx.today():
                raise PaymentError(f"{method.name} {voucher.code} expired on {voucher.expires}")
            used = sum(t.tendered for t in lines if t.voucher and t.voucher.id == voucher.id)
            if tender.amount > voucher.balance - used:
                raise PaymentError(
                    f"{method.name} {voucher.code} has only "
                    f"{format_amount(voucher.balance - used)} left"
                )
        held = tender.reservation_id if voucher is not None else None
        if method.kind == "points":
            if customer is None:
                raise PaymentError("Points pay only for a named customer: choose them with F7")
            used = sum(t.tendered for t in lines if t.method.kind == "points")
            loyalty.redeemable(
                customer.uuid, used + tender.amount, reserved=tender.reservation_id is not None
            )
            reference, held = customer.uuid, tender.reservation_id
        lines.append(TenderLine(method, tender.amount, tender.amount, reference, voucher, held))

    tendered = sum(t.tendered for t in lines)
    non_cash = sum(t.tendered for t in lines if t.method.kind != "cash")
    if non_cash > due:
        raise PaymentError(
            f"Non-cash tenders ({format_amount(non_cash)}) exceed the {format_amount(due)} due: "
            "only cash gives change"
        )
    if tendered < due and not allow_partial:
        raise PaymentError(
            f"Paid {format_amount(tendered)} is less than the {format_amount(due)} due"
        )
    change = max(0, tendered - due)
    # change comes out of the cash tenders, the last one first
    remaining = change
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if remaining and line.method.kind == "cash":
            take = min(remaining, line.tendered)
            lines[index] = TenderLine(
                line.method, line.tendered, line.tendered - take, line.reference, None
            )
            remaining -= take
    applied = sum(t.applied for t in lines)
    return Settlement(lines=lines, due=due, tendered=tendered, applied=applied, change=change)


def record(
    ctx: Context,
    settlement: Settlement,
    allocations: list[tuple[Sale, int]],
    *,
    actor: Employee,
    session: RegisterSession,
    customer: Customer | None,
    purpose: str,
) -> Receipt:
    """Write a receipt, its tender lines and allocations; part of the caller's transaction.

    ``purpose`` is ``sale`` at checkout, ``dues`` for bills paid later (``collect``).
    """
    if purpose not in RECEIPT_PURPOSES:
        raise ValueError(f"unknown receipt purpose {purpose!r}")
    fields = {
        "uuid": new_id(),
        "number": numbering.allocate(ctx, "receipt"),
        "terminal_id": ctx.terminal_id,
        "session": session,
        "employee": actor,
        "customer": customer,
        "created_at": ctx.now(),
        "amount": settlement.paid,
        "tendered": settlement.tendered,
        "change": settlement.change,
        "purpose": purpose,
    }
    receipt = Receipt(id=Receipt.insert_row(**fields), **fields)
    for line in settlement.lines:
        Payment.insert_row(
            receipt=receipt,
            method=line.method,
            tendered=line.tendered,
            amount=line.applied,
            reference=line.reference,
            voucher=line.voucher,
        )
        if line.voucher is not None:
            updated = (
                Voucher.update(balance=Voucher.balance - line.applied)
                .where(Voucher.id == line.voucher.id, Voucher.balance >= line.applied)
                .execute()
            )
            if not updated:
                raise PaymentError(f"{line.voucher.code} no longer has enough balance")
    for sale, amount in allocations:
        ReceiptAllocation.insert_row(receipt=receipt, sale=sale, amount=amount)
    return receipt


def receipt_payload(receipt: Receipt, settlement: Settlement) -> dict:
    return {
        "receipt": receipt.number,
        "receipt_uuid": receipt.uuid,
        "tendered": settlement.tendered,
        "applied": settlement.applied,
        "received": settlement.paid,
        "credit_given": settlement.on_account,
        "change": settlement.change,
        "payments": [
            {
                "method": t.method.code,
                "kind": t.method.kind,
                "tendered": t.tendered,
                "amount": t.applied,
                "reference": t.reference,
                **({"reservation_id": t.reservation_id} if t.reservation_id else {}),
            }
            for t in settlement.lines
        ],
    }


def paid_elsewhere(sale: Sale) -> int:
    """What other tills of the store have paid towards this till's ``sale``, as last pulled."""
    row = PaidElsewhere.get_or_none(PaidElsewhere.sale_uuid == sale.uuid)
    return int(row.amount) if row is not None else 0


def owed(sale: Sale) -> int:
    """What is still to pay on ``sale``: its balance here less what other tills took for it
    (never below nothing: a payment beyond the balance is the central's to flag)."""
    return max(0, int(sale.balance) - paid_elsewhere(sale))


def _journal_receipt(
    ctx: Context,
    receipt: Receipt,
    settlement: Settlement,
    session: RegisterSession,
    customer: Customer | None,
    due: int,
    paid: Sequence[tuple[str | None, str, int, int]],
    actor: Employee,
) -> None:
    """The one ``receipt.recorded`` for dues, whether the orders are this till's or another's
    (``paid``: number, uuid, amount and balance after, per order): the central credits each
    order by its uuid either way."""
    journal.append(
        ctx,
        "receipt.recorded",
        {
            **receipt_payload(receipt, settlement),
            "session_id": session.id,
            "customer": {"uuid": customer.uuid, "name": customer.name} if customer else None,
            "due": due,
            "allocations": [
                {"sale": number, "sale_uuid": uuid, "amount": amount, "balance": balance}
                for number, uuid, amount, balance in paid
            ],
        },
        employee=actor.code,
    )


@dataclass(frozen=True)
class RemoteOrder:
    """An order made at another till of the store, as the central's claim on it gave it.

    ``balance`` is the claim's: the most this till may pay for it under ``claim_id``.
    """

    uuid: str
    number: str
    terminal: str
    balance: int
    claim_id: str
    customer_uuid: str | None = None


@dataclass(frozen=True)
class OwnOrder:
    """An order of this till that the central already holds, so another counter may have
    claimed or paid it there: it is claimed before this till takes payment for it."""

    uuid: str
    number: str
    balance: int
    customer_uuid: str | None = None


def pushed_orders(ctx: Context, numbers: list[str]) -> list[OwnOrder]:
    """This till's orders among ``numbers`` whose ``sale.completed`` the central has
    acknowledged. One not yet pushed cannot have been seen by any other till: it needs no
    claim, and is left out."""
    acked, _ = syncstate.acked(ctx)
    found = []
    for number in dict.fromkeys(n.strip().upper() for n in numbers):
        sale = Sale.get_or_none(Sale.number == number)
        event = journal.document_event("$.number", number) if sale is not None else None
        if sale is None or event is None or event.seq > acked:
            continue
        customer = sale.customer.uuid if sale.customer is not None else None
        found.append(OwnOrder(sale.uuid, number, owed(sale), customer))
    return found


def paid_unsent(ctx: Context) -> dict[str, int]:
    """Order uuid -> what this till's receipts the central has not acknowledged yet paid
    towards it: until they arrive, the central's balance of the order is that much high.
    Only events after the acknowledged sequence are read: a handful, never the history."""
    acked, _ = syncstate.acked(ctx)
    events = Journal.select(Journal.payload).where(
        Journal.seq > acked, Journal.event_type == "receipt.recorded"
    )
    paid: dict[str, int] = {}
    for event in events:
        for allocation in json.loads(event.payload).get("allocations") or []:
            uuid_ = str(allocation.get("sale_uuid") or "")
            paid[uuid_] = paid.get(uuid_, 0) + int(allocation.get("amount") or 0)
    return paid


def remote_due(order: RemoteOrder) -> int:
    """What is left to pay of a claimed order: its claim's balance less what this till has
    already paid under that claim (a receipt not yet at the central)."""
    paid = (
        RemoteAllocation.select(fn.COALESCE(fn.SUM(RemoteAllocation.amount), 0))
        .where(RemoteAllocation.claim_id == order.claim_id)
        .scalar()
    )
    return order.balance - int(paid)


def collect(
    ctx: Context,
    actor: Employee,
    sale_numbers: list[str],
    tenders: list[Tender],
    remote: Sequence[RemoteOrder] = (),
) -> tuple[Receipt, Settlement]:
    """Take payment, in one receipt, for completed orders of this till (``sale_numbers``)
    and orders made at other tills of the store (``remote``, each claimed at the central),
    in that order.

    One ``receipt.recorded`` allocates to each order's uuid, which is how the central
    credits every order, this till's or another's, once. Another till's order has no
    ``Sale`` row here (its lines, stock and figures belong to the till that made it):
    ``RemoteAllocation`` keeps what was paid towards it under which claim (docs/journal.md).
    A part payment is accepted only where every order has a named customer to carry the
    balance (an on-account invoice); a walk-in order is paid in full.
    """
    require(actor, Perm.TAKE_PAYMENT)
    if not sale_numbers and not remote:
        raise ValidationError("Choose at least one order to pay")
    if len({o.uuid for o in remote}) != len(remote):
        raise ValidationError("The same order is chosen twice")
    here = [o.number for o in remote if o.terminal == ctx.terminal_id]
    if here:
        raise ValidationError(f"{here[0]} was made at this till: pay it as a local order")
    from o2pos.core.register import require_open

    with ctx.write():
        session = require_open(ctx)
        sales = [_payable(n) for n in dict.fromkeys(n.strip().upper() for n in sale_numbers)]
        dues = [(order, remote_due(order)) for order in remote]
        for order, left in dues:
            if left <= 0:
                raise StateError(f"{order.number} is already paid")
        customers = {s.customer.uuid if s.customer else None for s in sales}
        customers |= {o.customer_uuid for o in remote}
        only = next(iter(customers)) if len(customers) == 1 else None
        customer = Customer.get_or_none(Customer.uuid == only) if only else None
        owing = {s.id: owed(s) for s in sales}  # less what other counters took
        due = sum(owing.values()) + sum(left for _, left in dues)
        settlement = settle(
            ctx,
            due,
            tenders,
            customer=customer,
            allow_partial=None not in customers,
            allow_on_account=False,
        )
        remaining = settlement.applied
        own: list[tuple[Sale, int]] = []
        for sale in sales:
            amount = min(owing[sale.id], remaining)
            if amount <= 0:
                break
            own.append((sale, amount))
            remaining -= amount
            Sale.update(paid=Sale.paid + amount, balance=Sale.balance - amount).where(
                Sale.id == sale.id
            ).execute()
        others: list[tuple[RemoteOrder, int, int]] = []  # order, amount, balance after
        for order, left in dues:
            amount = min(left, remaining)
            if amount <= 0:
                break
            others.append((order, amount, left - amount))
            remaining -= amount
        receipt = record(
            ctx, settlement, own, actor=actor, session=session, customer=customer, purpose="dues"
        )
        for order, amount, _ in others:
            RemoteAllocation.insert_row(
                receipt=receipt,
                sale_uuid=order.uuid,
                sale_number=order.number,
                sale_terminal=order.terminal,
                claim_id=order.claim_id,
                amount=amount,
            )
        paid = [(s.number, s.uuid, a, owing[s.id] - a) for s, a in own]
        paid += [(o.number, o.uuid, a, b) for o, a, b in others]
        _journal_receipt(ctx, receipt, settlement, session, customer, due, paid, actor)
    return receipt, settlement


def collect_remote(
    ctx: Context, actor: Employee, orders: list[RemoteOrder], tenders: list[Tender]
) -> tuple[Receipt, Settlement]:
    """``collect`` for other tills' orders only."""
    return collect(ctx, actor, [], tenders, remote=orders)


@dataclass(frozen=True)
class MethodView:
    """A payment method as the payment dialog offers it."""

    code: str
    name: str
    kind: str
    reference: str | None  # what to ask for with it ("approval code"), or None


def tender_methods(ctx: Context) -> list[MethodView]:
    """The active payment methods in the store's order."""
    methods = PaymentMethod.select().where(PaymentMethod.active == True)
    return [
        MethodView(m.code, m.name, m.kind, REFERENCE.get(m.kind))
        for m in methods.order_by(PaymentMethod.sort)
    ]


@dataclass(frozen=True)
class OrderView:
    """A completed bill with a balance, as the receipts screen lists it; ``terminal`` names
    the other till of the store that made it (None: this till's own bill)."""

    number: str
    customer_name: str | None
    total: int
    paid: int
    balance: int
    terminal: str | None = None


def _order_view(sale: Sale) -> OrderView:
    name = sale.customer.name if sale.customer else None
    elsewhere = paid_elsewhere(sale)
    paid, left = sale.paid + elsewhere, max(0, sale.balance - elsewhere)
    return OrderView(sale.number or "", name, sale.total, paid, left)


def _payable(number: str) -> Sale:
    """The order numbered ``number`` if it can be paid now: completed, with a balance."""
    sale = Sale.get_or_none(Sale.number == number.strip().upper())
    if sale is None:
        raise NotFound(f"No order numbered {number.strip()}")
    if sale.status != "completed":
        raise StateError(f"{sale.number} is not a completed order")
    if sale.balance <= 0:
        raise StateError(f"{sale.number} is already paid")
    if owed(sale) <= 0:
        raise StateError(f"{sale.number} was paid at another counter")
    return sale


def payable_order(ctx: Context, number: str) -> OrderView:
    """What the receipts screen lists of an order it may take payment for."""
    return _order_view(_payable(number))


def open_orders(ctx: Context, limit: int = 30, *, name: str | None = None) -> list[OrderView]:
    """Completed bills with a balance, oldest first; with ``name``, those of the customers
    whose name holds it (any case, as the central matches other tills' bills)."""
    if name is None:
        return [_order_view(sale) for sale in open_invoices(ctx, limit=limit)]
    wanted = name.strip().casefold()
    named = (
        Sale.select(Sale, Customer)
        .join(Customer)
        .where(Sale.status == "completed", Sale.balance > 0)
        .order_by(Sale.completed_at)
    )
    views = [_order_view(sale) for sale in named]  # paid at another counter: balance 0
    return [v for v in views if v.balance > 0 and wanted in (v.customer_name or "").casefold()][
        :limit
    ]


def collect_terms(
    ctx: Context, numbers: list[str], remote: Sequence[RemoteOrder] = ()
) -> tuple[int, bool]:
    """What ``collect`` would take for these orders: the amount due, and whether less may be
    paid (only when every order has a named customer to carry the balance)."""
    orders = [Sale.get_or_none(Sale.number == n.strip().upper()) for n in numbers]
    known = [sale for sale in orders if sale is not None]
    due = sum(owed(s) for s in known) + sum(remote_due(o) for o in remote)
    named = all(s.customer_id for s in known) and all(o.customer_uuid for o in remote)
    return due, bool(known or remote) and named


def open_invoices(ctx: Context, customer: Customer | None = None, limit: int = 100) -> list[Sale]:
    """This till's completed sales with something still to pay, oldest first (one paid at
    another counter is left out)."""
    query = (
        Sale.select()
        .join(PaidElsewhere, JOIN.LEFT_OUTER, on=(PaidElsewhere.sale_uuid == Sale.uuid))
        .where(
            Sale.status == "completed",
            Sale.balance > fn.COALESCE(PaidElsewhere.amount, 0),
        )
    )
    if customer is not None:
        query = query.where(Sale.customer == customer)
    return list(query.order_by(Sale.completed_at).limit(limit))
