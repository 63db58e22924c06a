"""Credit control across counters: an on-account bill made at T1 counts against the
customer's limit at T2, from a real central; offline T2 checks its own bills only."""

from __future__ import annotations

import json

import pytest

from o2pos.core import auth, models, sales
from o2pos.core.errors import ApprovalRequired
from o2pos.core.payments import Tender
from o2pos.sync import dues
from tests.sync.conftest import Central, Till, at
from tests.sync.test_store_dues import CUSTOMER, on_account, online, tills  # noqa: F401


def _owe_on_account(till: Till, fetched: dues.Dues | None, approval: auth.Approval | None = None):
    store = at(till).store
    customer = models.Customer.get(models.Customer.uuid == CUSTOMER)
    sale_id = store.bill("TRIM")  # ₹1,180.00
    sales.set_customer(store.ctx, sale_id, customer.id, store.cashier)
    return sales.checkout(
        store.ctx,
        sale_id,
        [Tender("on_account", 118000)],
        store.cashier,
        dues=fetched,
        approval=approval,
    )


def test_another_counters_credit_counts_against_the_limit(
    tills: dict[str, Till],  # noqa: F811
    central: Central,
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    first = on_account(t1, "RICE1")  # ₹189.00
    second = on_account(t1, "TRIM")  # ₹1,180.00
    at(t1).push_until_done()
    at(t2)
    models.Customer.update(credit_limit=150000).where(models.Customer.uuid == CUSTOMER).execute()

    fetched = dues.fetch(online(t2, central), CUSTOMER)
    assert fetched is not None and fetched.outstanding == first.total + second.total
    with pytest.raises(ApprovalRequired, match=r"outstanding to ₹2,549\.00"):
        _owe_on_account(t2, fetched)
    assert not models.Sale.select().where(models.Sale.status == "completed").exists()

    approval = at(t2).store.approval(auth.Perm.APPROVE_CREDIT)
    done = _owe_on_account(t2, fetched, approval)
    event = models.Journal.get(models.Journal.event_type == "sale.completed")
    credit = json.loads(event.payload)["credit"]
    assert done.sale.balance == 118000
    assert (credit["source"], credit["outstanding"], credit["oldest"]) == (
        "central",
        first.total + second.total,
        first.number,
    )

    # offline: T2 knows only its own bill (₹1,180.00); ₹1,180.00 more is past ₹1,500.00
    with pytest.raises(ApprovalRequired, match=r"this till's bills only: offline"):
        _owe_on_account(t2, None)
