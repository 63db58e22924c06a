"""Events into reporting tables: sales, payments, returns, register sessions, customers.

Projection runs once per newly stored event, inside the ingest transaction, each event in
its own savepoint. Whatever looks odd (an event for a session the central has closed, a
payload it cannot read) is accepted and flagged, never refused: one strange bill must not
stop the queue behind it. Unique keys (sale and return uuid, terminal + session) make a
second projection of the same event a no-op, so rebuilding is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from peewee import IntegrityError

from .models import Event, Payment, RegisterSession, Return, Sale, central_db

Flags = list[str]


def _session(terminal: str, session_id: Any) -> RegisterSession | None:
    if session_id is None:
        return None
    return RegisterSession.get_or_none(
        RegisterSession.terminal == terminal, RegisterSession.session_id == session_id
    )


def _check_open(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    session = _session(event.terminal_id, payload.get("session_id"))
    if session is not None and session.status == "closed":
        flags.append(f"session {session.session_id} was already closed centrally")


def _payments(event: Event, payload: dict[str, Any]) -> None:
    for line in payload.get("payments") or []:
        Payment.create(
            terminal=event.terminal_id,
            receipt=payload["receipt"],
            receipt_uuid=payload["receipt_uuid"],
            method=line["method"],
            kind=line["kind"],
            tendered=int(line["tendered"]),
            amount=int(line["amount"]),
            event=event.id,
        )


def _sale_completed(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    _check_open(event, payload, flags)
    customer = payload.get("customer") or {}
    try:
        with central_db.atomic():
            Sale.create(
                uuid=payload["uuid"],
                terminal=event.terminal_id,
                number=payload["number"],
                session_id=payload.get("session_id"),
                completed_at=event.created_at,
                employee_id=event.employee_id,
                customer_uuid=customer.get("uuid"),
                subtotal=int(payload["subtotal"]),
                discount_total=int(payload["discount_total"]),
                tax_total=int(payload["tax_total"]),
                round_off=int(payload["round_off"]),
                total=int(payload["total"]),
                paid=int(payload["paid"]),
                balance=int(payload["balance"]),
                event=event.id,
            )
    except IntegrityError:
        flags.append(f"sale {payload['uuid']} was already projected")
        return
    _payments(event, payload)


def _receipt_recorded(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    _check_open(event, payload, flags)
    _payments(event, payload)
    for allocation in payload.get("allocations") or []:
        amount = int(allocation["amount"])
        changed = (
            Sale.update(paid=Sale.paid + amount, balance=Sale.balance - amount)
            .where(Sale.uuid == allocation["sale_uuid"])
            .execute()
        )
        if not changed:
            flags.append(f"payment for sale {allocation['sale']} the central does not have")


def _return_completed(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    _check_open(event, payload, flags)
    try:
        with central_db.atomic():
            Return.create(
                uuid=payload["uuid"],
                terminal=event.terminal_id,
                number=payload["number"],
                sale_uuid=payload["sale_uuid"],
                refund_method=payload["refund_method"],
                total=int(payload["total"]),
                event=event.id,
            )
    except IntegrityError:
        flags.append(f"return {payload['uuid']} was already projected")


def _register_opened(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    if _session(event.terminal_id, payload["session_id"]) is not None:
        flags.append(f"session {payload['session_id']} was opened before")
        return
    RegisterSession.create(
        terminal=event.terminal_id,
        session_id=payload["session_id"],
        opened_at=event.created_at,
        opening_float=int(payload["opening_float"]),
    )


def _cash_moved(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    _check_open(event, payload, flags)
    amount = int(payload.get("amount") or 0)
    kind = payload.get("kind")
    if kind in ("in", "out"):
        column = RegisterSession.cash_in if kind == "in" else RegisterSession.cash_out
        RegisterSession.update({column: column + amount}).where(
            RegisterSession.terminal == event.terminal_id,
            RegisterSession.session_id == payload["session_id"],
        ).execute()


def _register_closed(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    session = _session(event.terminal_id, payload["session_id"])
    if session is None:
        flags.append(f"session {payload['session_id']} closed before it was seen opening")
        session = RegisterSession.create(
            terminal=event.terminal_id, session_id=payload["session_id"]
        )
    elif session.status == "closed":
        flags.append(f"session {payload['session_id']} was already closed")
    RegisterSession.update(
        status="closed",
        closed_at=event.created_at,
        z_number=payload["z_number"],
        expected_cash=int(payload["expected_cash"]),
        counted_cash=int(payload["counted_cash"]),
        difference=int(payload["difference"]),
    ).where(RegisterSession.id == session.id).execute()


def _customer_created(event: Event, payload: dict[str, Any], flags: Flags) -> None:
    from .master import customer_from_till  # master data lives beside, not below, projection

    note = customer_from_till(payload)
    if note:
        flags.append(note)


PROJECTORS: dict[str, Callable[[Event, dict[str, Any], Flags], None]] = {
    "sale.completed": _sale_completed,
    "receipt.recorded": _receipt_recorded,
    "return.completed": _return_completed,
    "register.opened": _register_opened,
    "register.cash_moved": _cash_moved,
    "drawer.opened": lambda event, payload, flags: _check_open(event, payload, flags),
    "register.closed": _register_closed,
    "customer.created": _customer_created,
}


def project(event: Event, payload: dict[str, Any]) -> Flags:
    """Project one stored event; returns the flags to store with it (empty when all is well)."""
    projector = PROJECTORS.get(event.event_type)
    if projector is None:
        return []
    flags: Flags = []
    try:
        with central_db.atomic():
            projector(event, payload, flags)
    except (KeyError, TypeError, ValueError, AttributeError, IntegrityError) as exc:
        flags.append(f"not projected ({type(exc).__name__}: {exc})")
    return flags
