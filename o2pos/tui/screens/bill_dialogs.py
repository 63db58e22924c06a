"""Dialogs that change the bill: discounts and coupons (F9), the customer (F7), a gift
voucher sold (ctrl+g)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from o2pos.core import catalog, coupons, customers, sales, stock, vouchers
from o2pos.core.errors import NotFound, ValidationError
from o2pos.core.money import format_amount, format_qty
from o2pos.core.sales.promotions import promotions
from o2pos.tui import keymap
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded, without_sync
from o2pos.tui.screens.dialogs import Dialog
from o2pos.tui.text import escape, shorten


@dataclass(frozen=True)
class CouponTaken:
    """A coupon the F9 dialog found fit for the bill: ``held`` when the central reserved a
    use of it for the bill; ``note`` is what the cashier reads as it goes on."""

    code: str
    note: str
    held: bool
    reservation_id: str


class DiscountDialog(Dialog):
    """Line discount, bill discount or coupon: Enter applies the field you are in.

    A coupon with a usage limit is first reserved at the central for bill ``sale_id``, in a
    worker (the dialog stays responsive): a coupon the store has used up is refused here,
    and the dialog stays open with what was typed. Offline, ``[central] offline_coupons``
    decides.
    """

    def __init__(self, line_name: str | None, sale_id: int) -> None:
        super().__init__()
        self.line_name = line_name
        self.sale_id = sale_id
        self.asking = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Discount or coupon", classes="dialog-title")
            yield Static(self.promotions_text(), id="promotions")
            yield Static(
                f"On the line: {self.line_name}" if self.line_name else "No line selected",
                classes="muted",
            )
            yield Input(
                placeholder="line discount: 10% or 25.00 (empty: remove)",
                id="line",
                disabled=self.line_name is None,
                max_length=20,
            )
            yield Input(
                placeholder="bill discount: 5% or 100 (empty: remove)",
                id="bill",
                max_length=20,
            )
            yield Input(placeholder="coupon code (empty: remove)", id="coupon", max_length=20)
            yield Static("", classes="error")
            yield Static("Enter: apply this field · Tab: next field · Esc: cancel", classes="muted")

    def promotions_text(self) -> str:
        """Promotions: the offers the bill gets, with what each gives, and those one step
        away ("add 1 more for …"), for the cashier to read out."""
        found = promotions(self.app.ctx, self.sale_id)
        rows = [f"{escape(name)}: −{format_amount(amount)}" for name, amount in found.applied]
        rows += [escape(hint[0].upper() + hint[1:]) for hint in found.hints]
        if not found.coupons_allowed:
            rows.append("No coupon with these offers")
        return "[b]Promotions:[/b] " + (" · ".join(rows) if rows else "none on this bill")

    def on_mount(self) -> None:
        self.query_one("#line" if self.line_name else "#bill", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if event.input.id == "coupon" and value:
            self.ask_coupon(value)
            return
        if any(char.isalpha() for char in value):
            # a coupon code typed where the dialog opened: its digits alone were once
            # taken as a discount in rupees ("WELCOME10" gave 10.00 off)
            event.input.value = ""
            coupon = self.query_one("#coupon", Input)
            coupon.value = value[:20]
            coupon.focus()
            self.show_error(
                f"'{value}' is no discount (10% or 25.00): it is in the coupon box now, "
                "Enter applies it"
            )
            return
        self.dismiss((event.input.id, value))

    @guarded
    def ask_coupon(self, code: str) -> None:
        if self.asking:
            return
        checked = coupons.check(self.app.ctx, self.sale_id, code)
        if not checked.limited:
            self.dismiss(CouponTaken(checked.code, f"Coupon {checked.code} applied", False, ""))
            return
        self.asking = True
        self.show_error(f"Asking the central for coupon {checked.code}…")
        self.run_worker(
            partial(self.reserve, self.app, checked),
            thread=True,
            exit_on_error=False,
            group="coupon-reserve",
        )

    def reserve(self, till: Any, checked: coupons.CouponCheck) -> None:
        """In a worker thread: hold one use of the coupon at the central (network only).
        ``till`` is the app, taken while the dialog was up: it may be gone by the answer."""
        asked: Any
        try:
            from o2pos.sync import coupons as store_coupons

            asked = store_coupons.ask(till.config.central, checked.code, checked.reservation_id)
        except ImportError:
            asked = without_sync("Limited coupons")
        except Exception as exc:  # a bug: reported in the dialog, and Enter works again
            asked = exc
        till.call_from_thread(self.answered, till, checked, asked)

    def answered(self, till: Any, checked: coupons.CouponCheck, asked: Any) -> None:
        self.asking = False
        if self.is_attached:
            self.take_coupon(checked, asked)
        else:  # the dialog was left meanwhile: the coupon does not go on the bill
            self.give_back(till, checked)

    def give_back(self, till: Any, checked: coupons.CouponCheck) -> None:
        """Release the use the central may hold for the bill, in a worker, whatever its
        answer said (it may have been lost after the central held it), unless the bill
        already has this coupon on."""
        on = coupons.held_use(self.sale_id)
        if on is not None and on.code == checked.code:
            return
        try:
            from o2pos.sync import coupons as store_coupons
        except ImportError:  # no sync extra: no central holds anything to give back
            return

        till.run_worker(
            partial(
                store_coupons.release, till.config.central, checked.code, checked.reservation_id
            ),
            thread=True,
            exit_on_error=False,
            group="coupon-release",
        )

    @guarded
    def take_coupon(self, checked: coupons.CouponCheck, asked: Any) -> None:
        if isinstance(asked, Exception):
            raise asked
        from o2pos.sync import coupons as store_coupons

        self.show_error("")
        try:
            note = store_coupons.decide(self.app.config.central, checked, asked)
        except ValidationError:
            if asked.refused is None:  # refused offline: a hold made before the answer was lost
                self.give_back(self.app, checked)
            raise
        self.dismiss(CouponTaken(checked.code, note, asked.held, checked.reservation_id))


class GiftVoucherDialog(Dialog):
    """The amount of a gift voucher to sell on this bill; Enter adds it as a line.

    ``add`` is the core call that puts it on the bill: a refused amount is said here and
    the dialog stays open with what was typed, so nothing on the bill changes.
    """

    def __init__(self, add: Callable[[str], tuple[int, int]]) -> None:
        super().__init__()
        self.add = add

    def compose(self) -> ComposeResult:
        most = format_amount(vouchers.MAX_GIFT_VOUCHER)
        with Vertical(classes="dialog"):
            yield Static("Gift voucher", classes="dialog-title")
            yield Static(
                f"Amount up to {most}, paid in cash, card or UPI.\n"
                "Its number and last valid day print on the bill."
            )
            yield Input(placeholder="amount, e.g. 1000", id="amount", max_length=12)
            yield Static("", classes="error")
            yield Static("Enter: add to the bill · Esc: cancel", classes="muted")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(self.add(event.value))


class CustomerDialog(Dialog):
    """Find a customer by name or phone, choose walk-in, or add a new one."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.CUSTOMER]

    def compose(self) -> ComposeResult:
        # one-row fields, so the error and the hint fit under them at 80×24
        with Vertical(classes="dialog", id="customer-box"):
            yield Static("Customer", classes="dialog-title")
            with Horizontal(classes="field"):
                yield Static("Find", classes="field-label")
                yield Input(placeholder="name or phone", id="search", max_length=40, compact=True)
            yield OptionList(Option("Walk-in customer", id="walk-in"), id="matches", compact=True)
            yield Static("New customer", classes="section")
            with Horizontal(classes="field"):
                yield Static("Name", classes="field-label")
                yield Input(placeholder="name", id="new-name", max_length=100, compact=True)
            with Horizontal(classes="field"):
                yield Static("Phone", classes="field-label")
                yield Input(
                    placeholder="phone", id="new-phone", restrict=r"[0-9+ ]*", max_length=16,
                    compact=True,
                )  # fmt: skip
            with Horizontal(classes="field"):
                yield Static("GSTIN", classes="field-label")
                yield Input(placeholder="optional", id="new-gstin", max_length=15, compact=True)
            yield Static("", classes="error")
            yield Static(
                "Type: search · ↓ Enter: choose · name, phone, Enter: add",
                classes="muted",
            )

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        matches.add_option(Option("Walk-in customer", id="walk-in"))
        for c in customers.search(self.app.ctx, event.value, limit=5):
            matches.add_option(Option(f"{c.name}  {c.phone}", id=str(c.id)))
        if matches.option_count > 1:
            matches.highlighted = 1

    def action_focus_list(self) -> None:
        hop(self, "#search", "#matches")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(event.option)

    def choose(self, option: Option) -> None:
        """Walk-in, or the customer whose id the option carries."""
        if option.id is None or option.id == "walk-in":
            self.dismiss(("walk-in", None))
        else:
            self.dismiss(("customer", int(option.id)))

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            matches = self.query_one("#matches", OptionList)
            if matches.highlighted is not None:
                self.choose(matches.get_option_at_index(matches.highlighted))
            return
        name = self.query_one("#new-name", Input).value
        phone = self.query_one("#new-phone", Input).value
        gstin = self.query_one("#new-gstin", Input).value
        app = self.app
        customer = customers.create(app.ctx, app.signed_in_employee, name, phone, gstin=gstin)
        self.dismiss(("customer", customer.id))


