"""A till that dies between claiming a bill and paying it, and a claim whose answer is lost:
the bill is payable at another counter once the dead till's lease ends, a claim asked for
again is the same claim, and nothing is paid twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from o2pos.central.models import OrderClaim, Payment, Sale
from o2pos.core import payments, syncstate
from o2pos.core.payments import RemoteOrder, Tender
from o2pos.sync.client import CentralClient
from o2pos.sync.orders import OFFLINE, OrderRefused, OrdersUnavailable, StoreOrders
from o2pos.tui.screens.payment import PaymentScreen
from tests.sync.conftest import Central, Till, at, make_till, shop
from tests.sync.faultproxy import FaultProxy
from tests.sync.test_store_orders import counter_app, orders_of, saved_unpaid
from tests.tui.test_flows import notice, sign_in, type_text, wait_for

SCRIPT = Path(__file__).with_name("claim_and_wait.py")
ROOT = SCRIPT.parents[2]


def until(predicate: Callable[[], bool], what: str, rounds: int = 600) -> None:
    """Ask again until the central's answer changes (each round waits a tenth of a second
    for the next question: the end is the central's state, never an elapsed time)."""
    for _ in range(rounds):
        if predicate():
            return
        threading.Event().wait(0.1)
    raise AssertionError(f"the central never showed that {what}")


@pytest.fixture
def store_tills(tmp_path: Path, central: Central) -> Iterator[tuple[str, Till, Till]]:
    """T1, whose bill is paid elsewhere, and T3, the counter that pays it, in one store."""
    here = shop()
    made = []
    for label in ("T1", "T3"):
        (tmp_path / label).mkdir()
        made.append(make_till(tmp_path / label, central, store_name=here))
    yield here, made[0], made[1]
    for till in made:
        till.engine.client.close()
        till.ctx.db.close()


def till_config(directory: Path, name: str, url: str, token: str, lease: int) -> Path:
    path = directory / "o2pos.toml"
    path.write_text(
        f'[terminal]\nid = "{name}"\ndata_dir = "{directory}"\n'
        f'[central]\nurl = "{url}"\ntoken = "{token}"\nclaim_lease_seconds = {lease}\n',
        encoding="utf-8",
    )
    return path


def test_a_till_killed_between_claim_and_payment_frees_the_bill_when_its_lease_ends(
    tmp_path: Path, central: Central, store_tills: tuple[str, Till, Till]
) -> None:
    here, t1, t3 = store_tills
    saved = saved_unpaid(t1)
    name, token = central.register(store=here)
    config = till_config(tmp_path, name, central.url, token, lease=2)
    dying = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(config), saved.number],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert dying.stdout is not None
        line = dying.stdout.readline().decode().split()
        assert line[:1] == ["claimed"], line
        claim_id = line[1]
        central.bind()
        held = OrderClaim.get(OrderClaim.sale_uuid == saved.uuid)
        assert (held.terminal, held.claim_id) == (name, claim_id)
        counter = orders_of(t3, central)
        with pytest.raises(OrderRefused, match=f"Terminal {name}"):
            counter.claim(counter.find(saved.number))
    finally:
        dying.send_signal(signal.SIGKILL)
        dying.wait()
    assert dying.returncode == -signal.SIGKILL

    # the dead till's claim holds the bill until its two-second lease ends, then frees it
    until(lambda: counter.find(saved.number).held_by is None, "the lease ended")
    claimed = counter.claim(counter.find(saved.number))
    assert claimed.balance == saved.total
    payments.collect_remote(at(t3).ctx, t3.store.cashier, [claimed], [Tender("cash", saved.total)])
    t3.push_until_done()

    # the dead till's claim, asked for again (a till restarted with it), is refused: paid
    ghost = StoreOrders(CentralClient(central.url, token, timeout=1.0))
    stale = RemoteOrder(saved.uuid, saved.number, t1.name, saved.total, claim_id)
    with pytest.raises(OrderRefused, match="already paid"):
        ghost.renew(stale)
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == saved.uuid)] == [
        (saved.total, 0)
    ]
    assert [(p.terminal, p.amount) for p in Payment.select().where(Payment.terminal == name)] == []
    assert central.stats(t3.name)["flagged"] == 0


def test_a_claim_whose_answer_is_lost_is_the_same_claim_when_asked_again(
    central: Central, store_tills: tuple[str, Till, Till]
) -> None:
    here, t1, t3 = store_tills
    saved = saved_unpaid(t1)
    name, token = central.register(store=here)
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        lookup = StoreOrders(CentralClient(proxy.url, token, timeout=5.0))
        order = lookup.find(saved.number)
        proxy.queue("drop_after")  # the central grants the claim; its answer never arrives
        with pytest.raises(OrdersUnavailable, match=OFFLINE):
            lookup.claim(order, claim_id="6f1c3c9e-5d4b-4f43-9a57-2b1f0e0c7d11")
        central.bind()
        assert OrderClaim.get(OrderClaim.sale_uuid == saved.uuid).terminal == name
        again = lookup.claim(order, claim_id="6f1c3c9e-5d4b-4f43-9a57-2b1f0e0c7d11")
        assert (again.claim_id, again.balance) == (
            "6f1c3c9e-5d4b-4f43-9a57-2b1f0e0c7d11",
            saved.total,
        )
        assert OrderClaim.select().where(OrderClaim.sale_uuid == saved.uuid).count() == 1
        proxy.queue("drop_after")  # the renewal's answer lost too: asked again, the same
        with pytest.raises(OrdersUnavailable):
            lookup.renew(again)
        assert lookup.renew(again) == again
        lookup.close()
    with pytest.raises(OrderRefused, match=f"Terminal {name}"):
        orders_of(t3, central).claim(order)


async def test_f3_asks_again_with_the_claim_whose_answer_was_lost_and_pays_once(
    tmp_path: Path, central: Central, store_tills: tuple[str, Till, Till]
) -> None:
    here, t1, _ = store_tills
    saved = saved_unpaid(t1)
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        (tmp_path / "T2").mkdir()
        app, store = counter_app(tmp_path / "T2", central, here, url=proxy.url)
        store.open_register()
        lost = proxy.hold("POST", f"/v1/store/orders/{saved.uuid}/claim", answered=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, float_=None)
            await pilot.press("f3")
            await pilot.pause()
            await type_text(pilot, saved.number)
            await pilot.press("enter")
            await wait_for(pilot, lambda: lost.arrived)
            lost.release(forward=False)  # granted at the central, the answer lost
            await wait_for(pilot, lambda: OFFLINE in notice(app))
            central.bind()
            first = OrderClaim.get(OrderClaim.sale_uuid == saved.uuid)
            assert first.terminal == app.ctx.terminal_id
            await type_text(pilot, saved.number)  # the cashier tries again
            await pilot.press("enter")
            await wait_for(pilot, lambda: "held for this till" in notice(app))
            central.bind()
            assert [
                c.claim_id for c in OrderClaim.select().where(OrderClaim.sale_uuid == saved.uuid)
            ] == [first.claim_id]
            await pilot.press("f10")
            await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
            await pilot.press("enter")
            await wait_for(pilot, lambda: "received" in notice(app))
            await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == saved.uuid)] == [
        (saved.total, 0)
    ]
    assert central.stats(app.ctx.terminal_id)["flagged"] == 0
