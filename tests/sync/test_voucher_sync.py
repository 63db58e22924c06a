"""Gift vouchers sold at a till reach the central as ``voucher.issued``, each exactly once."""

from __future__ import annotations

import json

import pytest

from o2pos.central import models as central_models
from o2pos.core import sales
from o2pos.core.models import Journal
from o2pos.core.payments import Tender
from tests.sync.conftest import Central, Till


def sell_vouchers(till: Till, *amounts: str) -> str:
    """One bill: a soap and a gift voucher of each amount, paid in cash; its uuid."""
    ctx, cashier = till.ctx, till.store.cashier
    sale_id = till.store.bill("SOAP")
    for amount in amounts:
        sales.add_gift_voucher(ctx, sale_id, amount, cashier)
    due = sales.get(sale_id).total
    return sales.checkout(ctx, sale_id, [Tender("cash", due)], cashier).sale.uuid


def issued_at_the_central(central: Central, name: str) -> list[tuple[str, dict, str | None]]:
    """(event id, payload, flag) of each ``voucher.issued`` the central holds from ``name``."""
    central.bind()
    event = central_models.Event
    rows = (
        event.select(event.event_id, event.payload, event.flag)
        .where(event.terminal == name, event.event_type == "voucher.issued")
        .order_by(event.seq)
        .tuples()
    )
    return [(eid, json.loads(payload), flag) for eid, payload, flag in rows]


def issued_here() -> list[tuple[str, dict]]:
    rows = Journal.select().where(Journal.event_type == "voucher.issued").order_by(Journal.seq)
    return [(row.event_id, json.loads(row.payload)) for row in rows]


def test_vouchers_sold_reach_the_central_once_with_their_sale(till: Till, central: Central) -> None:
    sale_uuid = sell_vouchers(till, "1000", "250.50")
    local = issued_here()
    assert [p["code"] for _, p in local] == [f"GV-{till.name}-000001", f"GV-{till.name}-000002"]

    assert till.engine.run_once(pull=False).ok
    held = issued_at_the_central(central, till.name)
    assert [(eid, payload) for eid, payload, _ in held] == local  # as written, in order
    assert all(flag is None for _, _, flag in held)  # read cleanly, nothing odd
    assert {p["sale_uuid"] for _, p in local} == {sale_uuid}
    assert [p["amount"] for _, p in local] == [100000, 25050]
    # the bill itself arrived with them, its total counting the vouchers
    assert central.stats(till.name)["sales_total"] == 4000 + 100000 + 25050 + 50  # rounded up

    # pushing again sends nothing and changes nothing
    again = till.engine.run_once(pull=False)
    assert again.ok and again.sent == 0
    assert issued_at_the_central(central, till.name) == held


def test_an_answer_lost_after_the_central_stored_the_vouchers_stores_them_once(
    till: Till, central: Central
) -> None:
    sell_vouchers(till, "500")

    def crash(answer: dict) -> None:
        raise SystemExit("power cut between the central's answer and recording it")

    till.engine._before_ack = crash
    with pytest.raises(SystemExit):
        till.engine.flush()
    assert till.summary()["acked_seq"] == 0  # the till will send it all again
    till.engine._before_ack = None
    assert till.engine.run_once(pull=False).ok
    sell_vouchers(till, "700")
    till.push_until_done()
    held = issued_at_the_central(central, till.name)
    assert [(eid, payload) for eid, payload, _ in held] == issued_here()
    assert [p["code"] for _, p, _ in held] == [f"GV-{till.name}-000001", f"GV-{till.name}-000002"]
    assert len({eid for eid, _, _ in held}) == 2
