"""Customers: walk-in sales need none; named ones carry phone, GSTIN and state for GST."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from o2pos.core import journal
from o2pos.core.auth import Perm, require
from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.ids import new_id
from o2pos.core.models import Customer, Employee
from o2pos.core.payments import open_invoices, owed, paid_elsewhere
from o2pos.core.privacy import refuse_card_numbers

_PHONE = re.compile(r"^\+?\d{7,15}$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GSTIN = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$", re.ASCII)


def normalize_phone(phone: str) -> str:
    return re.sub(r"[\s\-()]", "", phone.strip())


def validate(
    name: str, phone: str, email: str | None, gstin: str | None, state: str | None
) -> dict:
    """Check a customer record; return the cleaned fields or raise ``ValidationError``."""
    name = name.strip()
    if not name:
        raise ValidationError("A customer needs a name")
    if len(name) > 100:
        raise ValidationError("The name is longer than 100 characters")
    phone = normalize_phone(phone)
    if not _PHONE.match(phone):
        raise ValidationError(f"'{phone}' is not a phone number (7 to 15 digits)")
    email = (email or "").strip() or None
    if email and not _EMAIL.match(email):
        raise ValidationError(f"'{email}' is not an e-mail address")
    gstin = (gstin or "").strip().upper() or None
    state = (state or "").strip() or None
    if gstin:
        if not _GSTIN.match(gstin):
            raise ValidationError(f"'{gstin}' is not a GSTIN (15 characters, e.g. 29ABCDE1234F1Z5)")
        state = gstin[:2]  # a GSTIN begins with the state code; it wins over a typed state
    if state and not re.match(r"^[0-9]{2}$", state):
        raise ValidationError(f"'{state}' is not a GST state code (two digits, e.g. 29)")
    # journaled for good and published to every till: no card number may ride along
    refuse_card_numbers({"name": name, "phone": phone, "e-mail": email})
    return {"name": name, "phone": phone, "email": email, "gstin": gstin, "state_code": state}


def create(
    ctx: Context,
    actor: Employee,
    name: str,
    phone: str,
    email: str | None = None,
    gstin: str | None = None,
    state_code: str | None = None,
) -> Customer:
    require(actor, Perm.MANAGE_CUSTOMERS)
    fields = validate(name, phone, email, gstin, state_code)
    with ctx.write():
        if Customer.get_or_none(Customer.phone == fields["phone"]) is not None:
            raise ValidationError(f"A customer with phone {fields['phone']} already exists")
        customer = Customer.create(uuid=new_id(), created_at=ctx.now(), **fields)
        journal.append(
            ctx, "customer.created", {"uuid": customer.uuid, **fields}, employee=actor.code
        )
    return customer


def search(ctx: Context, text: str, *, limit: int = 20) -> list[Customer]:
    """By phone (digits, any part) or by name (any word's start)."""
    text = text.strip()
    if not text:
        return []
    digits = normalize_phone(text)
    if digits.lstrip("+").isdigit():
        query = Customer.select().where(Customer.phone.contains(digits.lstrip("+")))
    else:
        like = text.replace("%", "").replace("_", "")
        query = Customer.select().where(
            Customer.name.startswith(like) | Customer.name.contains(" " + like)
        )
    return list(query.order_by(Customer.name).limit(limit))


@dataclass(frozen=True)
class DueInvoice:
    """One open invoice of a customer: a sale with a balance, made at ``terminal``."""

    number: str
    terminal: str
    date: str  # when it was completed, UTC as stored (credit ages it on the store's calendar)
    total: int
    paid: int
    balance: int


@dataclass(frozen=True)
class Dues:
    """What a customer owes: at the central, from every till of the store (``sync.dues``);
    or, offline, what this till's own bills say."""

    customer: str
    outstanding: int
    invoices: tuple[DueInvoice, ...]
    count: int

    @classmethod
    def of(cls, data: dict[str, Any]) -> Dues:
        """From the central's answer (``GET /v1/store/customers/{uuid}/dues``)."""
        return cls(
            str(data["customer"]),
            int(data["outstanding"]),
            tuple(
                DueInvoice(
                    str(i["number"]),
                    str(i["terminal"]),
                    str(i["completed_at"]),
                    int(i["total"]),
                    int(i["paid"]),
                    int(i["balance"]),
                )
                for i in data["invoices"]
            ),
            int(data["count"]),
        )


def uuid_of(customer_id: int) -> str | None:
    """The key the central knows a customer by."""
    customer = Customer.get_or_none(Customer.id == customer_id)
    return str(customer.uuid) if customer is not None else None


def own_dues(ctx: Context, customer_id: int) -> Dues:
    """What the customer owes on this till's own bills, as this till knows them: less what
    other counters took for them as of the last pull (the central knows the latest), so
    offline this says only what the till itself can vouch for."""
    customer = Customer.get_or_none(Customer.id == customer_id)
    rows = open_invoices(ctx, customer, limit=1000) if customer is not None else []
    invoices = tuple(
        DueInvoice(
            str(s.number),
            ctx.terminal_id,
            str(s.completed_at),
            int(s.total),
            int(s.paid) + paid_elsewhere(s),
            owed(s),
        )
        for s in rows
    )
    key = uuid_of(customer_id) or ""
    return Dues(key, sum(i.balance for i in invoices), invoices, len(invoices))
