import pytest

from o2pos.core import auth, register, returns, sales
from o2pos.core.errors import ApprovalRequired, NotFound, PaymentError, ValidationError
from o2pos.core.models import Journal, Product, ReturnLine, SaleLine, SerialNumber, Stock, Voucher
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from tests.conftest import Store


def sold(store: Store, *codes: str) -> tuple[str, list[SaleLine]]:
    result = store.cash_sale(*codes)
    return result.sale.number, sales.lines_of(result.sale)


def refund_ok(store: Store) -> auth.Approval:
    return store.approval(auth.Perm.REFUND)


def test_a_return_needs_a_manager_and_restocks(store: Store) -> None:
    store.open_register()
    number, [line] = sold(store, "3*SOAP")
    with pytest.raises(ApprovalRequired):
        returns.create(store.ctx, store.cashier, number, [ReturnItem(line.id, 1000)], "cash")
    ret = returns.create(
        store.ctx,
        store.cashier,
        number,
        [ReturnItem(line.id, 1000)],
        "cash",
        approval=refund_ok(store),
        reason="damaged",
    )
    assert (ret.number, ret.total, ret.approved_by) == ("RT-T1-000001", 4000, "manager")
    assert Stock.get(Stock.product == Product.get(Product.sku == "SOAP")).qty_milli == 48_000
    event = Journal.select().where(Journal.event_type == "return.completed").get()
    assert event.approved_by == "manager" and number in event.payload


def test_never_more_than_sold_minus_already_returned(store: Store) -> None:
    store.open_register()
    number, [line] = sold(store, "2*SOAP")
    returns.create(store.ctx, store.manager, number, [ReturnItem(line.id, 1000)], "cash")
    before = Journal.select().count()
    with pytest.raises(ValidationError, match="only 1 of 2"):
        returns.create(store.ctx, store.manager, number, [ReturnItem(line.id, 2000)], "cash")
    with pytest.raises(ValidationError, match="more than zero"):
        returns.create(store.ctx, store.manager, number, [ReturnItem(line.id, 0)], "cash")
    with pytest.raises(NotFound):
        returns.create(store.ctx, store.manager, "S-T1-999", [ReturnItem(line.id, 1000)], "cash")
    assert Journal.select().count() == before
    assert SaleLine.get_by_id(line.id).returned_milli == 1000


