"""Credit control: a customer's credit limit and credit days, checked where on account is
taken.

A customer's ``credit_limit`` (minor units) and ``credit_days`` come with the customer's
master record. ``None`` means not set: no limit, no terms, on account as before. A limit
of 0 means no credit at all without a manager.

An on-account tender needs a manager's approval (``Perm.APPROVE_CREDIT``) when

- it takes the customer's outstanding past the limit, or
- the customer has an open invoice older than the credit days.

The outstanding is the store's: the central's dues (``sync.dues``, asked with the short
lookup timeout) plus this till's own open bills the central has not had yet. Offline the
till knows only its own bills; it checks against those and says so, so a cashier is never
told "within the limit" on figures that leave other counters out without a word.

The check runs in the core, inside checkout's transaction (``sales.completion``), so no
caller can skip it; the approval, who gave it and why, is part of the ``sale.completed``
event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from o2pos.core.auth import Approval, Perm, has_permission, require
from o2pos.core.context import Context
from o2pos.core.customers import DueInvoice, Dues, own_dues
from o2pos.core.errors import ApprovalRequired, ValidationError
from o2pos.core.models import Customer, Employee
from o2pos.core.money import format_amount, parse_amount

RUPEE = "₹"
MAX_CREDIT_DAYS = 3650


def parse_limit(text: str | None) -> int | None:
    """A credit limit as typed in a CSV (rupees, e.g. ``5000`` or ``5,000.00``); blank is
    no limit set."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_amount(text)
    except ValidationError as exc:
        raise ValidationError(f"credit_limit: {exc}") from None


def parse_days(text: str | None) -> int | None:
    """Credit days as typed in a CSV: a whole number of days; blank is no terms."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_CREDIT_DAYS:
        raise ValidationError(
            f"credit_days '{text}' is not a whole number of days (0 to {MAX_CREDIT_DAYS})"
        )
    return int(text)


@dataclass(frozen=True)
class Standing:
    """A customer's credit as the till can see it now."""

    limit: int | None
    days: int | None
    outstanding: int
    oldest: DueInvoice | None  # the oldest open invoice
    age: int  # its age in days (0 without one)
    online: bool  # True: the store's figures from the central; False: this till's alone

    @property
    def overdue(self) -> bool:
        return self.days is not None and self.oldest is not None and self.age > self.days

    def room(self) -> int | None:
        """What may still go on account without a manager (None: no limit)."""
        return None if self.limit is None else max(0, self.limit - self.outstanding)


def _age(ctx: Context, completed: str) -> int:
    """Whole days since ``completed`` (UTC, as bills are stored), counted on the store's
    calendar: a bill made at 03:00 in Tokyo is today's there, not yesterday's in UTC."""
    try:
        if len(completed) == 10:  # a day alone: already the store's
            day = date.fromisoformat(completed)
        else:
            moment = datetime.fromisoformat(completed.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
            day = ctx.local(moment).date()
    except ValueError:
        return 0
    return max(0, (ctx.today() - day).days)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def standing(
    ctx: Context, customer: Customer, fetched: Dues | None, *, leave_out: str | None = None
) -> Standing:
    """The customer's standing from the central's dues (``fetched``) and this till's own
    bills; ``fetched`` None is offline: this till's own bills alone. ``leave_out``: the
    bill being completed, already numbered inside checkout's transaction."""
    own = [i for i in own_dues(ctx, customer.id).invoices if i.number != leave_out]
    if fetched is None:
        invoices = own
    else:
        known = {i.number for i in fetched.invoices}
        # this till's bills the central has not had yet (not pushed) count too; when the
        # central's list is cut short, an own bill missing from it may be in its total
        complete = len(fetched.invoices) >= fetched.count
        extra = [i for i in own if i.number not in known] if complete else []
        invoices = [*fetched.invoices, *extra]
    outstanding = sum(i.balance for i in invoices)
    if fetched is not None and not complete:
        outstanding = fetched.outstanding
    invoices.sort(key=lambda i: (i.date, i.number))
    oldest = invoices[0] if invoices else None
    return Standing(
        limit=customer.credit_limit,
        days=customer.credit_days,
        outstanding=outstanding,
        oldest=oldest,
        age=_age(ctx, oldest.date) if oldest else 0,
        online=fetched is not None,
    )


def describe(s: Standing) -> str:
    """One line for F7 and the payment dialog: outstanding, the oldest overdue bill, the
    terms. Short enough for the 78 columns of the notice line in the usual cases; offline
    it says so first: the figures are then this till's own bills."""
    owes = f"{RUPEE}{format_amount(s.outstanding)}"
    parts = [f"Outstanding {owes}" if s.online else f"Offline: owes {owes}"]
    if s.overdue and s.oldest is not None:
        parts.append(f"oldest overdue {s.oldest.number} ({_days(s.age)})")
    if s.limit is not None:
        parts.append(f"limit {RUPEE}{format_amount(s.limit)}")
    if s.days is not None and not s.overdue:
        parts.append(f"{s.days} days")
    return " · ".join(parts)


def _whose(name: str) -> str:
    """``Ravi Kirana Store's``, ``Sri Lakshmi Traders'``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def reasons(customer: Customer, s: Standing, amount: int) -> list[str]:
    """Why putting ``amount`` on account needs a manager (empty: it does not)."""
    found = []
    if s.limit is not None and s.outstanding + amount > s.limit:
        found.append(
            f"{RUPEE}{format_amount(amount)} on account takes {_whose(customer.name)} outstanding "
            f"to {RUPEE}{format_amount(s.outstanding + amount)}, past the limit of "
            f"{RUPEE}{format_amount(s.limit)}"
        )
    if s.overdue and s.oldest is not None:
        found.append(
            f"{_whose(customer.name)} bill {s.oldest.number} is unpaid after {_days(s.age)} "
            f"(credit days {s.days})"
        )
    return found


def check_on_account(
    ctx: Context,
    customer: Customer,
    amount: int,
    actor: Employee,
    *,
    fetched: Dues | None,
    approval: Approval | None = None,
    leave_out: str | None = None,
) -> dict[str, Any] | None:
    """Check an on-account tender of ``amount``; part of checkout's transaction.

    Returns what the ``sale.completed`` event records of it (None: within limit and terms,
    nothing to record); raises ``ApprovalRequired`` naming the reason when a manager must
    approve and has not. A manager at the till approves by selling (their own call).
    """
    if amount <= 0:
        return None
    s = standing(ctx, customer, fetched, leave_out=leave_out)
    why = reasons(customer, s, amount)
    if not why:
        return None
    if approval is None and not has_permission(actor, Perm.APPROVE_CREDIT):
        offline = "" if s.online else " (this till's bills only: offline)"
        raise ApprovalRequired(
            f"{'; '.join(why)}{offline}: a manager's PIN is needed", Perm.APPROVE_CREDIT
        )
    approved_by = require(actor, Perm.APPROVE_CREDIT, approval) or actor.code
    return {
        "limit": s.limit,
        "days": s.days,
        "outstanding": s.outstanding,
        "amount": amount,
        "oldest": s.oldest.number if s.oldest else None,
        "age": s.age,
        "source": "central" if s.online else "till",
        "reasons": why,
        "approved_by": approved_by,
    }
