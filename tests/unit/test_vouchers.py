"""Selling gift vouchers at the till: the line, the amount rules, the issue, the refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from o2pos.core import history, reports, returns, sales, vouchers
from o2pos.core.errors import PaymentError, PermissionDenied, ValidationError
from o2pos.core.eventschema import problem
from o2pos.core.models import (
    Customer,
    DocumentSeries,
    Journal,
    Product,
    Sale,
    SaleLine,
    Stock,
    Voucher,
)
from o2pos.core.payments import Tender
from o2pos.printing import documents, layouts
from tests.conftest import START, Store, build_store


def events(kind: str) -> list[dict]:
    rows = Journal.select().where(Journal.event_type == kind).order_by(Journal.seq)
    return [json.loads(row.payload) for row in rows]


def unchanged() -> tuple[int, int, int, int]:
    """What a refused operation must leave as it was."""
    return (
        Journal.select().count(),
        SaleLine.select().count(),
        Voucher.select().count(),
        Sale.select().where(Sale.status == "completed").count(),
    )


def pay_cash(store: Store, sale_id: int) -> sales.CheckoutResult:
    return sales.checkout(
        store.ctx, sale_id, [Tender("cash", sales.get(sale_id).total)], store.cashier
    )


def test_a_voucher_sold_with_goods_is_issued_with_the_bill(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("RICE1")
    line = sales.add_gift_voucher(store.ctx, sale_id, "1,000", store.cashier)
    assert (line.name, line.qty_milli, line.total, line.tax_rate_bp) == (
        "Gift voucher",
        1000,
        100000,
        0,
    )
    bill = sales.bill_view(sale_id)
    assert (bill.subtotal, bill.tax_total, bill.total) == (118900, 900, 118900)

    sale = pay_cash(store, sale_id).sale
    [voucher] = Voucher.select().where(Voucher.code != "GV-1")
    assert (voucher.kind, voucher.code, voucher.amount, voucher.balance) == (
        "gift_voucher",
        "GV-T1-000001",
        100000,
        100000,
    )
    # the store's day is 20 November 2026: valid for 365 days from it
    assert voucher.expires == date(2027, 11, 20)
    # goods leave the stock; the voucher is no stock at all
    assert Stock.get(Stock.product == Product.get(Product.sku == "RICE1")).qty_milli == 49_000
    assert not Stock.select().where(Stock.product == vouchers.voucher_product()).exists()

    [completed] = events("sale.completed")
    [issued] = events("voucher.issued")
    assert completed["vouchers"] == [
        {"line_no": 2, "code": "GV-T1-000001", "amount": 100000, "expires": "2027-11-20"}
    ]
    assert completed["taxable_total"] + completed["tax_total"] == 18900
    assert [t["rate_bp"] for t in completed["taxes"]] == [500]  # no 0% row for the voucher
    assert set(issued) == {"uuid", "code", "kind", "amount", "expires", "sale_uuid"}
    assert {k: v for k, v in issued.items() if k != "uuid"} == {
        "code": "GV-T1-000001",
        "kind": "gift_voucher",
        "amount": 100000,
        "expires": "2027-11-20",
        "sale_uuid": sale.uuid,
    }
    assert len(issued["uuid"]) == 36
    assert problem("voucher.issued", issued, strict=True) is None
    assert problem("sale.completed", completed, strict=True) is None
    # a voucher is no product on the dashboard, and no 0 % row in the shift's GST
    day = history.top_products(store.ctx, START, START + timedelta(days=1))
    assert [top.sku for top in day] == ["RICE1"]
    shift = reports.x_report(store.ctx)
    assert [t["rate_bp"] for t in shift["taxes"]] == [500]
    assert shift["sales_total"] == 118900  # the money taken for it is in the shift
    assert shift["gift_vouchers_sold"] == {"count": 1, "total": 100000}
    slip = layouts.slip_for(
        documents.x_report(store.ctx), store.ctx.settings.store, layouts.Options(width=40)
    ).text()
    assert "Gift vouchers sold (1)" in slip and "1,000.00" in slip
    # the sale's event comes first, then its vouchers', all in the one transaction
    kinds = [r.event_type for r in Journal.select().order_by(Journal.seq)][-2:]
    assert kinds == ["sale.completed", "voucher.issued"]


def test_the_new_voucher_pays_a_later_bill(store: Store) -> None:
    store.open_register()
    sale_id = store.bill()
    sales.add_gift_voucher(store.ctx, sale_id, "500", store.cashier)
    pay_cash(store, sale_id)
    later = store.bill("RICE1")
    sales.checkout(store.ctx, later, [Tender("gift_voucher", 18900, "gv-t1-000001")], store.cashier)
    assert Voucher.get(Voucher.code == "GV-T1-000001").balance == 50000 - 18900


def test_codes_come_from_a_series_per_till_with_no_gap_after_a_refusal(
    store: Store, tmp_path: Path
) -> None:
    store.open_register()
    sale_id = store.bill()
    for amount in ("100", "200"):
        sales.add_gift_voucher(store.ctx, sale_id, amount, store.cashier)
    with pytest.raises(PaymentError):  # refused: rolls back its numbers with it
        sales.checkout(store.ctx, sale_id, [Tender("gift_voucher", 30000, "GV-1")], store.cashier)
    assert not Voucher.select().where(Voucher.code.startswith("GV-T1")).exists()
    pay_cash(store, sale_id)
    assert [e["code"] for e in events("voucher.issued")] == ["GV-T1-000001", "GV-T1-000002"]

    other = build_store(tmp_path / "t2", terminal_id="T2")
    try:
        other.open_register()
        bill = other.bill()
        sales.add_gift_voucher(other.ctx, bill, "100", other.cashier)
        pay_cash(other, bill)
        assert [e["code"] for e in events("voucher.issued")] == ["GV-T2-000001"]
    finally:
        other.ctx.db.close()


def test_a_till_initialised_before_vouchers_starts_their_series(store: Store) -> None:
    DocumentSeries.delete().where(DocumentSeries.doc_type == "gift_voucher").execute()
    store.open_register()
    sale_id = store.bill()
    sales.add_gift_voucher(store.ctx, sale_id, "100", store.cashier)
    pay_cash(store, sale_id)
    assert [e["code"] for e in events("voucher.issued")] == ["GV-T1-000001"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("50O", "'50O' is not an amount"),
        ("abc", "'abc' is not an amount"),
        ("0", "more than zero"),
        ("-5", "'-5' is below zero"),
        ("12.345", "not an amount"),
        ("50000.01", "at most 50,000.00"),
        ("", "is not an amount"),
    ],
)
def test_a_bad_amount_is_refused_and_changes_nothing(
    store: Store, typed: str, message: str
) -> None:
    sale_id = store.bill("SOAP")
    before = unchanged(), sales.get(sale_id).total
    with pytest.raises(ValidationError, match=message):
        sales.add_gift_voucher(store.ctx, sale_id, typed, store.cashier)
    assert (unchanged(), sales.get(sale_id).total) == before


def test_the_largest_voucher_is_accepted(store: Store) -> None:
    sale_id = store.bill()
    line = sales.add_gift_voucher(store.ctx, sale_id, "50,000.00", store.cashier)
    assert line.total == vouchers.MAX_GIFT_VOUCHER


def test_a_voucher_is_not_paid_for_with_stored_value_or_credit(store: Store) -> None:
    store.open_register()
    sale_id = store.bill()
    sales.add_gift_voucher(store.ctx, sale_id, "300", store.cashier)
    sales.set_customer(
        store.ctx, sale_id, Customer.get(Customer.uuid == "c-local").id, store.cashier
    )
    before = unchanged()
    for tender in (
        Tender("gift_voucher", 30000, "GV-1"),
        Tender("on_account", 30000),
    ):
        with pytest.raises(PaymentError, match="paid in cash, card or UPI, not with"):
            sales.checkout(store.ctx, sale_id, [tender], store.cashier)
    with pytest.raises(PaymentError, match="paid in cash, card or UPI"):
        sales.checkout(
            store.ctx,
            sale_id,
            [Tender("gift_voucher", 100, "GV-1"), Tender("cash", 29900)],
            store.cashier,
        )
    assert unchanged() == before
    assert Voucher.get(Voucher.code == "GV-1").balance == 50000


def test_a_credit_note_pays_only_the_goods_beside_a_voucher(store: Store) -> None:
    store.open_register()
    note = Voucher.create(
        kind="credit_note",
        code="CN-T1-000009",
        amount=50000,
        balance=50000,
        created_at=store.clock(),
    )
    sale_id = store.bill("RICE1")  # 189.00 of goods
    sales.add_gift_voucher(store.ctx, sale_id, "500", store.cashier)
    with pytest.raises(PaymentError, match=r"can pay only the other 189\.00 of this bill"):
        sales.checkout(
            store.ctx,
            sale_id,
            [Tender("credit_note", 20000, note.code), Tender("cash", 48900)],
            store.cashier,
        )
    sales.checkout(
        store.ctx,
        sale_id,
        [Tender("credit_note", 18900, note.code), Tender("card", 50000, "APP1")],
        store.cashier,
    )
    assert Voucher.get_by_id(note.id).balance == 50000 - 18900
    assert Voucher.get(Voucher.code == "GV-T1-000001").balance == 50000


def test_a_voucher_line_is_not_discounted_repriced_or_counted(store: Store) -> None:
    sale_id = store.bill("TRIM")  # 1,000.00 + 18 % GST = 1,180.00
    line = sales.add_gift_voucher(store.ctx, sale_id, "1000", store.cashier)
    for change in (
        lambda: sales.set_line_discount(store.ctx, sale_id, line.id, "percent", 500, store.cashier),
        lambda: sales.override_price(store.ctx, sale_id, line.id, 100, store.manager),
    ):
        with pytest.raises(ValidationError, match="no discount, no other price"):
            change()
    with pytest.raises(ValidationError, match="one voucher"):
        sales.set_qty(store.ctx, sale_id, line.id, 2000, store.cashier)
    # a bill discount and a coupon come off the goods only, and the coupon's minimum is
    # reached by goods, not by a voucher
    sales.set_order_discount(store.ctx, sale_id, "percent", 500, store.cashier)
    bill = sales.get(sale_id)
    assert bill.discount_total == 5000
    assert SaleLine.get_by_id(line.id).total == 100000
    assert bill.total == 118000 - 5900 + 100000
    cheap = store.bill("SOAP")  # 40.00 of goods
    sales.add_gift_voucher(store.ctx, cheap, "1000", store.cashier)
    with pytest.raises(ValidationError, match=r"needs a bill of 300\.00"):
        sales.apply_coupon(store.ctx, cheap, "FLAT50", store.cashier)
    with pytest.raises(ValidationError, match=r"more than the 40\.00"):
        sales.set_order_discount(store.ctx, cheap, "amount", 5000, store.manager)


def test_only_a_role_that_takes_payment_sells_vouchers(store: Store) -> None:
    sale_id = store.bill("SOAP", actor=store.people["billing"])
    before = unchanged()
    with pytest.raises(PermissionDenied, match="billing may not sell gift vouchers"):
        sales.add_gift_voucher(store.ctx, sale_id, "100", store.people["billing"])
    assert unchanged() == before
    sales.add_gift_voucher(store.ctx, sale_id, "100", store.manager)


def test_a_voucher_line_is_held_and_recalled_but_not_saved_unpaid(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("SOAP")
    sales.add_gift_voucher(store.ctx, sale_id, "250", store.cashier)
    sales.hold(store.ctx, sale_id, store.cashier)
    sales.recall(store.ctx, sale_id, store.cashier)
    assert [ln.name for ln in sales.bill_view(sale_id).lines] == ["Neem Soap 100 g", "Gift voucher"]
    before = unchanged()
    with pytest.raises(ValidationError, match="a voucher is not issued before it is paid"):
        sales.save_unpaid(store.ctx, sale_id, store.cashier)
    assert unchanged() == before
    [line] = [ln for ln in sales.lines_of(sales.get(sale_id)) if vouchers.is_voucher(ln.sku)]
    sales.remove_line(store.ctx, sale_id, line.id, store.cashier)
    assert sales.save_unpaid(store.ctx, sale_id, store.cashier).total == 4000


def test_a_voucher_is_not_returned_but_the_goods_beside_it_are(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("RICE1")
    sales.add_gift_voucher(store.ctx, sale_id, "500", store.cashier)
    sale = pay_cash(store, sale_id).sale
    goods, gift = sales.lines_of(sale)
    assert [ln.name for ln in returns.returnable_sale(sale.number).lines] == [goods.name]
    before = unchanged()
    with pytest.raises(ValidationError, match="its balance stays usable"):
        returns.check_quantity(gift.id, 1000)
    with pytest.raises(ValidationError, match="its balance stays usable"):
        returns.create(
            store.ctx, store.manager, sale.number, [returns.ReturnItem(gift.id, 1000)], "cash"
        )
    assert unchanged() == before
    back = returns.create(
        store.ctx, store.manager, sale.number, [returns.ReturnItem(goods.id, 1000)], "cash"
    )
    assert back.total == 18900
    assert Voucher.get(Voucher.code == "GV-T1-000001").balance == 50000


def test_a_store_can_sell_vouchers_that_never_expire(store: Store) -> None:
    settings = store.ctx.settings
    store.ctx.settings = replace(settings, store=replace(settings.store, gift_voucher_days=0))
    store.open_register()
    sale_id = store.bill()
    sales.add_gift_voucher(store.ctx, sale_id, "100", store.cashier)
    pay_cash(store, sale_id)
    assert events("voucher.issued")[0]["expires"] is None
    assert Voucher.get(Voucher.code == "GV-T1-000001").expires is None


def test_issue_gift_voucher_writes_the_voucher_and_its_event_together(store: Store) -> None:
    voucher = vouchers.issue_gift_voucher(store.ctx, 25000, employee="cashier")
    [issued] = events("voucher.issued")
    assert (issued["code"], issued["amount"], issued["sale_uuid"]) == (voucher.code, 25000, None)
    with pytest.raises(ValidationError):
        vouchers.issue_gift_voucher(store.ctx, 0)
    assert len(events("voucher.issued")) == 1


def test_the_reserved_product_is_never_rung_up_as_goods(store: Store) -> None:
    """Even made active and priced (a CSV import with its SKU), it cannot be scanned: a
    scanned line would be issued as a voucher of whatever quantity was scanned."""
    sale_id = store.bill()
    sales.add_gift_voucher(store.ctx, sale_id, "100", store.cashier)
    Product.update(active=True, price=10000).where(Product.sku == vouchers.VOUCHER_SKU).execute()
    before = unchanged()
    with pytest.raises(ValidationError, match="not by scanning"):
        sales.add_item(store.ctx, sale_id, "3*GIFT-VOUCHER", store.cashier)
    assert unchanged() == before