def test_partial_returns_add_up_to_exactly_what_was_paid(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("3*TRIM")
    [line] = sales.lines_of(sales.get(sale_id))
    sales.set_line_discount(store.ctx, sale_id, line.id, "amount", 1001, store.cashier)
    sale = sales.checkout(
        store.ctx, sale_id, [Tender("cash", sales.get(sale_id).total)], store.cashier
    ).sale
    line = SaleLine.get_by_id(line.id)
    totals = [
        returns.create(
            store.ctx, store.manager, sale.number, [ReturnItem(line.id, 1000)], "cash"
        ).total
        for _ in range(3)
    ]
    assert sum(totals) == line.total + sale.round_off == sale.paid
    parts = ReturnLine.select()
    assert sum(r.cgst for r in parts) == line.cgst and sum(r.taxable for r in parts) == line.taxable


def test_refund_as_a_credit_note_that_pays_later(store: Store) -> None:
    store.open_register()
    number, [line] = sold(store, "TRIM")
    ret = returns.create(
        store.ctx, store.manager, number, [ReturnItem(line.id, 1000)], "credit_note"
    )
    note = Voucher.get_by_id(ret.voucher_id)
    assert (note.kind, note.code, note.balance) == ("credit_note", "CN-T1-000001", 118000)
    sale_id = store.bill("RICE1")
    sales.checkout(store.ctx, sale_id, [Tender("credit_note", 18900, note.code)], store.cashier)
    assert Voucher.get_by_id(note.id).balance == 118000 - 18900


def test_cash_refund_leaves_the_drawer(store: Store) -> None:
    store.open_register(10000)
    number, [line] = sold(store, "RICE1")
    session = register.current_session(store.ctx)
    assert register.expected_cash(session) == 28900
    returns.create(store.ctx, store.manager, number, [ReturnItem(line.id, 1000)], "cash")
    assert register.expected_cash(session) == 10000


def test_a_serial_comes_back_whole_and_can_be_sold_again(store: Store) -> None:
    store.open_register()
    sale_id = store.bill()
    sales.add_item(store.ctx, sale_id, "PHONE", store.cashier, serial="SN2")
    result = sales.checkout(store.ctx, sale_id, [Tender("card", 149900, "A9")], store.cashier)
    [line] = sales.lines_of(result.sale)
    returns.create(
        store.ctx, store.manager, result.sale.number, [ReturnItem(line.id, 1000)], "card"
    )
    assert SerialNumber.get(SerialNumber.serial == "SN2").status == "available"


def test_unpaid_sales_refund_on_account_only(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("RICE1")
    sale = sales.save_unpaid(store.ctx, sale_id, store.cashier)
    [line] = sales.lines_of(sale)
    with pytest.raises(PaymentError, match="unpaid"):
        returns.create(store.ctx, store.manager, sale.number, [ReturnItem(line.id, 1000)], "cash")
    returns.create(store.ctx, store.manager, sale.number, [ReturnItem(line.id, 1000)], "on_account")
    assert sales.get(sale_id).balance == 0


def test_cash_refunds_are_whole_rupees_and_the_last_one_settles_the_rest(store: Store) -> None:
    store.open_register(0)
    number, [line] = sold(store, "0.755*ONION")  # 28.69, billed 29.00
    first = returns.create(store.ctx, store.manager, number, [ReturnItem(line.id, 300)], "cash")
    assert (first.taxable + first.tax, first.round_off, first.total) == (1140, -40, 1100)
    second = returns.create(store.ctx, store.manager, number, [ReturnItem(line.id, 455)], "cash")
    assert (second.round_off, second.total) == (71, 1800)
    assert first.total + second.total == 2900
    assert register.expected_cash(register.current_session(store.ctx)) == 0


@pytest.mark.parametrize("method", ["cash", "card", "credit_note"])
def test_the_refund_shown_before_a_return_is_what_the_return_refunds(
    store: Store, method: str
) -> None:
    """The returns screen shows ``quote`` while the cashier chooses, and the manager
    approves it: each part of the sale returned in turn, the last one settling the
    round-off, refunds exactly what was quoted for it."""
    store.open_register()
    number, lines = sold(store, "3*TRIM", "7*SOAP", "RICE1")
    trim, soap, rice = lines
    for chosen in ({trim.id: 1000, soap.id: 3000}, {soap.id: 4000}, {trim.id: 2000, rice.id: 1000}):
        shown = returns.quote(store.ctx, returns.returnable_sale(number), chosen, method)
        done = returns.create(
            store.ctx,
            store.manager,
            number,
            [ReturnItem(line_id, qty) for line_id, qty in chosen.items()],
            method,
        )
        assert done.total == shown


def test_a_manager_is_told_the_amount_and_method_of_the_refund_they_approve(
    store: Store,
) -> None:
    store.open_register()
    number, [line] = sold(store, "3*SOAP")
    with pytest.raises(ApprovalRequired, match=r"\(a refund of 80\.00 by Cash\)$"):
        returns.create(store.ctx, store.cashier, number, [ReturnItem(line.id, 2000)], "cash")


def test_the_dashboards_top_products_are_net_of_what_came_back(store: Store) -> None:
    """A ghee line returned whole still topped the day's products (found at the till)."""
    from datetime import timedelta

    from o2pos.core import history
    from tests.conftest import START

    store.open_register()
    number, [trim, soap] = sold(store, "2*TRIM", "3*SOAP")
    returns.create(store.ctx, store.manager, number, [ReturnItem(trim.id, 2000)], "cash")
    returns.create(store.ctx, store.manager, number, [ReturnItem(soap.id, 1000)], "cash")
    day = history.top_products(store.ctx, START, START + timedelta(days=1))
    assert [(p.sku, p.qty_milli, p.amount) for p in day] == [("SOAP", 2000, 8000)]
