"""One store, several counters: a coupon's usage limit is counted across the store at a
real central. Online, the last use goes to one bill only; offline, the till's policy
decides, and a use beyond the limit is flagged at the central and counted."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from textual.widgets import Input, Static

from o2pos.central import master
from o2pos.central.models import CouponUse
from o2pos.central.reports import flagged
from o2pos.central.store import write
from o2pos.config import CentralConfig, Config
from o2pos.core import coupons, models, sales
from o2pos.core.errors import ValidationError
from o2pos.core.payments import Tender
from o2pos.sync import coupons as store_coupons
from o2pos.tui.app import TillApp
from o2pos.tui.screens.bill_dialogs import DiscountDialog
from tests.sync.conftest import Central, Till, at, counters, free_port, shop
from tests.sync.faultproxy import FaultProxy
from tests.tui.test_flows import approve_as_manager, notice, scan, sign_in, type_text, wait_for

_codes = itertools.count(1)


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2 in one store, X in another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, X=there)


def coupon(central: Central, limit: int | None, *tills: Till) -> str:
    """A new coupon (100.00 off) in the company's master data, pulled by ``tills``."""
    code = f"LIM{next(_codes)}{uuid.uuid4().hex[:6].upper()}"
    central.bind()
    data = {
        "description": "test coupon",
        "kind": "amount",
        "value": 10000,
        "min_cart": 0,
        "max_discount": None,
        "valid_from": None,
        "valid_to": None,
        "usage_limit": limit,
        "active": True,
    }
    with write():
        master.put("coupon", code, data)
    for till in tills:
        at(till).engine.run_once()
    return code


def online(till: Till, central: Central, **policy: object) -> CentralConfig:
    return CentralConfig(url=central.url, token=till.token, **policy)  # type: ignore[arg-type]


def offline(till: Till, **policy: object) -> CentralConfig:
    """A central nobody listens at: refused at once, as when it is stopped."""
    url = f"http://127.0.0.1:{free_port()}"
    return CentralConfig(url=url, token=till.token, **policy)  # type: ignore[arg-type]


def put_on_bill(till: Till, config: CentralConfig, code: str) -> tuple[int, str]:
    """A bill with the coupon on it, as F9 does: checked, reserved, applied; its id and
    what the cashier read. Raises ValidationError when it is refused."""
    store = at(till).store
    sale_id = store.bill("TRIM")
    checked = coupons.check(store.ctx, sale_id, code)
    asked = store_coupons.ask(config, code, checked.reservation_id)
    note = store_coupons.decide(config, checked, asked)
    sales.apply_coupon(store.ctx, sale_id, code, store.cashier)
    return sale_id, note


def pay(till: Till, sale_id: int) -> str:
    store = at(till).store
    due = sales.get(sale_id).total
    return str(sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale.number)


def uses(central: Central, code: str) -> list[tuple[str, str]]:
    """(terminal, state) of every use of ``code`` the central holds, in order."""
    central.bind()
    return [
        (u.terminal, u.state)
        for u in CouponUse.select().where(CouponUse.code == code).order_by(CouponUse.id)
    ]


def reserve(central: Central, till: Till, code: str, rid: str) -> httpx.Response:
    return httpx.post(
        f"{central.url}/v1/store/coupons/{code}/reserve",
        json={"reservation_id": rid},
        headers={"Authorization": f"Bearer {till.token}"},
        timeout=5,
    )


def local_count(till: Till, code: str) -> int:
    at(till)
    return int(models.Coupon.get_by_id(code).used_count)


