"""What the back office sees after a whole shift is pushed: sessions, payments, returns, flags."""

from __future__ import annotations

import uuid

import httpx

from o2pos.core import journal, register, returns, sales, syncstate
from o2pos.core.auth import Perm
from o2pos.core.models import Sale
from o2pos.core.payments import Tender, collect
from o2pos.core.returns import ReturnItem
from tests.sync.conftest import Central, Till


def test_a_shift_arrives_as_sessions_sales_payments_and_returns(
    till: Till, central: Central
) -> None:
    ctx, store = till.ctx, till.store
    cashier, manager = store.cashier, store.manager
    paid = store.cash_sale("RICE1", "SOAP", tendered=30000)  # change 71.00
    unpaid = sales.save_unpaid(ctx, store.bill("COLA"), cashier)
    collect(ctx, cashier, [unpaid.number], [Tender("upi", unpaid.total, "UPI7")])
    line = sales.lines_of(paid.sale)[1]  # the soap comes back
    returns.create(
        ctx,
        manager,
        paid.sale.number,
        [ReturnItem(line.id, 1000)],
        "cash",
        approval=store.approval(Perm.REFUND),
    )
    register.move_cash(ctx, cashier, "in", 50000, "coins from the bank")
    register.move_cash(ctx, cashier, "out", 20000, "milk supplier")
    expected = register.expected_cash(register.current_session(ctx))
    closed = register.close_session(ctx, manager, expected - 500)
    assert till.engine.run_once(pull=False).ok

    central.bind()
    from o2pos.central import models as cm

    session = cm.RegisterSession.get(cm.RegisterSession.terminal == till.name)
    assert (session.status, session.z_number) == ("closed", closed.z_number)
    assert (session.opening_float, session.cash_in, session.cash_out) == (200000, 50000, 20000)
    assert (session.expected_cash, session.counted_cash, session.difference) == (
        expected,
        expected - 500,
        -500,
    )
    later = cm.Sale.get(cm.Sale.uuid == unpaid.uuid)
    assert (later.paid, later.balance) == (unpaid.total, 0)
    methods = {
        (p.method, p.amount) for p in cm.Payment.select().where(cm.Payment.terminal == till.name)
    }
    assert methods == {("cash", paid.sale.total), ("upi", unpaid.total)}
    back = cm.Return.get(cm.Return.terminal == till.name)
    assert back.sale_uuid == paid.sale.uuid and back.total > 0
    assert (
        cm.Event.select()
        .where(cm.Event.flag.is_null(False))
        .where(cm.Event.terminal == till.name)
        .count()
        == 0
    )


def test_the_central_can_tell_cash_for_bills_from_cash_for_dues_as_the_z_does(
    till: Till, central: Central
) -> None:
    """The Z report splits cash sales from dues collected; the central holds the same split."""
    import json

    ctx, store = till.ctx, till.store
    store.cash_sale("RICE1", tendered=20000)
    saved = sales.save_unpaid(ctx, store.bill("SOAP"), store.cashier)
    collect(ctx, store.cashier, [saved.number], [Tender("cash", 5000)])
    session = register.current_session(ctx)
    cash = register.cash_totals(session)
    closed = register.close_session(
        ctx, store.cashier, cash["expected_cash"], store.approval(Perm.CLOSE_REGISTER)
    )
    assert till.engine.run_once(pull=False).ok

    central.bind()
    from o2pos.central import models as cm

    event = cm.Event.get(cm.Event.terminal == till.name, cm.Event.event_type == "register.closed")
    report = json.loads(event.payload)["report"]
    assert report["cash"] == cash and report["cash"]["cash_dues"] == 4000
    assert (report["closed_by"], report["approved_by"], event.approved_by) == (
        "cashier",
        "manager",
        "manager",
    )
    by_event = {}
    for kind, amount in (
        cm.Payment.select(cm.Event.event_type, cm.Payment.amount)
        .join(cm.Event)
        .where(cm.Payment.terminal == till.name, cm.Payment.kind == "cash")
        .tuples()
    ):
        by_event[kind] = by_event.get(kind, 0) + amount
    assert by_event == {"sale.completed": cash["cash_sales"], "receipt.recorded": cash["cash_dues"]}
    row = cm.RegisterSession.get(cm.RegisterSession.terminal == till.name)
    assert (row.z_number, row.expected_cash) == (closed.z_number, cash["expected_cash"])
    assert row.expected_cash == row.opening_float + sum(by_event.values())


def test_an_odd_event_is_stored_and_flagged_and_the_queue_goes_on(
    till: Till, central: Central
) -> None:
    """A bill for a session the central has closed: accepted, flagged, and later events flow."""
    store = till.store
    store.cash_sale("RICE1")
    register.close_session(till.ctx, store.manager, 0)
    assert till.engine.run_once(pull=False).ok
    closed_session = register.current_session(till.ctx)
    assert closed_session is None
    # a till that (by some bug) rings a bill into the closed session: a valid, chained event
    last = syncstate.pending_events(till.ctx, 1, after=journal.last_seq(till.ctx) - 1)[0]
    sale = Sale.select().where(Sale.number.is_null(False)).get()
    payload = {
        "uuid": str(uuid.uuid4()),
        "number": "S-ODD-1",
        "session_id": sale.session_id,
        "customer": None,
        "lines": [],
        "subtotal": 100,
        "discount_total": 0,
        "taxable_total": 100,
        "tax_total": 0,
        "taxes": [],
        "round_off": 0,
        "total": 100,
        "paid": 100,
        "balance": 0,
        "payments": [],
    }
    odd = {
        "seq": last["seq"] + 1,
        "event_id": str(uuid.uuid4()),
        "terminal_id": till.name,
        "event_type": "sale.completed",
        "created_at": last["created_at"],
        "employee_id": "cashier",
        "approved_by": None,
        "payload": payload,
        "prev_hash": last["hash"],
    }
    odd["hash"] = journal.wire_hash(odd)
    broken = {**odd, "seq": odd["seq"] + 1, "event_id": str(uuid.uuid4()), "prev_hash": odd["hash"]}
    broken["payload"] = {"uuid": str(uuid.uuid4())}  # a bill the central cannot read
    broken["hash"] = journal.wire_hash(broken)
    answer = httpx.post(
        f"{central.url}/v1/journal",
        json={"terminal_id": till.name, "events": [odd, broken]},
        headers={"Authorization": f"Bearer {till.token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["flagged"] == [odd["seq"], broken["seq"]]
    central.bind()
    from o2pos.central import models as cm

    flags = dict(
        cm.Event.select(cm.Event.seq, cm.Event.flag)
        .where(cm.Event.terminal == till.name, cm.Event.flag.is_null(False))
        .tuples()
    )
    assert "already closed" in flags[odd["seq"]]
    assert "not projected" in flags[broken["seq"]]
    assert central.stats(till.name)["high_water_seq"] == broken["seq"]
