"""Gift vouchers sold at the till: the amount rules, the line on the bill, the issue.

A gift voucher is sold as a line of a bill ("Gift voucher", the typed amount): not taxed
(GST falls due when it is spent on goods), not discounted, not stock. Its line needs a
product row, as every sale line does, so it points at one reserved product,
``VOUCHER_SKU``, created on first use and inactive, so no scan or search ever rings it up;
the line's SKU is what marks it as a voucher everywhere else (pricing, stock, returns).

When the bill is paid, each voucher line becomes a ``Voucher`` (numbered from the
``gift_voucher`` series, ``GV-<terminal>-NNNNNN``, unique across the store's tills) and a
``voucher.issued`` event, in the checkout's own transaction. The central keeps the balance
from that event on; this till keeps its own copy for offline use.

Vouchers are paid in money: a gift voucher, a credit note or on account may pay only the
rest of a bill (``check_paid_in_money``), else stored value could buy stored value and a
credit note would become cash-like value that never expires.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from o2pos.core import journal, numbering
from o2pos.core.auth import Perm, has_permission
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, PaymentError, PermissionDenied, ValidationError
from o2pos.core.ids import new_id
from o2pos.core.models import Employee, Product, TaxClass, Voucher
from o2pos.core.money import format_amount, parse_amount

VOUCHER_SKU = "GIFT-VOUCHER"
VOUCHER_NAME = "Gift voucher"
# The largest gift voucher one line may sell (minor units: Rs. 50,000.00). A constant, not a
# config key: money is never configured. Above it is more likely a typo (an extra zero)
# than a gift, and a voucher is bearer value: whoever holds the slip can spend it.
MAX_GIFT_VOUCHER = 5_000_000
# What may pay the part of a bill that buys vouchers: money, not credit or stored value.
NOT_FOR_VOUCHERS = ("gift_voucher", "credit_note", "on_account")
EXEMPT_TAX_CLASS = ("GST0", "GST exempt (0%)", 0)
NOT_DISCOUNTED = "A gift voucher is sold at its amount: no discount, no other price"
ONE_PER_LINE = "A gift voucher line is one voucher: add another line for a second one"
NOT_UNPAID = (
    "A bill with a gift voucher is paid in full now: a voucher is not issued before "
    "it is paid (remove the voucher to save the rest unpaid)"
)
NOT_SCANNED = "A gift voucher is sold by typing its amount, not by scanning a code"
NOT_RETURNED = "A gift voucher is not returned; its balance stays usable"
OFFLINE_POLICIES = ("own", "none", "any")
NAMES = {"gift_voucher": "Voucher", "credit_note": "Credit note"}


def is_voucher(sku: str) -> bool:
    """Is a sale line with this SKU a gift voucher sold (not goods)?"""
    return sku == VOUCHER_SKU


def check_seller(actor: Employee) -> None:
    """Refuse a role that does not take payments: selling a voucher is taking its money at
    once (a bill with one cannot be saved unpaid), so a billing employee, whose bills are
    paid at another counter, cannot put one on a bill."""
    if not has_permission(actor, Perm.TAKE_PAYMENT):
        raise PermissionDenied(
            f"{actor.code} may not sell gift vouchers: whoever takes the payment sells them",
            Perm.TAKE_PAYMENT,
        )


def parse_voucher_amount(text: str) -> int:
    """The typed amount of a voucher in minor units, or a ``ValidationError`` saying why not."""
    amount = parse_amount(text, allow_zero=False)
    if amount > MAX_GIFT_VOUCHER:
        raise ValidationError(
            f"A gift voucher is at most {format_amount(MAX_GIFT_VOUCHER)}: sell two for more"
        )
    return amount


def voucher_product() -> Product:
    """The reserved product voucher lines point at; created inactive on first use.

    Part of the caller's transaction. Its tax class is the exempt one ``bootstrap`` creates.
    """
    found = Product.fetch("sku = ?", VOUCHER_SKU)
    if found:
        return found[0]
    code, name, rate = EXEMPT_TAX_CLASS
    TaxClass.get_or_create(code=code, defaults={"name": name, "rate_bp": rate})
    return Product.create(
        sku=VOUCHER_SKU,
        name=VOUCHER_NAME,
        price=0,
        tax_class=code,
        price_includes_tax=True,
        active=False,
    )


def check_paid_in_money(total: int, vouchers: int, applied: Iterable[tuple[str, int]]) -> None:
    """Refuse tenders that would pay for gift vouchers with stored value or credit.

    ``total`` is the bill's, ``vouchers`` what its voucher lines come to, ``applied`` each
    tender's kind and what it pays. Gift vouchers, credit notes and on account may pay at
    most the goods on the bill; the vouchers must be paid in cash, card or UPI.
    """
    if not vouchers:
        return
    credit = sum(amount for kind, amount in applied if kind in NOT_FOR_VOUCHERS)
    room = max(0, total - vouchers)
    if credit > room:
        if room == 0:
            raise PaymentError(
                "A gift voucher is paid in cash, card or UPI, not with a gift voucher, "
                "credit note or on account"
            )
        raise PaymentError(
            "A gift voucher is paid in cash, card or UPI: a gift voucher, credit note or "
            f"on account can pay only the other {format_amount(room)} of this bill"
        )


def create_gift_voucher(ctx: Context, amount: int, expires: date | None = None) -> Voucher:
    """A new gift voucher of ``amount``, numbered and dated; the caller journals it.

    Part of the caller's transaction (the bill that sold it), so a rolled-back checkout
    leaves neither the voucher nor a gap in the series.
    """
    if not 0 < amount <= MAX_GIFT_VOUCHER:
        raise ValidationError(
            f"A gift voucher is more than zero and at most {format_amount(MAX_GIFT_VOUCHER)}"
        )
    days = ctx.settings.store.gift_voucher_days
    if expires is None and days:
        expires = ctx.today() + timedelta(days=days)
    return Voucher.create(
        kind="gift_voucher",
        code=numbering.allocate(ctx, "gift_voucher"),
        amount=amount,
        balance=amount,
        created_at=ctx.now(),
        expires=expires,
        issued_by=ctx.terminal_id,
    )


def issued_payload(voucher: Voucher, sale_uuid: str | None) -> dict[str, Any]:
    """The ``voucher.issued`` event: what the central needs to hold the voucher's balance.

    ``uuid`` names this issue at the central (the till knows the voucher by its code).
    """
    return {
        "uuid": new_id(),
        "code": voucher.code,
        "kind": voucher.kind,
        "amount": voucher.amount,
        "expires": voucher.expires.isoformat() if voucher.expires else None,
        "sale_uuid": sale_uuid,
    }


def printed(voucher: Voucher, line_no: int) -> dict[str, Any]:
    """What the bill's slip prints of a voucher it sold (``sale.completed``'s ``vouchers``)."""
    return {
        "line_no": line_no,
        "code": voucher.code,
        "amount": voucher.amount,
        "expires": voucher.expires.isoformat() if voucher.expires else None,
    }


def issue_gift_voucher(
    ctx: Context,
    amount: int,
    *,
    sale_uuid: str | None = None,
    employee: str | None = None,
    expires: date | None = None,
) -> Voucher:
    """Create a gift voucher and journal its ``voucher.issued``, in one transaction.

    Checkout issues the vouchers a bill sold itself (``sales.completion``); this is the
    whole step for any other caller (a test, a central that needs a voucher to exist).
    """
    with ctx.write():
        voucher = create_gift_voucher(ctx, amount, expires)
        journal.append(ctx, "voucher.issued", issued_payload(voucher, sale_uuid), employee=employee)
    return voucher


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
