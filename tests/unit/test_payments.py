import pytest

from o2pos.core import payments, sales
from o2pos.core.errors import NotFound, PaymentError, StateError
from o2pos.core.models import Customer, Journal, Sale, Voucher
from o2pos.core.payments import Tender
from tests.conftest import Store


def unpaid(store: Store, *codes: str, customer: str | None = None) -> Sale:
    sale_id = store.bill(*codes)
    if customer:
        cid = Customer.get(Customer.uuid == customer).id
        sales.set_customer(store.ctx, sale_id, cid, store.cashier)
    return sales.save_unpaid(store.ctx, sale_id, store.cashier)


def test_one_payment_settles_several_orders(store: Store) -> None:
    store.open_register()
    first, second = unpaid(store, "RICE1"), unpaid(store, "SOAP")
    receipt, settlement = payments.collect(
        store.ctx, store.cashier, [first.number, second.number.lower()], [Tender("cash", 30000)]
    )
    assert (settlement.due, settlement.change) == (22900, 7100)
    assert [(a.sale.number, a.amount) for a in receipt.allocations] == [
        (first.number, 18900),
        (second.number, 4000),
    ]
    assert all(s.balance == 0 for s in Sale.select().where(Sale.status == "completed"))
    with pytest.raises(StateError, match="already paid"):
        payments.collect(store.ctx, store.cashier, [first.number], [Tender("cash", 100)])


def test_walk_in_orders_are_paid_in_full(store: Store) -> None:
    store.open_register()
    sale = unpaid(store, "RICE1")
    with pytest.raises(PaymentError, match="less than"):
        payments.collect(store.ctx, store.cashier, [sale.number], [Tender("cash", 10000)])
    with pytest.raises(NotFound):
        payments.collect(store.ctx, store.cashier, ["S-T1-999999"], [Tender("cash", 10000)])


