"""One store, several counters: a customer's on-account invoice made at one till shows in
another till's F7 dues from a real central and is paid there with F3, exactly once;
offline, F7 says what it cannot show."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from o2pos.central.models import Sale
from o2pos.config import CentralConfig, Config
from o2pos.core import customers, models, payments, sales, syncstate
from o2pos.core.errors import StateError
from o2pos.core.money import format_amount
from o2pos.core.payments import Tender
from o2pos.sync import dues
from o2pos.sync.client import CentralClient
from o2pos.sync.orders import OrderRefused, StoreOrders
from o2pos.tui.app import TillApp
from o2pos.tui.screens.payment import PaymentScreen
from tests.sync.conftest import Central, Till, at, counters, free_port, shop
from tests.tui.test_flows import notice, sign_in, type_text, wait_for

CUSTOMER = "c-local"  # Lakshmi Rao, on every test till


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1, T2 and T3 in one store, X in another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, T3=here, X=there)


def online(till: Till, central: Central) -> CentralConfig:
    return CentralConfig(url=central.url, token=till.token)


def on_account(till: Till, *codes: str) -> models.Sale:
    """A bill for Lakshmi Rao put on her account in full at ``till``."""
    store = at(till).store
    sale_id = store.bill(*codes)
    customer = models.Customer.get(models.Customer.uuid == CUSTOMER)
    sales.set_customer(store.ctx, sale_id, customer.id, store.cashier)
    due = sales.get(sale_id).total
    return sales.checkout(store.ctx, sale_id, [Tender("on_account", due)], store.cashier).sale


def test_an_on_account_invoice_from_t1_shows_in_t2s_dues_and_is_paid_there_once(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2, t3 = tills["T1"], tills["T2"], tills["T3"]
    first = on_account(t1, "RICE1")
    second = on_account(t1, "TRIM")
    at(t1).push_until_done()
    owed = first.total + second.total

    found = dues.fetch(online(t2, central), CUSTOMER)
    assert found is not None
    assert (found.outstanding, found.count) == (owed, 2)
    assert [(i.number, i.terminal, i.total, i.paid, i.balance) for i in found.invoices] == [
        (first.number, t1.name, first.total, 0, first.total),
        (second.number, t1.name, second.total, 0, second.total),
    ]
    own = customers.own_dues(at(t2).ctx, models.Customer.get(uuid=CUSTOMER).id)
    assert dues.dues_text(found, own) == f"Owes ₹{format_amount(owed)} on 2 bills · F3 pays"

    # T2 pays the first invoice by its number, as F3 does: claimed, then paid
    lookup = StoreOrders(CentralClient(central.url, t2.token, timeout=1.0))
    claimed = lookup.claim(lookup.find(first.number))
    at(t2)
    payments.collect_remote(t2.ctx, t2.store.cashier, [claimed], [Tender("cash", first.total)])
    with pytest.raises(StateError, match="already paid"):
        payments.collect_remote(t2.ctx, t2.store.cashier, [claimed], [Tender("cash", 100)])
    at(t2).push_until_done()

    left = dues.fetch(online(t3, central), CUSTOMER)
    assert left is not None
    assert (left.outstanding, left.count) == (second.total, 1)
    assert [i.number for i in left.invoices] == [second.number]
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == first.uuid)] == [
        (first.total, 0)
    ]
    # no other counter may take it again
    with pytest.raises(OrderRefused, match="already paid"):
        StoreOrders(CentralClient(central.url, t3.token, timeout=1.0)).claim(
            lookup.find(first.number)
        )
    assert central.stats(t2.name)["flagged"] == 0

    # another store's till sees none of this store's dues
    elsewhere = dues.fetch(online(tills["X"], central), CUSTOMER)
    assert elsewhere is not None
    assert (elsewhere.outstanding, elsewhere.count) == (0, 0)


def test_a_till_with_no_central_shows_its_own_dues_as_the_stores(
    tills: dict[str, Till],
) -> None:
    t1 = tills["T1"]
    customer = models.Customer.get(models.Customer.uuid == CUSTOMER)
    nothing = customers.own_dues(at(t1).ctx, customer.id)
    assert dues.fetch(CentralConfig(), CUSTOMER) is None
    assert dues.dues_text(None, nothing, standalone=True) == ""
    invoice = on_account(t1, "RICE1")
    own = customers.own_dues(at(t1).ctx, customer.id)
    assert [(i.number, i.balance) for i in own.invoices] == [(invoice.number, invoice.total)]
    assert dues.dues_text(None, own, standalone=True) == (
        f"Owes ₹{format_amount(invoice.total)} on 1 bill · F3 pays"
    )


def test_the_central_answers_unknown_and_malformed_dues_requests_with_4xx(
    tills: dict[str, Till], central: Central
) -> None:
    t1 = tills["T1"]
    headers = {"Authorization": f"Bearer {t1.token}"}
    unknown = httpx.get(
        f"{central.url}/v1/store/customers/{uuid.uuid4()}/dues", headers=headers, timeout=5
    )
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    too_long = httpx.get(f"{central.url}/v1/store/customers/{'x' * 37}/dues", headers=headers)
    assert too_long.status_code == 422
    no_token = httpx.get(f"{central.url}/v1/store/customers/{CUSTOMER}/dues", timeout=5)
    assert no_token.status_code == 401


def counter_app(till: Till, central: Central, url: str | None = None) -> TillApp:
    config = Config(
        settings=till.ctx.settings,
        central=CentralConfig(
            url=url or central.url,
            token=till.token,
            key=central.key_of(till.name),
            interval_seconds=1,
        ),
    )
    return TillApp(at(till).ctx, config)


async def choose_lakshmi(pilot: Any) -> None:
    await pilot.press("f7")
    await pilot.pause()
    await type_text(pilot, "Lakshmi Rao")  # the central may also hold demo Lakshmis
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_f7_shows_dues_from_another_till_and_f3_pays_them(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    invoice = on_account(t1, "RICE1")
    at(t1).push_until_done()
    app = counter_app(t2, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await choose_lakshmi(pilot)
        await wait_for(pilot, lambda: "Owes" in notice(app))
        assert notice(app) == f"Owes ₹{format_amount(invoice.total)} on 1 bill · F3 pays"
        await pilot.press("f3")
        await pilot.pause()
        await type_text(pilot, invoice.number)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "held for this till" in notice(app))
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")  # cash, the amount due filled in
        await wait_for(pilot, lambda: "received" in notice(app))
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    left = dues.fetch(online(t2, central), CUSTOMER)
    assert left is not None
    assert (left.outstanding, left.count) == (0, 0)
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == invoice.uuid)] == [
        (invoice.total, 0)
    ]


async def test_offline_f7_says_what_it_cannot_show_and_this_tills_own_dues(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    on_account(t1, "TRIM")
    at(t1).push_until_done()
    mine = on_account(t2, "RICE1")  # T2's own, never sent
    app = counter_app(t2, central, url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await choose_lakshmi(pilot)
        await wait_for(pilot, lambda: "offline" in notice(app))
        assert notice(app) == (
            "Dues from other tills unavailable offline; "
            f"this till's own: ₹{format_amount(mine.total)}"
        )
