"""The bill: scan or type codes, see the lines and totals, pay with F10."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from o2pos.core import (
    auth,
    catalog,
    coupons,
    credit,
    customers,
    loyalty,
    payments,
    sales,
    stock,
    vouchers,
)
from o2pos.core.errors import UnknownCode, ValidationError
from o2pos.core.money import format_amount, format_qty, parse_amount, parse_percent
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.bill_dialogs import (
    CouponTaken,
    CustomerDialog,
    DeliveryMarkDialog,
    DiscountDialog,
    GiftVoucherDialog,
    LotDialog,
    ProductSearchDialog,
    QuickAddDialog,
    RecallDialog,
)
from o2pos.tui.screens.dialogs import (
    AmountDialog,
    ConfirmDialog,
    OpeningFloatDialog,
    QuantityDialog,
    SerialDialog,
)
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.text import shorten
from o2pos.tui.widgets.cart import CartHeader, CartTable, Totals
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.scan_box import ScanBox
from o2pos.tui.widgets.status_bar import StatusBar


def parse_discount(text: str) -> tuple[str | None, int]:
    """'10%' → percent 1000 bp; '25.50' → amount 2550; '' → no discount."""
    if not text:
        return None, 0
    if text.endswith("%"):
        return "percent", parse_percent(text)
    return "amount", parse_amount(text, allow_zero=False)


class RungUp(Protocol):
    """A bill line as the core hands it back after a change."""

    id: int
    product_id: int
    name: str
    qty_milli: int
    total: int


class SalesScreen(TillScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.SALES]

    def __init__(self, *, ask_float: bool = False) -> None:
        super().__init__()
        self.ask_float = ask_float
        self.sale_id = 0
        # the customer's dues as the central gave them (bill, customer, dues; None: could
        # not be asked), for the credit check at payment (``core.credit``)
        self.dues: tuple[int, int | None, customers.Dues | None] | None = None
        # the use of a limited coupon the central may hold for this bill, as last shown
        self.coupon_hold: coupons.HeldUse | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="item-row"):
            yield Static("Item ", id="item-label")
            yield ScanBox(
                placeholder="scan or type a barcode or SKU · 3*CODE for three",
                id="item",
                max_length=64,
            )
        yield CartHeader(id="cart-header")
        yield CartTable(id="cart")
        yield Static("", id="notice")
        yield Totals(id="totals")
        yield KeyBar("sales")

    def on_mount(self) -> None:
        self.sale_id, count = sales.current_bill(self.ctx, self.employee)
        if count:
            self.say(f"Resumed the bill in progress ({count} line{'s' if count != 1 else ''})")
        self.refresh_bill()
        self.focus_item()
        if self.ask_float:
            self.app.push_screen(OpeningFloatDialog(), self.register_opened)

    def register_opened(self, opening_float: int | None) -> None:
        # said on the notice line: a toast would cover the bill's totals for seconds
        self.query_one(StatusBar).refresh_status()
        if opening_float is not None:
            self.say(f"Register open with {format_amount(opening_float)}: scan the first item")

    # --- showing ----------------------------------------------------------------------

    def refresh_bill(self, select: int | None = None) -> sales.BillView:
        """Show the bill; ``select`` (a line id) is highlighted: the line just changed."""
        bill = sales.bill_view(self.sale_id)
        self.query_one(CartTable).show(bill.lines, select)
        self.query_one(Totals).show(bill)
        if bill.notice:
            self.say(bill.notice)
        self.track_coupon()
        return bill

    def track_coupon(self) -> None:
        """A limited coupon that left this bill (taken off, replaced, or dropped when the
        bill fell below its minimum) gives its use at the central back at once. Another
        bill (held, paid, voided) is not this one: a paid bill's use is counted by its
        sale's event, a held bill keeps its coupon, a voided one releases it itself."""
        held = coupons.held_use(self.sale_id)
        before = self.coupon_hold
        if before is not None and held != before and before.sale_id == self.sale_id:
            self.release_coupon(before)
        self.coupon_hold = held

    def show_change(self, line: RungUp) -> None:
        """The bill with the line just changed highlighted and said on the notice line, with
        the stock its product has left once the bill is paid (a warning when the bill sells
        beyond stock, as ``[store] oversell = "warn"`` lets it), unless the change did
        something else worth saying (a discount or coupon dropped)."""
        bill = self.refresh_bill(select=line.id)
        if bill.notice:
            return
        said = f"{line.name} × {format_qty(line.qty_milli)}  {format_amount(line.total)}"
        left = stock.on_bill(self.ctx, self.sale_id, line.product_id)
        if left.left >= 0:
            self.say(f"{said} · {format_qty(left.left)} left in stock")
        else:
            have = format_qty(max(left.available, 0))
            self.say(f"{said} · only {have} in stock: {format_qty(-left.left)} short", error=True)

    def new_bill(self) -> None:
        self.sale_id = sales.new(self.ctx, self.employee).id
        self.refresh_bill()

    def show_error(self, text: str) -> None:
        """Say what is wrong; the typed text stays, selected, so the next scan replaces it."""
        super().show_error(text)
        self.focus_item()
        self.query_one("#item", Input).select_all()

    def focus_item(self) -> None:
        self.query_one("#item", Input).focus()

    def selected_line(self, missing: str) -> sales.LineView:
        line = self.query_one(CartTable).selected_line
        if line is None:
            raise ValidationError(missing)
        return line

    # --- ringing up -------------------------------------------------------------------

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.add(text)

    def add(self, text: str, serial: str | None = None, lot_no: str | None = None) -> None:
        try:
            lines = sales.add_item(
                self.ctx, self.sale_id, text, self.employee, serial=serial, lot_no=lot_no
            )
        except sales.SerialRequired as needs:
            self.app.push_screen(
                SerialDialog(needs.product_name),
                lambda serial: serial and self.guarded_add(text, serial),
            )
            return
        except UnknownCode as unknown:
            find = keymap.short_key(self.app.keys.get("search", "f11"))
            raise UnknownCode(f"{unknown} ({find} finds a product by name)") from None
        self.query_one("#item", Input).value = ""
        # a repeat scan adds to an earlier line: that line is the one ctrl+d or ctrl+q take
        self.show_change(lines[-1])

    @guarded
    def guarded_add(self, text: str, serial: str | None = None) -> None:
        self.add(text, serial)

    # --- actions ----------------------------------------------------------------------

    def action_focus_cart(self) -> None:
        hop(self, "#item", "#cart")

    def action_focus_item(self) -> None:
        self.focus_item()

    @guarded
    def action_remove_line(self) -> None:
        line = self.selected_line("The bill has no line to remove")
        sales.remove_line(self.ctx, self.sale_id, line.id, self.employee)
        self.refresh_bill()
        self.say("Line removed")

    @guarded
    def action_quantity(self) -> None:
        line = self.selected_line("Scan an item first")

        @guarded
        def apply(screen: SalesScreen, qty: int | None) -> None:
            if qty is not None:
                changed = sales.set_qty(screen.ctx, screen.sale_id, line.id, qty, screen.employee)
                screen.show_change(changed)

        self.app.push_screen(
            QuantityDialog(line.name, format_qty(line.qty_milli)), lambda q: apply(self, q)
        )

    @guarded
    def action_hold(self) -> None:
        """F8: hold the bill on screen, or recall the oldest held bill when this one is empty."""
        if self.query_one(CartTable).row_count:
            held = sales.hold(self.ctx, self.sale_id, self.employee)
            self.new_bill()
            self.say(f"Bill held ({format_amount(held.total)}); F8 on an empty bill recalls it")
            return
        waiting = sales.held_bills(self.ctx)
        if not waiting:
            raise ValidationError("No held bills")
        if len(waiting) == 1:
            self.recall(waiting[0].id)
        else:
            self.app.push_screen(
                RecallDialog(waiting), lambda sale_id: sale_id and self.recall(sale_id)
            )

    @guarded
    def recall(self, sale_id: int) -> None:
        sales.cancel(self.ctx, self.sale_id, self.employee)  # the empty bill on screen
        self.sale_id = sales.recall(self.ctx, sale_id, self.employee).id
        self.refresh_bill()
        self.say(f"Recalled a held bill; {len(sales.held_bills(self.ctx))} more held")

    @guarded
    def action_lot(self) -> None:
        """ctrl+t: sell the code in the item box from a lot the cashier picks."""
        text = self.query_one("#item", Input).value.strip()
        if not text:
            raise ValidationError("Type or scan the item first, then ctrl+t to pick its lot")
        name, lots = sales.lots_for(self.ctx, text)

        @guarded
        def chosen(screen: SalesScreen, lot_no: str | None) -> None:
            if lot_no:
                screen.add(text, lot_no=lot_no)

        self.app.push_screen(LotDialog(name, lots), lambda lot: chosen(self, lot))

    @guarded
    def action_save(self) -> None:
        """ctrl+s: complete the bill unpaid ("save and print"); it is paid on Receipts (F3)."""
        saved = sales.save_unpaid(self.ctx, self.sale_id, self.employee)
        self.new_bill()
        self.say(f"Bill {saved.number} saved, {format_amount(saved.total)} to pay at Receipts (F3)")
        if saved.number:
            self.app.print_document(saved.number)

    @guarded
    def action_mark_delivery(self) -> None:
        """ctrl+w: the bill's goods are delivered later (home or pick-up), or taken now."""
        current = sales.bill_view(self.sale_id).delivery

        @guarded
        def chosen(screen: SalesScreen, choice: str | None) -> None:
            if choice is None:
                screen.focus_item()
                return
            mode = None if choice == "now" else choice
            sales.set_delivery(screen.ctx, screen.sale_id, mode, screen.employee)
            screen.refresh_bill()
            screen.say(
                f"To be delivered: {sales.DELIVERY_MARKS[mode].lower()} · "
                f"{keymap.short_key(screen.app.keys.get('delivery', 'ctrl+y'))} delivers it "
                "once paid"
                if mode
                else "Not for delivery: the goods leave with the customer"
            )
            screen.focus_item()

        self.app.push_screen(DeliveryMarkDialog(current), lambda c: chosen(self, c))

    @guarded
    def action_gift_voucher(self) -> None:
        """ctrl+g: sell a gift voucher of a typed amount, as a line of this bill."""
        ctx, employee, sale_id = self.ctx, self.employee, self.sale_id
        vouchers.check_seller(employee)  # refused at once, not after typing the amount

        def add(text: str) -> tuple[int, int]:
            line = sales.add_gift_voucher(ctx, sale_id, text, employee)
            return line.id, line.total

        def added(screen: SalesScreen, line: tuple[int, int] | None) -> None:
            if line is not None:
                screen.refresh_bill(select=line[0])
                screen.say(f"Gift voucher {format_amount(line[1])} added: it is paid with the bill")
            screen.focus_item()

        self.app.push_screen(GiftVoucherDialog(add), lambda line: added(self, line))

    @guarded
    def action_search(self) -> None:
        self.app.push_screen(ProductSearchDialog(), lambda sku: sku and self.guarded_add(sku))

    @guarded
    def action_quick_add(self) -> None:
        def chosen(button: catalog.QuickButtonView | None) -> None:
            if button is None:
                return
            if not button.weighed:
                self.guarded_add(button.sku)
                return
            self.app.push_screen(
                QuantityDialog(f"{button.name} ({button.unit})", ""),
                lambda qty: qty and self.guarded_add(f"{format_qty(qty)}*{button.sku}"),
            )

        self.app.push_screen(QuickAddDialog(catalog.quick_buttons(self.ctx)), chosen)

    @guarded
    def action_price(self) -> None:
        line = self.selected_line("Scan an item first")
        ctx, employee, sale_id = self.ctx, self.employee, self.sale_id

        @guarded
        def priced(screen: SalesScreen, price: int | None) -> None:
            if price is None:
                return
            run_with_approval(
                screen,
                partial(sales.override_price, ctx, sale_id, line.id, price, employee),
                lambda _: screen.refresh_bill(select=line.id),
            )

        self.app.push_screen(
            AmountDialog(
                f"Price of {line.name}", hint=f"List price {format_amount(line.list_price)}"
            ),
            lambda price: priced(self, price),
        )

    @guarded
    def action_void(self) -> None:
        bill = sales.bill_view(self.sale_id)
        if bill.lines and auth.has_permission(self.employee, auth.Perm.VOID):
            # no manager's PIN stands between ctrl+x and the bill here: one question does
            count = len(bill.lines)
            self.app.push_screen(
                ConfirmDialog(
                    "Void this bill?",
                    f"{count} line{'s' if count > 1 else ''}, {format_amount(bill.total)}: "
                    "the bill is dropped (the journal keeps it as voided).",
                    "void it",
                ),
                lambda yes: self.void() if yes else None,
            )
            return
        self.void()

    @guarded
    def void(self) -> None:
        held = coupons.held_use(self.sale_id)

        def voided(_: object) -> None:
            self.release_coupon(held)
            self.new_bill()
            self.say("Bill voided")

        void = partial(sales.cancel, self.ctx, self.sale_id, self.employee)
        run_with_approval(self, void, voided)

    @guarded
    def action_discount(self) -> None:
        line = self.query_one(CartTable).selected_line
        self.app.push_screen(
            DiscountDialog(line.name if line else None, self.sale_id),
            lambda choice: self.apply_discount(choice, line.id if line else None),
        )

    def release_coupon(self, held: coupons.HeldUse | None) -> None:
        """Give a use the central held for a bill back, in a worker (never waited on)."""
        if held is None:
            return
        from o2pos.sync import coupons as store_coupons

        self.run_worker(
            partial(store_coupons.release, self.app.config.central, held.code, held.reservation_id),
            thread=True,
            exit_on_error=False,
            group="coupon-release",
        )

    @guarded
    def put_coupon(self, taken: CouponTaken) -> None:
        """The coupon the F9 dialog found fit goes on the bill (the use the bill held for
        another coupon is given back by ``track_coupon``), and its own use is given back
        if the bill no longer takes it."""
        try:
            sales.apply_coupon(self.ctx, self.sale_id, taken.code, self.employee)
        except Exception:
            if taken.held:
                self.release_coupon(coupons.HeldUse(taken.code, taken.reservation_id, self.sale_id))
            raise
        self.refresh_bill()
        self.say(taken.note)

    @guarded
    def apply_discount(
        self, choice: tuple[str, str] | CouponTaken | None, line_id: int | None
    ) -> None:
        if choice is None:
            return
        if isinstance(choice, CouponTaken):
            self.put_coupon(choice)
            return
        field, text = choice
        ctx, employee, sale_id = self.ctx, self.employee, self.sale_id
        if field == "coupon":  # an empty coupon box: the coupon leaves the bill
            sales.remove_coupon(ctx, sale_id, employee)
            self.refresh_bill()
            return
        kind, value = parse_discount(text)
        action: Callable[[auth.Approval | None], object]
        if field == "line" and line_id is not None:
            action = partial(sales.set_line_discount, ctx, sale_id, line_id, kind, value, employee)
        else:
            action = partial(sales.set_order_discount, ctx, sale_id, kind, value, employee)
        on_line = field == "line" and line_id is not None
        run_with_approval(self, action, partial(self.discounted, text, line_id, on_line))

    def discounted(self, text: str, line_id: int | None, on_line: bool, _: object) -> None:
        if self.refresh_bill(select=line_id).notice:
            return  # what the change did by itself (a coupon dropped) is said instead
        # said over whatever the notice held, a refusal of this discount before among it
        what = "line" if on_line else "bill"
        self.say(f"Discount {text} on the {what}" if text else f"The {what}'s discount is off")

    @guarded
    def action_customer(self) -> None:
        self.app.push_screen(CustomerDialog(), self.choose_customer)

    @guarded
    def choose_customer(self, choice: tuple[str, int | None] | None) -> None:
        if choice is None:
            return
        sales.set_customer(self.ctx, self.sale_id, choice[1], self.employee)
        self.refresh_bill()
        if choice[1] is not None:
            self.ask_dues(choice[1])

    def ask_dues(self, customer_id: int) -> None:
        """The customer's dues from every till, asked of the central in a worker."""
        key = customers.uuid_of(customer_id)
        if key is None:
            return
        own = customers.own_dues(self.ctx, customer_id)
        self.run_worker(
            partial(self.fetch_dues, self.app, self.sale_id, key, own),
            thread=True,
            exit_on_error=False,
            exclusive=True,
            group="customer-dues",
        )

    def fetch_dues(self, till: Any, sale_id: int, key: str, own: customers.Dues) -> None:
        """In a worker thread: the central's answer (network only). ``till`` is the app,
        taken on the UI thread: a screen no longer shown has none of its own."""
        from o2pos.sync import dues

        central = till.config.central
        fetched = dues.fetch(central, key)
        text = dues.dues_text(fetched, own, standalone=not central.url)
        # a till with no central is the whole store: its own dues are all there are
        till.call_from_thread(self.show_dues, sale_id, text, fetched if central.url else own)

    @guarded  # reads the bill: a storage failure is said, not the end of the till
    def show_dues(self, sale_id: int, text: str, fetched: customers.Dues | None = None) -> None:
        if sale_id != self.sale_id or not self.is_attached:  # no longer the bill asked for
            return
        sale = sales.get(sale_id)
        if sale.customer is None:
            return
        self.dues = (sale_id, sale.customer_id, fetched)
        # a customer with credit terms: the one line says what they owe against them
        text = self.credit_text(sale.customer, fetched) or text
        if text:
            # the customer's prices just repriced the bill: that notice stays beside the dues
            notice = sales.bill_view(sale_id).notice
            self.say(shorten(f"{notice} · {text}" if notice else text, 78))

    def credit_text(self, customer: Any, fetched: customers.Dues | None) -> str:
        """The customer's outstanding, oldest overdue bill and limit, when they have terms."""
        if customer.credit_limit is None and customer.credit_days is None:
            return ""
        return credit.describe(credit.standing(self.ctx, customer, fetched))

    def dues_for_payment(self) -> customers.Dues | None:
        """The dues fetched for this bill's customer; None (this till's own) otherwise."""
        sale = sales.get(self.sale_id)
        if self.dues is None or self.dues[:2] != (self.sale_id, sale.customer_id):
            return None
        return self.dues[2]

    @guarded
    def action_pay(self) -> None:
        bill = sales.bill_view(self.sale_id)
        if not bill.lines:
            raise ValidationError("The bill is empty: scan an item first")
        ctx, employee, sale_id = self.ctx, self.employee, self.sale_id
        sale = sales.get(sale_id)
        note = ""
        if sale.customer is not None:
            note = self.credit_text(sale.customer, self.dues_for_payment())
            if note and self.dues_for_payment() is None:  # a recalled bill, say: ask now
                self.ask_dues(sale.customer.id)

        def pay(
            tenders: list[payments.Tender], approval: auth.Approval | None
        ) -> sales.CheckoutResult:
            # the central's answer as it stands when the payment is taken, not when the
            # dialog opened: F7's, or the one asked for just above
            dues = self.dues_for_payment()
            return sales.checkout(ctx, sale_id, tenders, employee, approval=approval, dues=dues)

        self.app.push_screen(
            PaymentScreen(
                bill.total,
                pay,
                note=note,
                approvable=True,
                redeemer=loyalty.redeemer(sale_id),
            ),
            self.paid,
        )

    def paid(self, result: sales.CheckoutResult | None) -> None:
        if result is None:
            self.focus_item()
            return
        self.new_bill()
        self.query_one(StatusBar).refresh_status()  # a sale is an event waiting to be sent
        sale = result.sale
        change = f" · CHANGE {format_amount(result.change)}" if result.change else ""
        if sale.balance:  # on account: credit given, not money received
            paid = f"paid {format_amount(sale.paid)}, " if sale.paid else ""
            self.say(f"Bill {sale.number} {paid}{format_amount(sale.balance)} on account{change}")
        else:
            self.say(f"Bill {sale.number} paid {format_amount(sale.total)}{change}")
        self.focus_item()
        if sale.number:
            self.app.print_document(sale.number)