def stock_cell(level: stock.Level) -> str:
    """On hand, and what of it is available when some is reserved for delivery."""
    if level.reserved:
        return f"{format_qty(level.on_hand)} ({format_qty(level.available)})"
    return format_qty(level.on_hand)


class ProductSearchDialog(Dialog):
    """Name search as you type (FTS5 prefix words); Enter or ↓ Enter adds the product.

    Each result shows its stock at the session's location: on hand, and in brackets what is
    available when some is reserved for delivery. A blind stock count's counter gets no
    stock column (``show_stock=False``): it would give the system figure away.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.SEARCH]

    def __init__(self, *, show_stock: bool = True) -> None:
        super().__init__()
        self.show_stock = show_stock

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("Find a product", classes="dialog-title")
            yield Input(
                placeholder="name, brand, category, SKU or barcode", id="search", max_length=60
            )
            yield DataTable(id="results", cursor_type="row")
            yield Static("", classes="error")
            yield Static(
                "Enter: add the first · ↓ then Enter: add that one · Esc: cancel", classes="muted"
            )

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        columns = (("Product", 26), ("Price", 10), ("Stock", 11), ("SKU", 11))
        for label, width in (
            columns if self.show_stock else (("Product", 36), ("Price", 10), ("SKU", 14))
        ):
            table.add_column(label, width=width)
        self.query_one("#search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one("#results", DataTable)
        table.clear()
        ctx = self.app.ctx
        found = catalog.search(ctx, event.value, limit=12)
        if self.show_stock:
            levels = stock.levels(ctx, [p.id for p in found])
            table.add_rows(
                [
                    (
                        shorten(p.name, 26),
                        format_amount(p.price),
                        stock_cell(levels[p.id]),
                        p.sku[:11],
                    )
                    for p in found
                ]
            )
        else:
            table.add_rows([(shorten(p.name, 36), format_amount(p.price), p.sku) for p in found])
        self._skus = [p.sku for p in found]

    def action_focus_list(self) -> None:
        hop(self, "#search", "#results")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        skus = getattr(self, "_skus", [])
        if skus:
            self.dismiss(skus[0])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self._skus[event.cursor_row])


class QuickAddDialog(Dialog):
    """The store's quick-add buttons (loose produce, bread, milk): type the number."""

    def __init__(self, buttons: list[catalog.QuickButtonView]) -> None:
        super().__init__()
        self.buttons = {str(b.position): b for b in buttons}

    def compose(self) -> ComposeResult:
        cells = [f"{b.position:>2} {shorten(b.label, 14):<14}" for b in self.buttons.values()]
        rows = ["   ".join(cells[i : i + 3]) for i in range(0, len(cells), 3)]
        with Vertical(classes="dialog"):
            yield Static("Quick add", classes="dialog-title")
            yield Static("\n".join(rows) or "No quick-add buttons are set up", id="quick-grid")
            yield Input(placeholder="button number", id="button", restrict=r"[0-9]*", max_length=3)
            yield Static("", classes="error")
            yield Static("Enter: add · Esc: cancel", classes="muted")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        button = self.buttons.get(event.value.strip())
        if button is None:
            raise NotFound(f"No quick-add button {event.value.strip()}")
        self.dismiss(button)


