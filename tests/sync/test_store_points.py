"""Loyalty points through a real central: earned at one till, redeemed at another, never
below zero; offline the till's policy decides (issue 15)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from o2pos.central import points
from o2pos.central.models import PointsAccount, PointsReservation, central_db
from o2pos.central.reports import flagged
from o2pos.central.store import write
from o2pos.config import CentralConfig
from o2pos.core import loyalty, returns, sales
from o2pos.core.errors import PaymentError
from o2pos.core.models import Customer, SaleLine
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from o2pos.sync.client import CentralClient
from o2pos.sync.points import ask, points_tender
from o2pos.sync.returns import StoreSales
from tests.sync.conftest import (
    Central,
    Till,
    at,
    counters,
    crossed,
    free_port,
    ingesting,
    shop,
)
from tests.unit.test_loyalty import SCHEME


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2, two counters of one store, both with the points scheme."""
    here = shop()
    made = counters(tmp_path, central, T1=here, T2=here)
    found = next(made)
    for till in found.values():
        with at(till).ctx.write():
            loyalty.apply_scheme(loyalty.SCHEME, SCHEME)
    yield found
    next(made, None)


@pytest.fixture
def customer(tills: dict[str, Till]) -> str:
    """A customer both tills know, new to the central (it is shared by the session)."""
    key = str(uuid.uuid4())
    for n, till in enumerate(tills.values()):
        with at(till).ctx.write():
            Customer.create(
                uuid=key, name=f"Points Person {n}", phone="9845777777", created_at=till.ctx.now()
            )
    return key


def online(till: Till, central: Central, **policy: object) -> CentralConfig:
    return CentralConfig(url=central.url, token=till.token, **policy)  # type: ignore[arg-type]


def offline(till: Till, **policy: object) -> CentralConfig:
    url = f"http://127.0.0.1:{free_port()}"
    return CentralConfig(url=url, token=till.token, **policy)  # type: ignore[arg-type]


def bill(till: Till, customer: str, *codes: str) -> int:
    store = at(till).store
    sale_id = store.bill(*codes)
    customer = Customer.get(Customer.uuid == customer).id
    sales.set_customer(store.ctx, sale_id, customer, store.cashier)
    return sale_id


def central_balance(central: Central, customer: str) -> int:
    central.bind()
    account = PointsAccount.get_or_none(PointsAccount.customer == customer)
    return int(account.balance) if account else 0


