"""Gift vouchers and credit notes on this till: issuing one, balances from the central,
and what may be redeemed when the central cannot be asked.

The central holds every voucher's store-wide balance (``o2pos.central.vouchers``). A till
holds a copy of the ones it issued and of those it pulled or looked up; the copy is what
``payments.settle`` checks. Balances only ever fall, so the lower of the central's figure
and this till's own is never more than is left (this till may have spent some that the
central has not heard of yet).

Offline, ``[central] offline_redeem`` decides: ``own`` (default) only vouchers this till
issued itself, ``any`` every voucher it holds a copy of, ``none`` nothing; with
``offline_redeem_limit`` (minor units, 0 = no limit) as the most one tender may take. What
was accepted offline and turns out spent twice is flagged at the central.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from o2pos.core import journal
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, PaymentError, ValidationError
from o2pos.core.models import Employee, Voucher
from o2pos.core.money import format_amount

OFFLINE_POLICIES = ("own", "none", "any")
NAMES = {"gift_voucher": "Voucher", "credit_note": "Credit note"}


@dataclass(frozen=True)
class VoucherBalance:
    """A voucher as the central reports it (a lookup, a reservation or a pulled record)."""

    code: str
    kind: str
    amount: int
    balance: int
    expires: str | None
    issued_by: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> VoucherBalance:
        return cls(
            code=str(data["code"]),
            kind=str(data["kind"]),
            amount=int(data["amount"]),
            balance=int(data["balance"]),
            expires=data.get("expires"),
            issued_by=str(data["issued_by"]),
        )


def adopt(ctx: Context, central: VoucherBalance) -> int:
    """Take the central's figures for a voucher into this till's copy, inside the caller's
    transaction or one of its own; returns the balance this till now holds.

    A voucher this till has no copy of is added (issued elsewhere). An existing copy keeps
    the lower balance: what this till spent and has not pushed yet still counts.
    """
    if central.kind not in NAMES:
        raise ValidationError(f"voucher {central.code}: unknown kind {central.kind}")
    try:
        expires = date.fromisoformat(central.expires) if central.expires else None
    except ValueError as exc:
        raise ValidationError(f"voucher {central.code}: expires is not a date") from exc
    code = central.code.upper()
    with ctx.write():
        mine = Voucher.get_or_none(Voucher.code == code)
        if mine is None:
            Voucher.insert(
                kind=central.kind,
                code=code,
                amount=central.amount,
                balance=central.balance,
                created_at=ctx.now(),
                expires=expires,
                issued_by=central.issued_by,
            ).execute()
            return central.balance
        balance = min(mine.balance, central.balance)
        Voucher.update(
            balance=balance,
            expires=expires,
            issued_by=mine.issued_by or central.issued_by,
        ).where(Voucher.id == mine.id).execute()
        return balance


def name_of(kind: str) -> str:
    return NAMES.get(kind, "Voucher")


def check_offline(ctx: Context, kind: str, code: str, amount: int, policy: str, limit: int) -> None:
    """Refuse, with the sentence the cashier reads, a voucher tender the offline policy
    does not allow; the balance itself is checked by ``payments.settle`` as usual."""
    code = code.strip().upper()
    name = name_of(kind)
    if policy == "none":
        raise PaymentError(
            f"{name} {code} cannot be checked: the central cannot be reached, and this till "
            "takes no vouchers offline"
        )
    voucher = Voucher.get_or_none(Voucher.code == code, Voucher.kind == kind)
    if voucher is None:
        raise NotFound(f"{name} {code} is not known to this till: it cannot be checked offline")
    if policy == "own" and voucher.issued_by not in (None, ctx.terminal_id):
        raise PaymentError(
            f"{name} {code} was issued at another till: it cannot be checked offline"
        )
    if limit and amount > limit:
        raise PaymentError(f"{name} {code}: at most {format_amount(limit)} may be taken offline")


def local_balance(ctx: Context, code: str) -> int | None:
    """This till's copy of a voucher's balance (as last pulled), or None if it has none."""
    voucher = Voucher.get_or_none(Voucher.code == code.strip().upper())
    return None if voucher is None else int(voucher.balance)


def issue_gift_voucher(
    ctx: Context,
    actor: Employee,
    amount: int,
    *,
    code: str | None = None,
    expires: date | None = None,
    sale_uuid: str | None = None,
) -> Voucher:
    """A gift voucher of ``amount`` and its ``voucher.issued`` event, in one transaction.

    Minimal, for tests and the demo until selling vouchers at the till lands (task S):
    the payload is the one that work journals.
    """
    if amount <= 0:
        raise ValidationError("A voucher is worth more than zero")
    with ctx.write():
        chosen = (code or f"GV-{ctx.terminal_id}-{uuid.uuid4().hex[:8]}").strip().upper()
        voucher = Voucher.create(
            kind="gift_voucher",
            code=chosen,
            amount=amount,
            balance=amount,
            created_at=ctx.now(),
            expires=expires,
            issued_by=ctx.terminal_id,
        )
        journal.append(
            ctx,
            "voucher.issued",
            {
                "uuid": str(uuid.uuid4()),
                "code": chosen,
                "kind": "gift_voucher",
                "amount": amount,
                "expires": expires.isoformat() if expires else None,
                "sale_uuid": sale_uuid,
            },
            employee=actor.code,
        )
    return voucher