def test_partial_payments_against_an_on_account_invoice(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("TRIM")
    sales.set_customer(
        store.ctx, sale_id, Customer.get(Customer.uuid == "c-local").id, store.cashier
    )
    sale = sales.checkout(store.ctx, sale_id, [Tender("on_account", 118000)], store.cashier).sale
    assert (sale.paid, sale.balance) == (0, 118000)
    payments.collect(store.ctx, store.cashier, [sale.number], [Tender("upi", 50000, "UPI1")])
    assert Sale.get_by_id(sale.id).balance == 68000
    with pytest.raises(PaymentError, match="On account cannot"):
        payments.collect(store.ctx, store.cashier, [sale.number], [Tender("on_account", 1000)])
    payments.collect(store.ctx, store.cashier, [sale.number], [Tender("cash", 70000)])
    sale = Sale.get_by_id(sale.id)
    assert (sale.paid, sale.balance) == (118000, 0)
    assert Journal.select().where(Journal.event_type == "receipt.recorded").count() == 2
    assert [s.number for s in payments.open_invoices(store.ctx)] == []


def test_gift_voucher_balance_is_spent_and_checked(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("TRIM")  # 1180.00
    with pytest.raises(PaymentError, match=r"only 500\.00 left"):
        sales.checkout(
            store.ctx,
            sale_id,
            [Tender("gift_voucher", 60000, "GV-1"), Tender("cash", 58000)],
            store.cashier,
        )
    with pytest.raises(NotFound):
        sales.checkout(
            store.ctx,
            sale_id,
            [Tender("gift_voucher", 100, "GV-9"), Tender("cash", 117900)],
            store.cashier,
        )
    with pytest.raises(PaymentError, match="type its voucher number"):
        sales.checkout(
            store.ctx, sale_id, [Tender("gift_voucher", 100), Tender("cash", 117900)], store.cashier
        )
    assert Voucher.get(Voucher.code == "GV-1").balance == 50000
    sales.checkout(
        store.ctx,
        sale_id,
        [Tender("gift_voucher", 50000, "gv-1"), Tender("cash", 68000)],
        store.cashier,
    )
    assert Voucher.get(Voucher.code == "GV-1").balance == 0


def test_credit_is_not_counted_as_money_received(store: Store) -> None:
    from o2pos.core import reports
    from o2pos.core.models import ReceiptAllocation

    store.open_register()
    sale_id = store.bill("SOAP")
    sales.set_customer(
        store.ctx, sale_id, Customer.get(Customer.uuid == "c-local").id, store.cashier
    )
    sale = sales.checkout(store.ctx, sale_id, [Tender("on_account", 4000)], store.cashier).sale
    payments.collect(store.ctx, store.cashier, [sale.number], [Tender("cash", 4000)])
    allocated = sum(
        a.amount for a in ReceiptAllocation.select().where(ReceiptAllocation.sale == sale)
    )
    assert allocated == Sale.get_by_id(sale.id).paid == 4000
    x = reports.x_report(store.ctx)
    assert x["received_total"] == 4000 and x["on_account_total"] == 4000
    assert [p["method"] for p in x["payments"]] == ["cash"]


def test_card_and_upi_carry_their_reference_for_every_caller(store: Store) -> None:
    """One rule, in the core: the till's dialog asks for what settle requires."""
    store.open_register()
    sale_id = store.bill("SOAP")
    for method, asked in (("card", "approval code"), ("upi", "transaction id")):
        with pytest.raises(PaymentError, match=f"type its {asked}"):
            sales.checkout(store.ctx, sale_id, [Tender(method, 4000)], store.cashier)
    methods = {m.code: m.reference for m in payments.tender_methods(store.ctx)}
    assert methods["card"] == "approval code" and methods["cash"] is None
    assert sales.checkout(store.ctx, sale_id, [Tender("upi", 4000, "U77")], store.cashier)


def test_one_receipt_pays_own_orders_and_another_tills_order_under_its_claim(
    store: Store,
) -> None:
    import json

    from o2pos.core.models import RemoteAllocation

    store.open_register()
    mine = unpaid(store, "RICE1")
    theirs = payments.RemoteOrder("9d3f…-T2", "S-T2-000004", "T2", 5000, "claim-1")
    receipt, settlement = payments.collect(
        store.ctx, store.cashier, [mine.number], [Tender("cash", 30000)], remote=[theirs]
    )
    assert (settlement.due, settlement.change) == (18900 + 5000, 30000 - 23900)
    assert Sale.get_by_id(mine.id).balance == 0
    assert [(a.sale.number, a.amount) for a in receipt.allocations] == [(mine.number, 18900)]
    assert [(a.sale_number, a.claim_id, a.amount) for a in RemoteAllocation.select()] == [
        ("S-T2-000004", "claim-1", 5000)
    ]
    events = Journal.select().where(Journal.event_type == "receipt.recorded")
    assert [json.loads(e.payload)["allocations"] for e in events] == [
        [
            {"sale": mine.number, "sale_uuid": mine.uuid, "amount": 18900, "balance": 0},
            {"sale": "S-T2-000004", "sale_uuid": "9d3f…-T2", "amount": 5000, "balance": 0},
        ]
    ]
    assert payments.collect_terms(store.ctx, [], [theirs]) == (0, False)
    with pytest.raises(StateError, match="S-T2-000004 is already paid"):
        payments.collect(store.ctx, store.cashier, [], [Tender("cash", 100)], remote=[theirs])


def test_a_walk_in_order_of_another_till_makes_the_whole_receipt_paid_in_full(
    store: Store,
) -> None:
    store.open_register()
    on_account = unpaid(store, "RICE1", customer="c-local")
    theirs = payments.RemoteOrder("u-2", "S-T2-000005", "T2", 5000, "claim-2")
    assert payments.collect_terms(store.ctx, [on_account.number], [theirs]) == (23900, False)
    with pytest.raises(PaymentError, match="less than"):
        payments.collect(
            store.ctx, store.cashier, [on_account.number], [Tender("cash", 100)], remote=[theirs]
        )
    assert Sale.get_by_id(on_account.id).balance == 18900
    assert Journal.select().where(Journal.event_type == "receipt.recorded").count() == 0
