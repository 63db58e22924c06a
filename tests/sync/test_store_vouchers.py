"""One store, several counters: a gift voucher or credit note issued on one till is spent at
another through a real central, never below its balance online; offline, the till's policy
decides, and what was spent twice is flagged at the central and counted."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from textual.widgets import Input, Static

from o2pos.central.models import StoredValue, VoucherReservation
from o2pos.central.reports import flagged
from o2pos.config import CentralConfig, Config
from o2pos.core import models, returns, sales, syncstate, vouchers
from o2pos.core.errors import PaymentError
from o2pos.core.payments import Tender
from o2pos.sync.client import CentralClient
from o2pos.sync.vouchers import Asked, StoreVouchers, VoucherRefused, ask, tender_of, voucher_tender
from o2pos.tui.app import TillApp
from o2pos.tui.screens.payment import PaymentScreen
from tests.sync.conftest import Central, Till, at, counters, free_port, o2pos_cmd, shop
from tests.sync.faultproxy import FaultProxy
from tests.tui.test_flows import notice, scan, sign_in, type_text, wait_for


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1, T2 and T3 in one store, X in another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, T3=here, X=there)


def online(till: Till, central: Central, **policy: object) -> CentralConfig:
    return CentralConfig(url=central.url, token=till.token, **policy)  # type: ignore[arg-type]


def offline(till: Till, **policy: object) -> CentralConfig:
    """A central nobody listens at: refused at once, as when it is stopped."""
    url = f"http://127.0.0.1:{free_port()}"
    return CentralConfig(url=url, token=till.token, **policy)  # type: ignore[arg-type]


def gift_voucher(till: Till, amount: int = 100000) -> str:
    """A voucher issued on ``till`` and pushed: the central holds it."""
    store = at(till).store
    voucher = vouchers.issue_gift_voucher(store.ctx, amount, employee=store.cashier.code)
    till.push_until_done()
    return str(voucher.code)


def spend(till: Till, config: CentralConfig, kind: str, code: str, amount: int) -> str:
    """A bill paid with ``amount`` of the voucher and the rest in cash; its number."""
    store = at(till).store
    sale_id = store.bill("TRIM")
    due = sales.get(sale_id).total
    tender = voucher_tender(store.ctx, config, kind, kind, code, amount).tender
    tenders = [tender, *([Tender("cash", due - amount)] if due > amount else [])]
    return str(sales.checkout(store.ctx, sale_id, tenders, store.cashier).sale.number)


def balance(central: Central, code: str) -> int:
    central.bind()
    return int(StoredValue.get(StoredValue.code == code).balance)


def test_a_credit_note_from_a_return_on_one_till_is_spent_at_another(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    sold = store.cash_sale("TRIM")
    line = models.SaleLine.get(models.SaleLine.sale == sold.sale.id)
    ret = returns.create(
        store.ctx,
        store.manager,
        str(sold.sale.number),
        [returns.ReturnItem(line.id, 1000)],
        "credit_note",
    )
    note = str(ret.voucher.code)
    t1.push_until_done()
    assert balance(central, note) == ret.total

    lookup = StoreVouchers(CentralClient(central.url, t2.token, timeout=1.0))
    found = lookup.lookup(note.lower())
    assert (found.balance.kind, found.balance.balance, found.balance.issued_by) == (
        "credit_note",
        ret.total,
        t1.name,
    )
    spend(t2, online(t2, central), "credit_note", note, 30000)
    at(t2).push_until_done()
    assert balance(central, note) == ret.total - 30000
    assert lookup.lookup(note).balance.balance == ret.total - 30000
    assert central.stats(t2.name)["flagged"] == 0
    # another store does not know it
    with pytest.raises(VoucherRefused) as refused:
        StoreVouchers(CentralClient(central.url, tills["X"].token, timeout=1.0)).lookup(note)
    assert refused.value.code == "not_found"


def test_two_tills_spending_one_voucher_at_once_exactly_one_wins(
    tills: dict[str, Till], central: Central
) -> None:
    code = gift_voucher(tills["T1"], 100000)
    rivals = [tills["T2"], tills["T3"]]
    start = threading.Barrier(len(rivals))
    asked: dict[str, Asked] = {}

    def attempt(till: Till) -> None:
        start.wait()
        asked[till.name] = ask(online(till, central), "gift_voucher", code, 80000)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, a in asked.items() if a.held is not None]
    losers = [a.refused for a in asked.values() if a.refused is not None]
    assert len(winners) == 1 and len(losers) == 1
    assert "has only 200.00 left" in str(losers[0])

    winner = next(t for t in rivals if t.name == winners[0])
    store = at(winner).store
    sale_id = store.bill("TRIM")
    due = sales.get(sale_id).total
    config = online(winner, central)
    tender = tender_of(
        store.ctx, config, "gift_voucher", "gift_voucher", code, 80000, asked[winner.name]
    ).tender
    sales.checkout(store.ctx, sale_id, [tender, Tender("cash", due - 80000)], store.cashier)
    winner.push_until_done()
    assert balance(central, code) == 20000
    central.bind()
    assert [r.state for r in VoucherReservation.select()
            .join(StoredValue).where(StoredValue.code == code)] == ["redeemed"]  # fmt: skip
    assert central.stats(winner.name)["double_spent"] == 0


def test_a_retried_reservation_does_not_spend_twice(
    tills: dict[str, Till], central: Central
) -> None:
    t2 = tills["T2"]
    code = gift_voucher(tills["T1"], 50000)
    lookup = StoreVouchers(CentralClient(central.url, t2.token, timeout=1.0))
    rid = str(uuid.uuid4())
    first = lookup.reserve(code, 30000, rid)
    again = lookup.reserve(code, 30000, rid)  # the answer was lost: asked again
    assert (first.reservation_id, again.reservation_id) == (rid, rid)
    assert lookup.lookup(code).available == 20000  # held once, not twice
    with pytest.raises(VoucherRefused) as refused:
        lookup.reserve(code, 30000)  # another hold: only 200.00 is free
    assert (refused.value.code, refused.value.details["balance"]) == ("insufficient", 20000)

    store = at(t2).store
    sale_id = store.bill("TRIM")
    due = sales.get(sale_id).total
    config = online(t2, central)
    tender = tender_of(store.ctx, config, *["gift_voucher"] * 2, code, 30000, Asked(held=again))
    assert tender.tender.reservation_id == rid
    sales.checkout(store.ctx, sale_id, [tender.tender, Tender("cash", due - 30000)], store.cashier)
    t2.push_until_done()
    assert balance(central, code) == 20000
    after = lookup.reserve(code, 30000, rid)  # a retry after the payment is in
    assert after.voucher.balance.balance == 20000
    assert lookup.lookup(code).available == 20000
    assert lookup.release(code, rid) is False  # redeemed: nothing to release


def test_an_expired_or_unknown_voucher_is_refused_online(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    old = vouchers.issue_gift_voucher(
        store.ctx, 5000, employee=store.cashier.code, expires=date(2020, 1, 31)
    )
    t1.push_until_done()
    with pytest.raises(PaymentError, match=f"{old.code} expired on 2020-01-31"):
        spend(t2, online(t2, central), "gift_voucher", str(old.code), 1000)
    with pytest.raises(PaymentError, match="No voucher numbered GV-NOSUCH in this store"):
        spend(t2, online(t2, central), "gift_voucher", "gv-nosuch", 1000)


def test_a_voucher_the_central_never_issued_taken_offline_is_flagged(
    tills: dict[str, Till], central: Central
) -> None:
    """A voucher only this till holds (loaded as the demo does): taken offline as its own,
    it reaches the central as a code the store does not hold."""
    t2 = tills["T2"]
    at(t2)
    models.Voucher.create(
        kind="gift_voucher", code="GV-LOCAL1", amount=5000, balance=5000, created_at=t2.ctx.now()
    )
    spend(t2, offline(t2), "gift_voucher", "GV-LOCAL1", 5000)
    t2.push_until_done()
    assert central.stats(t2.name)["double_spent"] == 1
    assert any("GV-LOCAL1 is not one of store" in row["reason"] for row in flagged(t2.name))


def test_offline_redemption_follows_the_policy(tills: dict[str, Till], central: Central) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 100000)
    at(t2).engine.run_once()  # T2 pulls the store's balances: it holds a copy
    assert vouchers.local_balance(t2.ctx, code) == 100000

    # T1 issued it: taken offline under the default policy, from its own balance
    spend(t1, offline(t1), "gift_voucher", code, 10000)
    with pytest.raises(PaymentError, match=r"at most 50\.00 may be taken offline"):
        spend(t1, offline(t1, offline_redeem_limit=5000), "gift_voucher", code, 6000)
    with pytest.raises(PaymentError, match="takes no vouchers offline"):
        spend(t1, offline(t1, offline_redeem="none"), "gift_voucher", code, 1000)
    # T2 did not: it cannot be checked offline there, unless the policy says any
    at(t2)
    with pytest.raises(
        PaymentError, match=f"Voucher {code} was issued at another till: it cannot be checked"
    ):
        spend(t2, offline(t2), "gift_voucher", code, 1000)
    spend(t2, offline(t2, offline_redeem="any"), "gift_voucher", code, 1000)

    at(t1).push_until_done()
    at(t2).push_until_done()
    assert balance(central, code) == 100000 - 10000 - 1000
    assert central.stats(t1.name)["double_spent"] == 0
    assert central.stats(t2.name)["double_spent"] == 0


def test_an_offline_double_spend_is_flagged_and_counted(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 100000)
    at(t2).engine.run_once()
    spend(t1, offline(t1), "gift_voucher", code, 80000)
    spend(t2, offline(t2, offline_redeem="any"), "gift_voucher", code, 80000)
    at(t1).push_until_done()
    at(t2).push_until_done()  # accepted, never refused: it happened

    assert balance(central, code) == -60000
    assert central.stats(t1.name)["double_spent"] == 0
    assert central.stats(t2.name)["double_spent"] == 1
    reasons = [row["reason"] for row in flagged(t2.name)]
    assert any(f"double spent: {code} took 80000 offline with 20000 left" in r for r in reasons)
    shown = subprocess.run(
        o2pos_cmd("central", "stats", "--db", central.db_url), capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    line = next(row for row in shown.stdout.splitlines() if row.startswith(t2.name))
    assert "double spent 1" in line
    # online, nothing more can be taken from it
    with pytest.raises(PaymentError, match=r"has only 0\.00 left"):
        spend(tills["T3"], online(tills["T3"], central), "gift_voucher", code, 100)


def test_the_issuing_till_sees_the_balance_left_after_a_pull(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 100000)
    spend(t2, online(t2, central), "gift_voucher", code, 25000)
    at(t2).push_until_done()
    assert vouchers.local_balance(at(t1).ctx, code) == 100000  # as last pulled
    t1.engine.run_once()
    assert vouchers.local_balance(at(t1).ctx, code) == 75000
    # another store's till is never sent it
    at(tills["X"]).engine.run_once()
    assert vouchers.local_balance(tills["X"].ctx, code) is None


def counter_app(till: Till, central: Central, url: str | None = None) -> TillApp:
    """The till as its cashier runs it, with its central (or an unreachable one)."""
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


async def tender_voucher(pilot: Any, app: TillApp, code: str, amount: str) -> None:
    """On the payment dialog: gift voucher, ``amount`` of it, its number, Enter."""
    for _ in range(4):  # cash, card, UPI, credit note, gift voucher
        await pilot.press("down")
    app.screen.query_one("#amount", Input).value = amount
    await pilot.press("tab")
    await type_text(pilot, code)
    await pilot.press("enter")


async def test_the_payment_dialog_reserves_a_voucher_of_another_till_and_shows_its_balance(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 50000)
    app = counter_app(t2, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "TRIM")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await tender_voucher(pilot, app, code, "300")
        change = app.screen.query_one("#change", Static)
        await wait_for(pilot, lambda: "left after this" in str(change.render()))
        assert f"Voucher {code}: 500.00 at the central, 200.00 left after this" == str(
            change.render()
        )
        assert app.screen.query_one("#amount", Input).value == "880.00"  # the rest is due
        for _ in range(4):
            await pilot.press("up")  # back to cash
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app) or "paid" in notice(app))
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    assert balance(central, code) == 20000
    assert central.stats(t2.name)["flagged"] == 0


async def test_leaving_a_voucher_number_shows_its_balance_at_the_central(
    tills: dict[str, Till], central: Central
) -> None:
    """T1 sees what is left of its voucher after T2 spent some, before taking any."""
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 50000)
    spend(t2, online(t2, central), "gift_voucher", code, 20000)
    at(t2).push_until_done()
    app = counter_app(t1, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "TRIM")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        for _ in range(4):
            await pilot.press("down")
        await pilot.press("tab")
        await type_text(pilot, code)
        await pilot.press("tab")  # on to the amount: the number is looked up
        change = app.screen.query_one("#change", Static)
        await wait_for(pilot, lambda: "left at the central" in str(change.render()))
        assert str(change.render()) == f"Voucher {code}: 300.00 left at the central"
    assert vouchers.local_balance(t1.ctx, code) == 30000


async def test_offline_the_payment_dialog_says_why_another_tills_voucher_is_refused(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 50000)
    at(t2).engine.run_once()  # T2 holds its balance as last pulled
    app = counter_app(t2, central, url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "TRIM")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await tender_voucher(pilot, app, code, "300")
        error = app.screen.query_one(".error", Static)
        await wait_for(pilot, lambda: "offline" in str(error.render()))
        assert f"{code} was issued at another till" in str(error.render())
        assert isinstance(app.screen, PaymentScreen)  # nothing taken; another tender will do
    assert vouchers.local_balance(t2.ctx, code) == 50000


def held_states(central: Central, code: str) -> list[str]:
    central.bind()
    query = VoucherReservation.select().join(StoredValue).where(StoredValue.code == code)
    return [r.state for r in query]


async def test_cancelling_the_payment_before_the_central_answers_gives_the_voucher_back(
    tills: dict[str, Till], central: Central
) -> None:
    """The central held the amount, but the cashier pressed Esc before its answer came:
    the hold is released at once, not left for its lease to run out."""
    t1, t2 = tills["T1"], tills["T2"]
    code = gift_voucher(t1, 50000)
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        app = counter_app(t2, central, url=proxy.url)
        held = proxy.hold("POST", f"/v1/store/vouchers/{code}/reserve", answered=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, float_=None)
            await scan(pilot, "TRIM")
            await pilot.press("f10")
            await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
            await tender_voucher(pilot, app, code, "300")
            await wait_for(pilot, lambda: held.arrived)
            assert held_states(central, code) == ["held"]
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, PaymentScreen))
            held.release()
            await wait_for(pilot, lambda: held_states(central, code) == ["released"])
    assert balance(central, code) == 50000