def test_points_earned_at_one_till_are_redeemed_at_another(
    tills: dict[str, Till], central: Central, customer: str
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    sale_id = bill(t1, customer, "10*RICE1")  # 1,890.00: 18 points
    done = sales.checkout(store.ctx, sale_id, [Tender("cash", 189000)], store.cashier)
    t1.push_until_done()
    assert central_balance(central, customer) == 18

    # T2 never saw that sale: the central reserves the points, and its bill takes them
    store2 = at(t2).store
    assert loyalty.balance(customer) == 0
    sale2 = bill(t2, customer, "TRIM")  # 1,180.00 with tax
    tender, note = points_tender(online(t2, central), "points", customer, 1500)
    assert tender.reservation_id is not None
    assert note == "15 points held at the central; 3 left after"  # of 18
    sales.checkout(store2.ctx, sale2, [tender, Tender("cash", 116500)], store2.cashier)
    t2.push_until_done()
    # 18 - 15 redeemed + 11 earned on the 1,165.00 paid in cash
    assert central_balance(central, customer) == 14
    central.bind()
    assert PointsReservation.get_by_id(tender.reservation_id).state == "redeemed"

    # asking for more than is free: the central says no (409), the till says how many
    with pytest.raises(PaymentError, match="only 14 points"):
        points_tender(online(t2, central), "points", customer, 2000)
    response = httpx.post(
        f"{central.url}/v1/store/points/{customer}/reserve",
        headers={"Authorization": f"Bearer {t2.token}"},
        json={"reservation_id": str(uuid.uuid4()), "points": 15},
    )
    assert response.status_code == 409 and response.json()["error"] == "insufficient"

    # half of T1's bill comes back: half its 18 points go
    at(t1)
    [line] = SaleLine.select().where(SaleLine.sale == done.sale.id)
    returns.create(store.ctx, store.manager, done.sale.number, [ReturnItem(line.id, 5000)], "cash")
    t1.push_until_done()
    assert central_balance(central, customer) == 5

    central.bind()  # what `o2pos central points` lists
    [row] = [r for r in points.balances() if r["customer"] == customer]
    assert (row["balance"], row["available"]) == (5, 5)

    # each till shows the central's figure after it pulls
    for till in (t1, t2):
        at(till).engine.run_once()
        assert loyalty.balance(customer) == 5


def test_two_tills_racing_for_the_same_points_the_reservation_decides(
    tills: dict[str, Till], central: Central, customer: str
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    sale_id = bill(t1, customer, "10*RICE1")
    sales.checkout(store.ctx, sale_id, [Tender("cash", 189000)], store.cashier)
    t1.push_until_done()
    first = ask(online(t1, central), customer, 12)
    second = ask(online(t2, central), customer, 12)
    assert first.reservation_id is not None and first.available == 6  # 18 less its hold
    assert second.reservation_id is None and second.refused is not None
    assert "only 6 points" in str(second.refused)


def test_offline_points_are_refused_by_default_and_limited_when_allowed(
    tills: dict[str, Till], central: Central, customer: str
) -> None:
    t1 = tills["T1"]
    store = at(t1).store
    sale_id = bill(t1, customer, "10*RICE1")
    sales.checkout(store.ctx, sale_id, [Tender("cash", 189000)], store.cashier)
    with pytest.raises(PaymentError, match="cannot be redeemed offline"):
        points_tender(offline(t1), "points", customer, 1000)
    with pytest.raises(PaymentError, match="at most 10 points"):
        points_tender(offline(t1, offline_points=10), "points", customer, 1500)
    tender, note = points_tender(offline(t1, offline_points=10), "points", customer, 1000)
    assert tender.reservation_id is None and "offline" in note
    sale2 = bill(t1, customer, "SOAP")
    sales.checkout(store.ctx, sale2, [tender, Tender("cash", 3000)], store.cashier)
    assert loyalty.balance(customer) == 18 - 10


def test_points_redeemed_offline_beyond_the_balance_stop_at_zero_and_are_flagged(
    tills: dict[str, Till], central: Central, customer: str
) -> None:
    """T1 earned 18 and spent 10 offline; T2, offline too, spent 10 of a stale copy: the
    central counts both, stops at zero and flags the second."""
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    sale_id = bill(t1, customer, "10*RICE1")
    sales.checkout(store.ctx, sale_id, [Tender("cash", 189000)], store.cashier)
    t1.push_until_done()
    at(t2).engine.run_once()  # T2's copy: 18
    for till in (t1, t2):
        s = at(till).store
        tender, _note = points_tender(offline(till, offline_points=15), "points", customer, 1500)
        sales.checkout(
            s.ctx, bill(till, customer, "SOAP"), [tender, Tender("cash", 2500)], s.cashier
        )
    at(t1).push_until_done()
    at(t2).push_until_done()
    assert central_balance(central, customer) == 0
    central.bind()
    assert any("points below zero" in row["reason"] for row in flagged(t2.name))


def test_a_return_at_another_till_takes_back_its_share(
    tills: dict[str, Till], central: Central, customer: str
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    sale_id = bill(t1, customer, "10*RICE1")  # 18 points
    done = sales.checkout(store.ctx, sale_id, [Tender("cash", 189000)], store.cashier)
    t1.push_until_done()
    lookup = StoreSales(CentralClient(central.url, t2.token, timeout=1.0))
    sale = lookup.sale(str(done.sale.number))
    assert sale.points_earned == 18
    items = [ReturnItem(sale.lines[0].line_no, 5000)]
    claim = lookup.claim_return(sale, items)
    at(t2)
    returns.create_remote(t2.ctx, t2.store.manager, sale, items, "cash", claim_id=claim.claim_id)
    t2.push_until_done()
    assert central_balance(central, customer) == 9  # half the bill came back: half its points


def test_two_tills_opening_one_customers_points_account_at_once_both_count(
    central: Central,
) -> None:
    """Two tills' batches give a new customer their first points at the same moment. On
    PostgreSQL the second waits on the first's new account row, which it could not see;
    it then inserted the same key and its batch ended in a unique-key error (a 500, the
    till retrying). Now both count, once each. SQLite takes one writer at a time: the
    second simply follows."""
    central.bind()
    customer = f"cust-{uuid.uuid4()}"
    first_in = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def till_batch(terminal: str, earned: int, hold: bool) -> None:
        try:
            with write():
                points.move(terminal, 1, customer, earned, 0, None, [])
                if hold:  # the first batch's transaction stays open until the second waits
                    first_in.set()
                    release.wait(timeout=60)
        except BaseException as exc:  # the assertion below says which
            errors.append(exc)
        finally:
            central_db.obj.close()  # this thread's own connection

    first = threading.Thread(target=till_batch, args=("T1", 10, central.backend == "postgres"))
    first.start()
    if central.backend == "postgres":
        assert first_in.wait(timeout=60)
        second = threading.Thread(target=till_batch, args=("T2", 5, False))
        second.start()
        waiting = 0
        for _ in range(600):  # until the second batch waits on the first's row lock
            waiting = central_db.obj.execute_sql(
                # a wait on another transaction has no database: the waiter's session does
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database()"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the second batch never waited on the first"
        release.set()
    else:
        first.join()
        second = threading.Thread(target=till_batch, args=("T2", 5, False))
        second.start()
    first.join()
    second.join()
    assert errors == []
    account = PointsAccount.get_by_id(customer)
    assert account.balance == 15
    assert json.loads(account.as_of) == {"T1": 1, "T2": 1}


def test_two_batches_counting_two_customers_points_in_opposite_orders_both_land(
    tills: dict[str, Till], central: Central, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T1's batch counts X's points, then Y's; T2's counts Y's, then X's, and arrives while
    T1's is between the two. Each account is locked while its points are counted, and the
    first count took the master counter to publish the balance: on PostgreSQL T1 held the
    counter and waited for Y's account while T2 held Y's and waited for the counter, and
    PostgreSQL failed one of the pushes (a 503 its till sent again). Now a batch takes the
    counter before it stages anything: T2 waits for T1 whole, and both land at once."""
    t1, t2 = tills["T1"], tills["T2"]
    x, y = str(uuid.uuid4()), str(uuid.uuid4())
    for till in (t1, t2):
        with at(till).ctx.write():
            for key, name, phone in ((x, "Points X", "9845711111"), (y, "Points Y", "9845722222")):
                Customer.create(uuid=key, name=name, phone=phone, created_at=till.ctx.now())
    for till, order in ((t1, (x, y)), (t2, (y, x))):
        for customer in order:
            store = at(till).store
            sale_id = bill(till, customer, "10*RICE1")  # 1,890.00: 18 points
            sales.checkout(store.ctx, sale_id, [Tender("cash", 189000)], store.cashier)
    held, release = threading.Event(), threading.Event()
    count = points.move

    def move(terminal: str, seq: int, customer: str, *rest: Any) -> None:
        count(terminal, seq, customer, *rest)
        if terminal == t1.name and customer == x and central.backend == "postgres":
            held.set()  # X's account (and the counter, before the fix) held to the end
            release.wait(timeout=60)

    monkeypatch.setattr(points, "move", move)
    errors = crossed(central, ingesting(t1), ingesting(t2), held, release)
    assert errors == []
    assert central_balance(central, x) == 36
    assert central_balance(central, y) == 36
