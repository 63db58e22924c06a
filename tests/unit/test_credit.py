"""Credit control: on account past a customer's limit or terms needs a manager.

Worked examples with a customer whose limit is ₹5,000 and credit days 30: what the cashier
may put on account alone, when a manager's PIN is asked, what the bill's event records of
the approval, and what the till can and cannot know offline.
"""

from __future__ import annotations

import json

import pytest

from o2pos.core import auth, credit, eventschema, sales
from o2pos.core.customers import DueInvoice, Dues
from o2pos.core.errors import ApprovalRequired, AuthError, PermissionDenied
from o2pos.core.models import Customer, Journal, Sale
from o2pos.core.payments import Tender
from tests.conftest import Store

LIMIT = 500000  # ₹5,000.00


def _customer(limit: int | None = LIMIT, days: int | None = 30) -> Customer:
    Customer.update(credit_limit=limit, credit_days=days).where(
        Customer.uuid == "c-local"
    ).execute()
    return Customer.get(Customer.uuid == "c-local")


def _bill(store: Store, *codes: str) -> int:
    sale_id = store.bill(*codes)
    sales.set_customer(store.ctx, sale_id, _customer_id(), store.cashier)
    return sale_id


def _customer_id() -> int:
    return int(Customer.get(Customer.uuid == "c-local").id)


def _on_account(
    store: Store,
    *codes: str,
    approval: auth.Approval | None = None,
    dues: Dues | None = None,
    actor: str = "cashier",
) -> Sale:
    sale_id = _bill(store, *codes)
    total = sales.get(sale_id).total
    return sales.checkout(
        store.ctx,
        sale_id,
        [Tender("on_account", total)],
        store.people[actor],
        approval=approval,
        dues=dues,
    ).sale


def _last_sale_event() -> Journal:
    return (
        Journal.select()
        .where(Journal.event_type == "sale.completed")
        .order_by(Journal.seq.desc())
        .get()
    )


def test_within_the_limit_the_cashier_needs_no_one(store: Store) -> None:
    store.open_register()
    _customer()
    sale = _on_account(store, "TRIM", "TRIM", "TRIM")  # ₹3,540 on account
    assert sale.balance == 354000
    event = _last_sale_event()
    assert "credit" not in json.loads(event.payload)
    assert event.approved_by is None


def test_past_the_limit_a_manager_is_asked_and_recorded(store: Store) -> None:
    store.open_register()
    _customer()
    _on_account(store, "TRIM", "TRIM", "TRIM")  # ₹3,540 owed
    sale_id = _bill(store, "TRIM", "TRIM")  # ₹2,360 more: ₹5,900, past ₹5,000
    events = Journal.select().count()
    with pytest.raises(ApprovalRequired, match=r"past the limit of ₹5,000.00") as need:
        sales.checkout(store.ctx, sale_id, [Tender("on_account", 236000)], store.cashier)
    assert need.value.permission == auth.Perm.APPROVE_CREDIT
    assert "outstanding to ₹5,900.00" in str(need.value)
    # nothing was written: the bill is still a draft, no event
    assert Journal.select().count() == events
    assert sales.get(sale_id).status == "draft"

    approval = store.approval(auth.Perm.APPROVE_CREDIT)
    done = sales.checkout(
        store.ctx, sale_id, [Tender("on_account", 236000)], store.cashier, approval=approval
    )
    assert done.sale.status == "completed"
    event = _last_sale_event()
    payload = json.loads(event.payload)
    assert event.approved_by == "manager"
    assert payload["credit"]["approved_by"] == "manager"
    assert payload["credit"]["outstanding"] == 354000
    assert payload["credit"]["limit"] == LIMIT
    assert payload["credit"]["source"] == "till"
    assert "past the limit" in payload["credit"]["reasons"][0]
    assert eventschema.problem("sale.completed", payload, strict=True) is None


def test_the_approval_is_good_for_one_bill_only(store: Store) -> None:
    store.open_register()
    _customer(limit=0)
    approval = store.approval(auth.Perm.APPROVE_CREDIT)
    _on_account(store, "SOAP", approval=approval)
    with pytest.raises(PermissionDenied, match="good for one action"):
        _on_account(store, "SOAP", approval=approval)


def test_a_wrong_pin_approves_nothing(store: Store) -> None:
    with pytest.raises(AuthError):
        store.approval(auth.Perm.APPROVE_CREDIT, pin="999999")


def test_a_cashier_cannot_approve_credit(store: Store) -> None:
    with pytest.raises(PermissionDenied, match="may not give credit"):
        store.approval(auth.Perm.APPROVE_CREDIT, code="cashier", pin="1111")


def test_a_manager_selling_gives_the_credit_on_their_own_word(store: Store) -> None:
    store.open_register()
    _customer(limit=100000)
    _on_account(store, "TRIM", actor="manager")  # ₹1,180 past ₹1,000
    payload = json.loads(_last_sale_event().payload)
    assert payload["credit"]["approved_by"] == "manager"


