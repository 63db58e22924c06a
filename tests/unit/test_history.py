"""The reprint list: this till's documents, newest first, every kind."""

from __future__ import annotations

from dataclasses import replace

from o2pos.core import history, register, sales
from o2pos.core.payments import Tender
from tests.conftest import Store


def test_recent_documents_are_newest_first_z_reports_included(store: Store) -> None:
    for _ in range(12):
        store.open_register(100000)
        store.cash_sale("SOAP")
        store.clock.advance(hours=1)
        register.move_cash(store.ctx, store.manager, "out", 500, "bank drop")
        store.clock.advance(hours=1)
        register.close_session(
            store.ctx, store.manager, register.expected_cash(register.require_open(store.ctx))
        )
        store.clock.advance(hours=22)
    docs = history.recent_documents(store.ctx, limit=8)
    assert [d.kind for d in docs[:4]] == ["Z report", "cash out", "bill", "payment"]
    assert docs[0].number == "Z-T1-000012"  # the newest Z first, not the oldest ten
    assert [d.issued_at for d in docs] == sorted((d.issued_at for d in docs), reverse=True)
    assert docs[2].amount == 4000 and docs[1].amount == 500


def test_only_this_tills_documents(store: Store) -> None:
    store.open_register()
    sale = store.bill("SOAP")
    sales.checkout(store.ctx, sale, [Tender("cash", 4000)], store.cashier)
    assert {d.kind for d in history.recent_documents(store.ctx)} == {"bill", "payment"}
    other = replace(store.ctx, settings=replace(
        store.ctx.settings, terminal=replace(store.ctx.settings.terminal, id="T2")
    ))  # fmt: skip
    assert history.recent_documents(other) == []


def test_a_payment_is_listed_with_the_money_received_not_what_went_on_account(
    store: Store,
) -> None:
    """F5 listed a bill paid 20.00 in cash and the rest on account as a payment of the whole
    total, where its slip reads 'Received 20.00'."""
    from o2pos.core.models import Customer

    store.open_register()
    sale_id = store.bill("SOAP", "SOAP")  # 80.00
    lakshmi = Customer.get(Customer.uuid == "c-local")
    sales.set_customer(store.ctx, sale_id, lakshmi.id, store.cashier)
    sales.checkout(
        store.ctx, sale_id, [Tender("cash", 2000), Tender("on_account", 6000)], store.cashier
    )
    payment = next(d for d in history.recent_documents(store.ctx) if d.kind == "payment")
    assert payment.amount == 2000
