"""Stock transfers between two locations of a store, through the real central: sent at A,
listed and received at B (claimed first), kept at the central with their differences; a
second till of B is told who is receiving it, and a second receipt that slipped past the
claim (offline) is accepted, flagged and counted."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from o2pos.central import master
from o2pos.central import stock as central_stock
from o2pos.central.models import Event, StockTransfer
from o2pos.central.reports import flagged
from o2pos.central.store import write
from o2pos.central.transfers import report
from o2pos.config import CentralConfig
from o2pos.core import auth, stock, transfers
from o2pos.core.errors import StateError
from o2pos.core.models import Product
from o2pos.core.transfers import Count
from o2pos.sync.client import CentralClient
from o2pos.sync.transfers import StoreTransfers, TransferRefused, TransfersUnavailable
from o2pos.tui.approval import ManagerPinDialog
from o2pos.tui.screens.dialogs import QuantityDialog, TextDialog
from o2pos.tui.screens.transfers import ReasonDialog, TransferInScreen
from tests.sync.conftest import Central, Till, at, counters, free_port, o2pos_cmd, shop
from tests.sync.test_store_orders import own_counter_app
from tests.tui.test_flows import approve_as_manager, notice, sign_in, type_text, wait_for
from tests.unit.test_transfers import incoming_of

# the branch B and C stand at: a code of this session's own (location codes are the whole
# central's, and other tests' tills stand at MAIN, whose store must stay theirs)
BRANCH = f"TR{uuid.uuid4().hex[:6].upper()}"


def located(till: Till, location: str) -> Till:
    """The till stands at ``location`` (its [terminal] location)."""
    settings = till.ctx.settings
    terminal = dataclasses.replace(settings.terminal, location=location)
    till.store.ctx.settings = dataclasses.replace(settings, terminal=terminal)
    return till


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """A at MAIN; B and C, two counters of the branch, which the central publishes as a
    location of their store and A pulls."""
    here = shop()
    made = counters(tmp_path, central, A=here, B=here, C=here)
    found = next(made)
    central.bind()
    with write():
        master.put("location", BRANCH, {"name": "Branch 2", "store": here})
        # the store's stock is the central's: A's first pull takes it
        central_stock.receive(here, "MAIN", {"SOAP": 50_000})
    located(found["B"], BRANCH)
    located(found["C"], BRANCH)
    assert at(found["A"]).engine.run_once().ok
    yield found
    for _ in made:
        pass


def screen_text(app: Any) -> str:
    """What the transfers list shows (its rows' first cells)."""
    table = app.screen.query("#incoming")
    if not table:
        return ""
    data = table.first()
    return " ".join(str(data.get_row_at(i)[0]) for i in range(data.row_count))


def lookup(till: Till, central: Central) -> StoreTransfers:
    return StoreTransfers(CentralClient(central.url, till.token, timeout=2.0))


def soap(till: Till) -> int:
    at(till)
    return int(Product.get(Product.sku == "SOAP").id)


def send_five_soaps(till: Till) -> str:
    at(till)
    clerk = till.store.people["stock"]
    draft = transfers.start(till.ctx, clerk, BRANCH)
    transfers.add_item(till.ctx, draft.id, "5*SOAP", clerk)
    number = str(transfers.send(till.ctx, draft.id, clerk).number)
    till.push_until_done()
    return number


def row(central: Central, number: str) -> StockTransfer:
    central.bind()
    return StockTransfer.get(StockTransfer.number == number)


def test_five_sent_from_a_are_received_at_b_as_four_with_one_short_approved(
    tills: dict[str, Till], central: Central
) -> None:
    a, b = tills["A"], tills["B"]
    assert BRANCH in [d.code for d in transfers.destinations(at(a).ctx)]
    number = send_five_soaps(a)
    assert stock.level(a.ctx, soap(a), "MAIN").on_hand == 45_000
    assert stock.level(a.ctx, soap(a), BRANCH).in_transit == 5_000

    at(b)
    found = lookup(b, central)
    [listed] = found.incoming(BRANCH)
    assert (listed.number, listed.terminal, listed.sent_milli) == (number, a.name, 5000)
    assert found.incoming("MAIN") == []
    incoming = found.get(number.lower())
    assert [(ln.sku, ln.qty_milli) for ln in incoming.lines] == [("SOAP", 5000)]
    assert found.get(incoming.uuid).number == number
    held = found.claim(incoming)
    assert found.claim(incoming, held.claim_id).claim_id == held.claim_id  # renewed, same
    clerk = b.store.people["stock"]
    approval = b.store.approval(auth.Perm.APPROVE_STOCK)
    done = transfers.receive(
        b.ctx,
        clerk,
        incoming,
        [Count(1, 4000, "one carton crushed")],
        approval=approval,
        claim_id=held.claim_id,
    )
    assert done.received_number == f"TI-{b.name}-000001"
    b.push_until_done()
    assert stock.level(b.ctx, soap(b), BRANCH).on_hand == 4_000

    kept = row(central, number)
    assert (kept.status, kept.sent_milli, kept.received_milli) == ("received", 5000, 4000)
    assert (kept.short_milli, kept.excess_milli, kept.receipts) == (1000, 0, 1)
    assert (kept.received_terminal, kept.received_number) == (b.name, done.received_number)
    assert kept.claim_id is None  # settled by the receipt
    [reported] = [r for r in report(kept.store) if r["number"] == number]
    assert reported["state"] == "received with differences"
    assert found.incoming(BRANCH) == []
    arrived = found.get(number)
    assert arrived.status == "received"
    assert [ln.line_no for ln in arrived.lines] == [1]
    found.close()
    # the central's stock says the same: 5 out at MAIN, 4 in at the branch, none in transit
    central.bind()
    levels = {
        (row.location, row.sku): (row.on_hand, row.in_transit)
        for row in central_stock.report(kept.store)
    }
    assert levels[("MAIN", "SOAP")] == (45_000, 0)  # the 50 the central received, 5 sent
    assert levels[(BRANCH, "SOAP")] == (4000, 0)
    # and B, once it has pulled the central's level, shows it: nothing counted twice
    assert at(b).engine.run_once().ok
    assert stock.level(b.ctx, soap(b), BRANCH) == stock.Level(4000, 0, 0)
    assert at(a).engine.run_once().ok
    assert stock.level(a.ctx, soap(a), BRANCH) == stock.Level(4000, 0, 0)


def test_a_second_till_is_told_who_is_receiving_and_then_that_it_was_received(
    tills: dict[str, Till], central: Central
) -> None:
    a, b, c = tills["A"], tills["B"], tills["C"]
    number = send_five_soaps(a)
    at(b)
    at_b, at_c = lookup(b, central), lookup(c, central)
    incoming = at_b.get(number)
    held = at_b.claim(incoming)
    [listed] = at_c.incoming(BRANCH)
    assert listed.held_by == b.name
    with pytest.raises(TransferRefused, match=f"Till {b.name} is receiving {number}") as refused:
        at_c.claim(incoming)
    assert refused.value.code == "claimed"
    assert at_b.release(held) and not at_b.release(held)
    c_claim = at_c.claim(incoming)  # free again at once
    at_c.release(c_claim)
    held = at_b.claim(incoming)
    transfers.receive(
        b.ctx, b.store.people["stock"], incoming, [Count(1, 5000)], claim_id=held.claim_id
    )
    b.push_until_done()
    with pytest.raises(TransferRefused, match=f"was received at {b.name}") as refused:
        at_c.claim(incoming)
    assert refused.value.code == "received"
    at(c)
    with pytest.raises(StateError, match=f"received already at {b.name}"):
        transfers.check_incoming(c.ctx, at_c.get(number))
    with pytest.raises(TransferRefused) as unknown:
        at_c.get("TO-NONE-000001")
    assert unknown.value.code == "not_found"
    at_b.close()
    at_c.close()


def test_a_second_receipt_made_offline_is_accepted_flagged_and_counted(
    tills: dict[str, Till], central: Central
) -> None:
    a, b, c = tills["A"], tills["B"], tills["C"]
    number = send_five_soaps(a)
    at(b)
    incoming = lookup(b, central).get(number)
    # both counters fetched it before either received it (C then lost the network)
    for till in (b, c):
        at(till)
        transfers.receive(till.ctx, till.store.people["stock"], incoming, [Count(1, 5000)])
        till.push_until_done()
    kept = row(central, number)
    assert (kept.receipts, kept.received_terminal) == (2, b.name)
    [flag] = [f for f in flagged(c.name) if f["event_type"] == "transfer.received"]
    assert "received twice" in flag["reason"] and number in flag["reason"]
    assert central.stats(c.name)["transfers_received_twice"] == 1
    assert central.stats(b.name)["transfers_received_twice"] == 0
    [reported] = [r for r in report(kept.store) if r["number"] == number]
    assert reported["state"] == "received, received twice"
    central.bind()
    event = Event.get(Event.terminal == c.name, Event.event_type == "transfer.received")
    assert json.loads(event.payload)["transfer"] == number
    # the back office reads the same, per store, from the command line
    report_cmd = o2pos_cmd("central", "report", "transfers", "--db", central.db_url)
    done = subprocess.run([*report_cmd, "--store", kept.store], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    [text] = done.stdout.splitlines()
    assert number in text and f"MAIN -> {BRANCH}" in text and "received twice" in text
    listed = subprocess.run([*report_cmd, "--json", "--store", kept.store], capture_output=True)
    [data] = json.loads(listed.stdout)
    assert (data["number"], data["receipts"], data["state"]) == (number, 2, reported["state"])
    stats = subprocess.run(
        o2pos_cmd("central", "stats", "--db", central.db_url), capture_output=True, text=True
    )
    assert any(
        ln.startswith(c.name) and "received twice 1" in ln for ln in stats.stdout.splitlines()
    )


def test_another_stores_till_does_not_see_the_transfer(
    tmp_path: Path, tills: dict[str, Till], central: Central
) -> None:
    number = send_five_soaps(tills["A"])
    (tmp_path / "other").mkdir()
    made = counters(tmp_path / "other", central, X=shop())
    found = lookup(next(made)["X"], central)
    try:
        assert found.incoming(BRANCH) == []
        with pytest.raises(TransferRefused):
            found.get(number)
    finally:
        found.close()
        for _ in made:
            pass


def test_offline_the_incoming_list_says_it_needs_the_central(tills: dict[str, Till]) -> None:
    dead = CentralConfig(url=f"http://127.0.0.1:{free_port()}", token="t", key="")
    with pytest.raises(TransfersUnavailable, match="need the central, which cannot be reached"):
        StoreTransfers.connect(dead).incoming(BRANCH)
    with pytest.raises(TransfersUnavailable, match="no central configured"):
        StoreTransfers.connect(CentralConfig())


async def test_b_receives_by_keys_four_of_five_with_a_reason_and_a_managers_pin(
    tills: dict[str, Till], central: Central
) -> None:
    a, b = tills["A"], tills["B"]
    number = send_five_soaps(a)
    app = own_counter_app(b, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("ctrl+o", "ctrl+o")  # from the count: transfers out, then in
        await wait_for(pilot, lambda: number in screen_text(app))
        assert isinstance(app.screen, TransferInScreen)
        await pilot.press("down", "enter")  # the list, its first transfer
        await wait_for(pilot, lambda: "Enter on a line" in notice(app))
        # scans go to the box at once: they were lost on the list before
        assert app.focused is app.screen.query_one("#item")
        assert row(central, number).claim_terminal == b.name
        await pilot.press("f10")
        await pilot.pause()
        assert "is not counted" in notice(app)
        await pilot.press("down", "enter")  # line 1: what arrived, 5 sent
        await pilot.pause()
        assert isinstance(app.screen, QuantityDialog)
        await pilot.press("backspace", "4", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        await type_text(pilot, "carton crushed")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinDialog))
        await approve_as_manager(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        slip = app.slip_text(f"TI-{b.name}-000001")
        assert "Short" in slip and "carton crushed" in slip and "Approved by" in slip
        await pilot.press("escape")
        await pilot.pause()
        assert f"Received as TI-{b.name}-000001" in notice(app)
    at(b)
    assert transfers.received_here(b.ctx, row(central, number).uuid) == f"TI-{b.name}-000001"
    assert stock.level(b.ctx, soap(b), BRANCH).on_hand == 4_000
    b.push_until_done()
    kept = row(central, number)
    assert (kept.status, kept.short_milli, kept.claim_id) == ("received", 1000, None)


def test_a_receipt_that_reaches_the_central_first_is_kept_and_the_sending_fills_it_in(
    tills: dict[str, Till], central: Central
) -> None:
    """The receiving till had the transfer by other means (an export carried by hand):
    its receipt is projected first and flagged; the sender's event then fills the row in."""
    a, b = tills["A"], tills["B"]
    at(a)
    clerk = a.store.people["stock"]
    draft = transfers.start(a.ctx, clerk, BRANCH)
    transfers.add_item(a.ctx, draft.id, "2*SOAP", clerk)
    number = str(transfers.send(a.ctx, draft.id, clerk).number)
    incoming = incoming_of(a.store, number)
    at(b)
    transfers.receive(b.ctx, b.store.people["stock"], incoming, [Count(1, 2000)])
    b.push_until_done()
    early = row(central, number)
    assert (early.status, early.sent_event_id, early.receipts) == ("received", None, 1)
    [flag] = [f for f in flagged(b.name) if f["event_type"] == "transfer.received"]
    assert "received before the central had it sent" in flag["reason"]
    at(a)
    a.push_until_done()
    kept = row(central, number)
    assert (kept.status, kept.sent_milli, kept.received_milli) == ("received", 2000, 2000)
    assert kept.sent_event_id is not None and kept.terminal == a.name
    assert not [f for f in flagged(a.name) if f["event_type"] == "transfer.sent"]