def test_an_invoice_older_than_the_credit_days_needs_a_manager(store: Store) -> None:
    store.open_register()
    _customer(days=30)
    first = _on_account(store, "SOAP")  # ₹40 on account
    store.clock.advance(days=31)
    with pytest.raises(ApprovalRequired, match=rf"{first.number} is unpaid after 31 days"):
        _on_account(store, "SOAP")  # well within the limit, but the old bill is overdue
    s = credit.standing(store.ctx, Customer.get(Customer.uuid == "c-local"), None)
    assert s.overdue and s.oldest is not None and s.oldest.number == first.number
    assert credit.describe(s) == (  # offline: F7 could not ask a central (there is none)
        f"Offline: owes ₹40.00 · oldest overdue {first.number} (31 days) · limit ₹5,000.00"
    )


def test_thirty_days_old_is_not_yet_overdue(store: Store) -> None:
    store.open_register()
    _customer(days=30)
    _on_account(store, "SOAP")
    store.clock.advance(days=30)
    assert _on_account(store, "SOAP").status == "completed"


def test_no_limit_set_means_on_account_as_before(store: Store) -> None:
    store.open_register()
    _customer(limit=None, days=None)
    for _ in range(5):
        _on_account(store, "TRIM", "TRIM", "TRIM")
    assert "credit" not in json.loads(_last_sale_event().payload)


def test_a_limit_of_zero_allows_no_credit_without_a_manager(store: Store) -> None:
    store.open_register()
    _customer(limit=0)
    with pytest.raises(ApprovalRequired, match=r"past the limit of ₹0\.00"):
        _on_account(store, "SOAP")


def test_part_on_account_counts_only_the_credit(store: Store) -> None:
    store.open_register()
    _customer(limit=100000)  # ₹1,000
    sale_id = _bill(store, "TRIM")  # ₹1,180: ₹500 cash, ₹680 on account
    tenders = [Tender("cash", 50000), Tender("on_account", 68000)]
    sale = sales.checkout(store.ctx, sale_id, tenders, store.cashier).sale
    assert sale.balance == 68000


def test_the_stores_dues_from_the_central_count(store: Store) -> None:
    """Another till's unpaid bill (known from the central) takes the customer past the
    limit; offline the till cannot know it, checks its own bills and says so."""
    store.open_register()
    customer = _customer()
    other = DueInvoice("S-T2-000007", "T2", "2026-11-19", 450000, 0, 450000)
    dues = Dues(customer.uuid, 450000, (other,), 1)
    with pytest.raises(ApprovalRequired, match=r"outstanding to ₹5,680\.00"):
        _on_account(store, "TRIM", dues=dues)
    online = credit.standing(store.ctx, customer, dues)
    assert credit.describe(online) == "Outstanding ₹4,500.00 · limit ₹5,000.00 · 30 days"
    # offline: only this till's bills, and the line says so
    sale = _on_account(store, "TRIM")
    assert sale.status == "completed"
    offline = credit.standing(store.ctx, customer, None)
    assert offline.outstanding == 118000
    assert credit.describe(offline) == ("Offline: owes ₹1,180.00 · limit ₹5,000.00 · 30 days")
    # online again: the central has not had this till's bill yet, so it is added to its dues
    both = credit.standing(store.ctx, customer, dues)
    assert both.outstanding == 450000 + 118000


def test_offline_past_the_limit_says_the_figures_are_this_tills(store: Store) -> None:
    store.open_register()
    _customer(limit=100000)
    with pytest.raises(ApprovalRequired, match=r"this till's bills only: offline"):
        _on_account(store, "TRIM")


def test_a_bill_is_aged_on_the_stores_calendar_not_utcs(store: Store) -> None:
    """At 03:30 in Tokyo (18:30 UTC the day before) a bill on account of a customer with no
    credit days was 'overdue (1 days)' minutes after it was made: its day was taken from
    the stored UTC time, and compared with the store's own today."""
    from dataclasses import replace
    from datetime import datetime

    settings = store.ctx.settings
    store.ctx.settings = replace(settings, store=replace(settings.store, timezone="Asia/Tokyo"))
    store.clock.now = datetime(2026, 12, 2, 18, 30)
    store.open_register()
    _customer(days=0)
    first = _on_account(store, "SOAP")
    s = credit.standing(store.ctx, Customer.get(Customer.uuid == "c-local"), None)
    assert (s.age, s.overdue) == (0, False)
    store.clock.advance(days=1)
    s = credit.standing(store.ctx, Customer.get(Customer.uuid == "c-local"), None)
    assert (s.age, s.overdue, s.oldest.number if s.oldest else None) == (1, True, first.number)
    assert f"oldest overdue {first.number} (1 day)" in credit.describe(s)
