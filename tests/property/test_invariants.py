"""Random carts, discounts, payments and returns through the core; the books must balance."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.core import journal, register, returns, sales
from o2pos.core.models import Payment, PaymentMethod, Receipt, Return, Sale
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from tests.conftest import build_store

SKUS = ["RICE1", "SOAP", "COLA", "TRIM", "UPC1"]

cart = st.lists(
    st.tuples(st.sampled_from([*SKUS, "ONION"]), st.integers(1, 4), st.integers(50, 2500)),
    min_size=1,
    max_size=7,
)
order_discount = st.one_of(st.none(), st.integers(1, 500))
tender_plan = st.sampled_from(["exact", "round_up", "split", "upi"])
return_plan = st.one_of(st.none(), st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True))


class Books:
    """An independent ledger of the drawer, kept beside the till's own figures."""

    def __init__(self) -> None:
        directory = Path(tempfile.mkdtemp(prefix="o2pos-prop-"))
        self.store = build_store(directory)
        self.store.open_register(100000)
        self.cash = 100000


BOOKS: Books | None = None


def books() -> Books:
    global BOOKS
    if BOOKS is None:
        BOOKS = Books()
    return BOOKS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cart=cart, discount=order_discount, plan=tender_plan, back=return_plan)
def test_books_balance(cart, discount, plan, back) -> None:
    b = books()
    ctx, cashier, manager = b.store.ctx, b.store.cashier, b.store.manager
    sale = sales.new(ctx, cashier)
    for sku, qty, grams in cart:
        text = f"{grams // 1000}.{grams % 1000:03d}*ONION" if sku == "ONION" else f"{qty}*{sku}"
        sales.add_item(ctx, sale.id, text, cashier)
    if discount:
        sales.set_order_discount(ctx, sale.id, "percent", discount, cashier)
    due = sales.get(sale.id).total
    tenders = {
        "exact": [Tender("cash", due)],
        "round_up": [Tender("cash", (due // 50000 + 1) * 50000)],
        "split": [Tender("card", due // 3, "A1"), Tender("cash", due - due // 3 + 1000)],
        "upi": [Tender("upi", due, "U1")],
    }[plan]
    result = sales.checkout(ctx, sale.id, tenders, cashier)
    done = result.sale
    receipt = Receipt.get(Receipt.number == result.receipt_number)
    # payments − change = total, and change came only out of cash
    assert sum(t.amount for t in tenders) - result.change == done.total
    assert sum(p.amount for p in receipt.payments) == done.total
    cash_in = sum(p.amount for p in receipt.payments if p.method_id == "cash")
    b.cash += cash_in
    # the stored bill adds up
    lines = sales.lines_of(done)
    assert (
        sum(ln.taxable + ln.cgst + ln.sgst + ln.igst for ln in lines) + done.round_off == done.total
    )
    assert sum(ln.cgst + ln.sgst + ln.igst for ln in lines) == done.tax_total
    assert done.balance == 0 and done.paid == done.total

    if back:
        items = [ReturnItem(lines[i].id, lines[i].qty_milli) for i in back if i < len(lines)]
        if items:
            expected = register.expected_cash(register.current_session(ctx))
            method = "cash" if expected > done.total else "card"
            ret = returns.create(ctx, manager, done.number, items, method)
            if method == "cash":
                b.cash -= ret.total
            refunded = sum(r.total for r in Return.select().where(Return.sale == done))
            assert refunded <= done.paid

    assert register.expected_cash(register.current_session(ctx)) == b.cash
    assert journal.verify(ctx).ok


def test_reported_payments_match_the_receipts() -> None:
    b = books()
    from o2pos.core import reports

    x = reports.x_report(b.store.ctx)
    cash = sum(
        p.amount for p in Payment.select().join(PaymentMethod).where(PaymentMethod.kind == "cash")
    )
    assert next((p["amount"] for p in x["payments"] if p["method"] == "cash"), 0) == cash
    assert x["sales_total"] == sum(s.total for s in Sale.select().where(Sale.status == "completed"))
    assert x["cash"]["expected_cash"] == b.cash