class RecallDialog(Dialog):
    def __init__(self, bills: list[sales.HeldBill]) -> None:
        super().__init__()
        self.bills = bills

    def compose(self) -> ComposeResult:
        local = self.app.ctx.local
        options = [
            Option(
                f"{local(b.created_at).strftime('%H:%M')}  {format_amount(b.total):>10}  "
                f"{shorten(b.customer_name or 'walk-in', 20)}",
                id=str(b.id),
            )
            for b in self.bills
        ]
        with Vertical(classes="dialog"):
            yield Static("Recall a held bill", classes="dialog-title")
            yield OptionList(*options, id="held")
            yield Static("Enter: recall · Esc: cancel", classes="muted")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))


class LotDialog(Dialog):
    """Pick the lot to sell from (first-in-first-out is what a plain scan does)."""

    def __init__(
        self, product_name: str, lots: list[sales.LotView], *, verb: str = "sell from this lot"
    ) -> None:
        super().__init__()
        self.product_name, self.lots, self.verb = product_name, lots, verb

    def compose(self) -> ComposeResult:
        options = [
            Option(
                f"{lot.lot_no:<14} expires {lot.expiry or '—':<10}  "
                f"{format_qty(lot.qty_milli):>8} left",
                id=lot.lot_no,
            )
            for lot in self.lots
        ]
        with Vertical(classes="dialog"):
            yield Static(f"Lot of {self.product_name}", classes="dialog-title")
            yield OptionList(*options, id="lots")
            yield Static(f"Enter: {self.verb} · Esc: cancel", classes="muted")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class DeliveryMarkDialog(Dialog):
    """How the bill's goods reach the customer: taken now, home delivery or pick-up later.
    Marked, they are reserved when the bill is paid and leave on the Delivery screen."""

    CHOICES = (
        ("now", "Taken now (no delivery)"),
        ("home", "Home delivery later"),
        ("pickup", "Pick-up later"),
    )

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or "now"

    def compose(self) -> ComposeResult:
        options = [Option(label, id=code) for code, label in self.CHOICES]
        with Vertical(classes="dialog"):
            yield Static("Delivery of this bill", classes="dialog-title")
            yield OptionList(*options, id="marks")
            yield Static("Enter: choose · Esc: cancel", classes="muted")

    def on_mount(self) -> None:
        marks = self.query_one("#marks", OptionList)
        marks.highlighted = [code for code, _ in self.CHOICES].index(self.current)
        marks.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