def test_two_tills_at_the_limit_together_one_gets_the_last_use(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 1)
    start = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def ask(till: Till) -> None:
        start.wait()
        answers[till.name] = reserve(central, till, code, str(uuid.uuid4()))

    threads = [threading.Thread(target=ask, args=(t,)) for t in (t1, t2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409]
    refused = next(r for r in answers.values() if r.status_code == 409).json()
    assert refused["error"] == "used_up"
    assert f"Coupon {code} is used up in this store" in refused["message"]
    assert "1 on open bills at other counters" in refused["message"]
    assert [state for _, state in uses(central, code)] == ["held"]


def test_the_same_bill_asking_again_is_the_same_use(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 2, t1)
    sale_id, note = put_on_bill(t1, online(t1, central), code)
    assert note == f"Coupon {code} applied: 1 more uses left in this store"
    bill = sales.get(sale_id).uuid
    again = reserve(central, t1, code, bill)  # the answer was lost: T1 asks again
    assert (again.status_code, again.json()["left"]) == (200, 1)
    assert reserve(central, t2, code, str(uuid.uuid4())).json()["left"] == 0
    assert reserve(central, t2, code, str(uuid.uuid4())).json()["error"] == "used_up"
    # another till naming T1's bill holds nothing of it
    assert reserve(central, t2, code, bill).json()["error"] == "reservation_conflict"

    # the sale counts once, with its reservation; asking again after it is in changes nothing
    pay(t1, sale_id)
    at(t1).push_until_done()
    assert sorted(uses(central, code)) == [(t1.name, "used"), (t2.name, "held")]
    assert reserve(central, t1, code, bill).json()["state"] == "used"
    assert sorted(uses(central, code)) == [(t1.name, "used"), (t2.name, "held")]
    assert central.stats(t1.name)["flagged"] == 0


def test_releasing_a_use_frees_it_for_another_counter(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 1, t1, t2)
    sale_id, _ = put_on_bill(t1, online(t1, central), code)
    with pytest.raises(ValidationError, match="used up in this store"):
        put_on_bill(t2, online(t2, central), code)
    at(t1)
    held = coupons.held_use(sale_id)
    assert held is not None
    assert store_coupons.release(online(t1, central), held.code, held.reservation_id)
    _, note = put_on_bill(t2, online(t2, central), code)
    assert note == f"Coupon {code} applied: 0 more uses left in this store"


def test_a_used_coupon_counts_store_wide_and_tills_know_it_after_a_pull(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2, x = tills["T1"], tills["T2"], tills["X"]
    code = coupon(central, 1, t1, t2, x)
    sale_id, _ = put_on_bill(t1, online(t1, central), code)
    pay(t1, sale_id)
    at(t1).push_until_done()
    assert uses(central, code) == [(t1.name, "used")]
    at(t2).engine.run_once()
    assert local_count(t2, code) == 1
    # offline, T2 still knows the store has used it up
    with pytest.raises(ValidationError, match="used up"):
        put_on_bill(t2, offline(t2), code)
    # another store counts its own uses: X neither hears of T1's nor is refused
    at(x).engine.run_once()
    assert local_count(x, code) == 0
    _, note = put_on_bill(x, online(x, central), code)
    assert note == f"Coupon {code} applied: 0 more uses left in this store"


def test_offline_a_limited_coupon_follows_the_policy(
    tills: dict[str, Till], central: Central
) -> None:
    t1 = tills["T1"]
    code = coupon(central, 5, t1)
    free = coupon(central, None, t1)
    with pytest.raises(ValidationError, match="cannot be reached to count it"):
        put_on_bill(t1, offline(t1, offline_coupons="refuse"), code)
    assert all(s.coupon_code is None for s in models.Sale.select())
    _, note = put_on_bill(t1, offline(t1, offline_coupons="allow"), code)
    assert note == f"Coupon {code}: 0 of 5 used as last known (offline)"
    # a till with no central is the whole store: its own count decides, no policy
    _, note = put_on_bill(t1, CentralConfig(offline_coupons="refuse"), code)
    assert note == f"Coupon {code} applied: 4 more uses left in this store"
    # a coupon without a limit needs no central under either policy
    checked = coupons.check(t1.ctx, at(t1).store.bill("TRIM"), free)
    assert not checked.limited


def test_a_use_beyond_the_limit_taken_offline_is_flagged_and_counted(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 1, t1, t2)
    sale_id, _ = put_on_bill(t1, online(t1, central), code)
    pay(t1, sale_id)
    at(t1).push_until_done()
    # T2 has not pulled since: offline, by the count it knows, it takes the coupon
    sale_id, note = put_on_bill(t2, offline(t2), code)
    assert "0 of 1 used as last known (offline)" in note
    number = pay(t2, sale_id)
    assert local_count(t2, code) == 1  # its own use, not yet sent
    at(t2).push_until_done()
    assert sorted(uses(central, code)) == [(t1.name, "used"), (t2.name, "used")]
    reasons = [f["reason"] for f in flagged(t2.name)]
    assert reasons == [f"coupon over limit: {code} used offline as use 2 of 1"]
    assert central.stats(t2.name)["coupon_over_limit"] == 1
    assert central.stats(t1.name)["coupon_over_limit"] == 0
    assert number  # the sale stands: it happened
    at(t1).engine.run_once()
    assert local_count(t1, code) == 2  # the store-wide count, T2's offline use in it


def test_the_central_answers_unknown_and_malformed_coupon_calls_with_4xx(
    tills: dict[str, Till], central: Central
) -> None:
    t1 = tills["T1"]
    unknown = reserve(central, t1, "NOSUCHCOUPON", str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    code = coupon(central, 1)
    assert reserve(central, t1, code, "not-a-uuid").status_code == 422
    bad = httpx.post(
        f"{central.url}/v1/store/coupons/{code}/release",
        json={"reservation_id": str(uuid.uuid4()), "extra": 1},
        headers={"Authorization": f"Bearer {t1.token}"},
        timeout=5,
    )
    assert bad.status_code == 422
    assert uses(central, code) == []


def counter_app(till: Till, central: Central, url: str | None = None, **policy: Any) -> TillApp:
    """The till as its cashier runs it, with its central (or an unreachable one)."""
    config = Config(
        settings=till.ctx.settings,
        central=CentralConfig(
            url=url or central.url,
            token=till.token,
            key=central.key_of(till.name),
            interval_seconds=1,
            **policy,
        ),
    )
    return TillApp(at(till).ctx, config)


async def coupon_in_f9(pilot: Any, code: str) -> None:
    """F9, on to the coupon box, the code, Enter."""
    await pilot.press("f9")
    await pilot.press("tab")
    await pilot.press("tab")
    await type_text(pilot, code)
    await pilot.press("enter")


async def test_the_f9_dialog_says_a_used_up_coupon_is_refused(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 1, t1, t2)
    put_on_bill(t1, online(t1, central), code)  # T1's open bill holds the only use
    app = counter_app(t2, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "TRIM")
        await coupon_in_f9(pilot, code)
        assert isinstance(app.screen, DiscountDialog)
        error = app.screen.query_one(".error", Static)
        await wait_for(pilot, lambda: "used up" in str(error.render()))
        assert str(error.render()) == (
            f"Coupon {code} is used up in this store: 0 of 1 used, "
            "1 on open bills at other counters"
        )
        assert isinstance(app.screen, DiscountDialog)  # still open, the code still typed
        assert app.screen.query_one("#coupon", Input).value == code
        await pilot.press("escape")
    assert all(s.coupon_code is None for s in models.Sale.select())


async def test_f9_reserves_the_coupon_and_voiding_the_bill_gives_it_back(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 1, t1, t2)
    app = counter_app(t2, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "TRIM")
        await coupon_in_f9(pilot, code)
        await wait_for(pilot, lambda: not isinstance(app.screen, DiscountDialog))
        assert "applied" in notice(app)
        assert notice(app) == f"Coupon {code} applied: 0 more uses left in this store"
        assert uses(central, code) == [(t2.name, "held")]
        with pytest.raises(ValidationError, match="used up"):
            put_on_bill(t1, online(t1, central), code)
        at(t2)  # the app's till again (the tills of a test share the models)
        await coupon_in_f9(pilot, "")  # an empty coupon box takes it off the bill
        await wait_for(pilot, lambda: uses(central, code) == [(t2.name, "released")])
        at(t2)
        await coupon_in_f9(pilot, code)  # back on the same bill: held again
        await wait_for(pilot, lambda: not isinstance(app.screen, DiscountDialog))
        assert uses(central, code) == [(t2.name, "held")]
        at(t2)
        await pilot.press("ctrl+x")  # void, with a manager's approval
        await approve_as_manager(pilot)
        await wait_for(pilot, lambda: "Bill voided" in notice(app))
        await wait_for(pilot, lambda: uses(central, code) == [(t2.name, "released")])
    _, note = put_on_bill(t1, online(t1, central), code)  # free again for another counter
    assert note == f"Coupon {code} applied: 0 more uses left in this store"


async def test_leaving_the_f9_dialog_before_the_central_answers_gives_the_use_back(
    tills: dict[str, Till], central: Central
) -> None:
    """The central held the use, but the cashier pressed Esc before its answer came."""
    t1, t2 = tills["T1"], tills["T2"]
    code = coupon(central, 1, t1, t2)
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        app = counter_app(t2, central, url=proxy.url)
        held = proxy.hold("POST", f"/v1/store/coupons/{code}/reserve", answered=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, float_=None)
            await scan(pilot, "TRIM")
            await coupon_in_f9(pilot, code)
            await wait_for(pilot, lambda: held.arrived)
            assert uses(central, code) == [(t2.name, "held")]  # held, the answer not yet back
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, DiscountDialog))
            held.release()
            await wait_for(pilot, lambda: uses(central, code) == [(t2.name, "released")])
            at(t2)
            assert all(s.coupon_code is None for s in models.Sale.select())
    _, note = put_on_bill(t1, online(t1, central), code)
    assert note == f"Coupon {code} applied: 0 more uses left in this store"
