"""Delivery (ctrl+y): the goods of bills marked for delivery leave the store.

The screen opens on the bills of this location with something still to deliver: this
till's own, and the store's other tills' as the central lists them, asked in a worker (the
screen never waits on the network). A bill is found by its number (scanned from the
slip), by customer name or phone, or picked from the list; its lines show ordered,
delivered and pending quantities. F9 delivers everything pending; Enter on a line sets
what goes now, F10 delivers that. Either asks how it goes (home, picked up, courier and
its reference) and prints a numbered delivery note.

This till's own bill is shown from its database at once, then from the central's figures
when they come (another till may have delivered some); another till's bill needs the
central. Offline, one line says other tills' bills are unavailable, and this till's own
keep working from what it knows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from o2pos.core import deliveries
from o2pos.core.errors import NotFound, ValidationError
from o2pos.core.money import format_qty
from o2pos.tui import keymap
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import Dialog, QuantityDialog, TextDialog
from o2pos.tui.text import escape, shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp

MARKS = {"home": "home", "pickup": "pick-up"}


class DeliverDialog(Dialog):
    """How the shipment goes: home delivery, picked up or courier (↑↓, as the payment
    dialog's methods), and the courier's reference in the box that has the focus, so
    "F9 Enter" delivers all at once as the bill was marked. ``deliver`` is the core call:
    a refusal (no reference for a courier, say) is said here and the dialog stays open."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.DIALOG, *keymap.DELIVER]

    def __init__(self, title: str, mode: str, deliver: Callable[[str, str], object]) -> None:
        super().__init__()
        self.title_text, self.deliver = title, deliver
        self.modes = list(deliveries.MODES)
        self.index = self.modes.index(mode) if mode in self.modes else 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static("", id="modes")
            with Horizontal(classes="field"):
                yield Static("Ref", classes="field-label")
                yield Input(
                    placeholder="courier reference (AWB, docket)",
                    id="reference",
                    max_length=deliveries.MAX_REFERENCE,
                    compact=True,
                )
            yield Static("", classes="error")
            yield Static("↑↓: how · Enter: deliver · Esc: cancel", classes="muted")

    def on_mount(self) -> None:
        self.show_modes()
        self.query_one("#reference", Input).focus()

    def show_modes(self) -> None:
        rows = [
            f"[reverse] {label:<20}[/reverse]" if i == self.index else f" {label}"
            for i, label in enumerate(deliveries.MODES.values())
        ]
        self.query_one("#modes", Static).update("\n".join(rows))

    def action_mode(self, step: int) -> None:
        self.index = (self.index + step) % len(self.modes)
        self.show_modes()

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(self.deliver(self.modes[self.index], event.value))


class DeliveryScreen(TillScreen):
    """Find a bill to deliver, choose what goes now, deliver it with a numbered note."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.DELIVERY]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(
            placeholder="bill number (scan the slip) or customer name or phone · Enter",
            id="number",
            max_length=40,
        )
        yield Static("", id="delivery-bill", classes="muted")
        yield DataTable(id="bills", cursor_type="row")
        yield DataTable(id="lines", cursor_type="row")
        yield Static("", id="elsewhere", classes="muted")
        yield Static("", id="notice")
        yield KeyBar("delivery")

    def on_mount(self) -> None:
        self.bill: deliveries.DeliveryBill | None = None
        # the central's copy of the bill shown, when it answered (counts other tills' work)
        self.central: deliveries.DeliveryBill | None = None
        self.chosen: dict[int, int] = {}
        self.customer: str | None = None
        self.others: list[deliveries.PendingBill] = []
        bills = self.query_one("#bills", DataTable)
        for label, width in (
            ("Bill", 15),
            ("Customer", 16),
            ("How", 7),
            ("Lines", 5),
            ("Pending", 8),
            ("Till", 6),
            ("Date", 5),
        ):
            bills.add_column(label, width=width)
        lines = self.query_one("#lines", DataTable)
        # ordered = delivered + returned (before delivery) + pending: each has its column
        for label, width in (
            ("#", 3),
            ("Item", 22),
            ("Ordered", 8),
            ("Delivered", 9),
            ("Back", 6),
            ("Pending", 8),
            ("Now", 8),
        ):
            lines.add_column(label, width=width)
        self.query_one("#elsewhere", Static).display = bool(self.app.config.central.url)
        self.show()
        self.list_others()
        self.query_one("#number", Input).focus()

    # --- showing ------------------------------------------------------------------------

    def show(self) -> None:
        """The pending list, or the bill chosen, with what is to go now."""
        listing = self.bill is None
        self.query_one("#bills", DataTable).display = listing
        self.query_one("#lines", DataTable).display = not listing
        if self.bill is None:
            self.show_list()
        else:
            self.show_bill(self.bill)

    def show_list(self) -> None:
        table = self.query_one("#bills", DataTable)
        table.clear()
        own = deliveries.pending(self.ctx, customer=self.customer)
        numbers = {p.number for p in own}
        for bill in [*own, *(p for p in self.others if p.number not in numbers)]:
            table.add_row(
                bill.number,
                shorten(bill.customer_name or "walk-in", 16),
                MARKS.get(bill.mode, bill.mode),
                str(bill.lines),
                format_qty(bill.pending_milli),
                shorten(bill.terminal, 6),
                self.day(bill.completed_at),
                key=bill.number,
            )
        whose = f" of customers like {self.customer!r}" if self.customer else ""
        self.query_one("#delivery-bill", Static).update(
            f"Bills to deliver{whose} at {self.ctx.location}: ↓ to pick"
            if table.row_count
            else f"No bills to deliver{whose} at {self.ctx.location}: scan a bill's number"
        )

    def day(self, stamp: str) -> str:
        """``dd-mm`` in the store's time zone, from an ISO UTC stamp."""
        try:
            moment = datetime.fromisoformat(stamp.rstrip("Z")).replace(tzinfo=None)
        except ValueError:
            return ""
        return self.ctx.local(moment).strftime("%d-%m")

    def show_bill(self, bill: deliveries.DeliveryBill) -> None:
        table = self.query_one("#lines", DataTable)
        row = table.cursor_row
        table.clear()
        for line in bill.lines:
            table.add_row(
                str(line.line_no),
                shorten(line.name + (f" {line.serial}" if line.serial else ""), 22),
                format_qty(line.ordered_milli),
                format_qty(line.delivered_milli),
                format_qty(line.returned_milli) if line.returned_milli else "",
                format_qty(line.pending_milli),
                format_qty(self.chosen[line.line_no]) if line.line_no in self.chosen else "",
                key=str(line.line_no),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        who = shorten(bill.customer_name or "walk-in", 18)
        till = "" if bill.local else f" · till {bill.terminal}"
        going = sum(self.chosen.values())
        now = f" · now {format_qty(going)}" if going else ""
        self.query_one("#delivery-bill", Static).update(
            f"Bill [b]{escape(bill.number)}[/b] · {escape(who)} · "
            f"{MARKS.get(bill.mode, bill.mode)}{escape(till)} · "
            f"pending {format_qty(bill.pending_milli)}{now}"
        )

    # --- other tills' bills -------------------------------------------------------------

    def list_others(self) -> None:
        """Ask the central, in a worker, for the store's bills to deliver here."""
        if not self.app.config.central.url:
            return
        self.query_one("#elsewhere", Static).update("Other tills' bills: asking the central…")
        self.run_worker(
            partial(self.fetch_others, self.app, self.ctx.location, self.customer),
            thread=True,
            exit_on_error=False,
            exclusive=True,
            group="delivery-list",
        )

    def fetch_others(self, app: TillApp, location: str, name: str | None) -> None:
        """In a worker thread: the store's pending bills at ``location`` (network only).
        ``app`` is taken on the UI thread: a screen no longer shown has none of its own."""
        from o2pos.sync.deliveries import (
            OFFLINE_BILLS,
            OrderRefused,
            OrdersUnavailable,
            StoreDeliveries,
        )

        try:
            lookup = StoreDeliveries.connect(app.config.central)
            try:
                found = lookup.pending(location=location, name=name)
            finally:
                lookup.close()
        except (OrdersUnavailable, OrderRefused):
            app.call_from_thread(self.others_listed, name, None, OFFLINE_BILLS)
            return
        app.call_from_thread(self.others_listed, name, found, "")

    @guarded
    def others_listed(
        self, name: str | None, found: list[deliveries.PendingBill] | None, note: str
    ) -> None:
        if name != self.customer or not self.is_attached:
            return  # searched again meanwhile: that answer is on its way
        line = self.query_one("#elsewhere", Static)
        if found is None:
            self.others = []
            line.update(f"{note}: this till's own are listed")
        else:
            self.others = [p for p in found if p.terminal != self.ctx.terminal_id]
            line.update(f"Other tills' bills to deliver: {len(self.others)}")
        if self.bill is None:
            self.show_list()

    def ask_central(self, number: str, own: bool) -> None:
        """The central's copy of bill ``number``, in a worker."""
        self.run_worker(
            partial(self.fetch_bill, self.app, number, own),
            thread=True,
            exit_on_error=False,
            exclusive=True,
            group="delivery-bill",
        )

    def fetch_bill(self, app: TillApp, number: str, own: bool) -> None:
        """In a worker thread: the central's figures of a bill (network only)."""
        from o2pos.sync.deliveries import (
            OFFLINE_BILLS,
            OrderRefused,
            OrdersUnavailable,
            StoreDeliveries,
        )

        try:
            lookup = StoreDeliveries.connect(app.config.central)
            try:
                found = lookup.bill(number)
            finally:
                lookup.close()
        except OrdersUnavailable:
            note = f"Offline: other tills' deliveries of {number} are not counted" if own else ""
            app.call_from_thread(self.central_missing, number, note or OFFLINE_BILLS, not own)
            return
        except OrderRefused as refused:
            if not own:  # own but not there: not pushed yet, no other till has seen it
                app.call_from_thread(self.central_missing, number, refused.message, True)
            return
        app.call_from_thread(self.central_answered, found)

    @guarded
    def central_missing(self, number: str, message: str, error: bool) -> None:
        if not self.is_attached:
            return
        if error:
            self.show_error(shorten(message, 78))
        elif self.bill is not None and self.bill.number == number:
            # beside the list's line, so the notice (a note just delivered) stays
            self.query_one("#elsewhere", Static).update(shorten(message, 78))

    @guarded
    def central_answered(self, found: deliveries.DeliveryBill) -> None:
        if not self.is_attached:
            return
        own = self.bill is not None and self.bill.number == found.number
        if self.bill is not None and not own:
            return  # the cashier turned to another bill meanwhile
        self.central = found
        self.bill = deliveries.view(self.ctx, found.number, found)
        # what the central counts may leave less to deliver than was chosen
        pending = {ln.line_no: ln.pending_milli for ln in self.bill.lines}
        self.chosen = {no: q for no, q in self.chosen.items() if q <= pending.get(no, 0)}
        self.show()
        if not own:
            self.say(f"{found.number} was sold at till {found.terminal}: F9 delivers all")
            self.query_one("#lines", DataTable).focus()

    # --- finding ------------------------------------------------------------------------

    def open_bill(self, number: str) -> None:
        """Show bill ``number``: this till's at once, another till's when the central
        answers (it is asked in either case: other tills may have delivered some)."""
        text = number.strip().upper()
        central = bool(self.app.config.central.url)
        self.central, self.chosen = None, {}
        try:
            self.bill = deliveries.view(self.ctx, text)
        except NotFound:
            if not central:
                raise NotFound(f"No bill numbered {text} on this till") from None
            self.bill = None
            self.say(f"Asking the central for {text}…")
            self.ask_central(text, own=False)
            return
        self.show()
        self.say(
            "Enter on a line: how many go now · F10 delivers them · F9: all pending"
            if self.bill.pending_milli
            else f"{self.bill.number} is delivered in full"
        )
        self.query_one("#lines", DataTable).focus()
        if central:
            self.ask_central(text, own=True)

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A bill number holds a digit and a dash; anything else is a customer to list."""
        text = event.value.strip()
        event.input.value = ""
        if "-" in text and any(c.isdigit() for c in text):
            self.open_bill(text)
            return
        self.bill, self.central, self.chosen = None, None, {}
        self.customer = text or None
        self.show()
        self.list_others()
        self.say("")

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        if event.data_table.id == "bills":
            self.open_bill(key)
            return
        bill = self.bill
        if bill is None:
            return
        line = bill.line(int(key))
        if not line.pending_milli:
            raise ValidationError(f"{line.name} is delivered in full")

        def chosen(qty: int | None) -> None:
            if qty is not None:
                self.chosen[line.line_no] = qty
                self.show()

        self.app.push_screen(
            QuantityDialog(
                line.name,
                format_qty(self.chosen.get(line.line_no, line.pending_milli)),
                check=partial(deliveries.check_quantity, bill, line.line_no),
            ),
            chosen,
        )

    # --- keys ---------------------------------------------------------------------------

    def action_focus_list(self) -> None:
        hop(self, "#number", "#bills" if self.bill is None else "#lines")

    def action_back(self) -> None:
        if self.bill is None:
            self.query_one("#number", Input).focus()
            return
        self.bill, self.central, self.chosen = None, None, {}
        self.show()
        self.say("")
        self.query_one("#bills", DataTable).focus()

    @guarded
    def action_drop(self) -> None:
        if self.bill is None:
            raise ValidationError("Pick a bill first")
        table = self.query_one("#lines", DataTable)
        if table.row_count:
            self.chosen.pop(self.bill.lines[table.cursor_row].line_no, None)
            self.show()

    @guarded
    def action_deliver_all(self) -> None:
        bill = self.need_bill()
        self.chosen = {ln.line_no: ln.pending_milli for ln in bill.lines if ln.pending_milli}
        self.show()
        self.ask_how()

    @guarded
    def action_deliver(self) -> None:
        self.need_bill()
        if not self.chosen:
            raise ValidationError("Enter on a line sets what goes now; F9 delivers all")
        self.ask_how()

    def need_bill(self) -> deliveries.DeliveryBill:
        if self.bill is None:
            raise ValidationError("Scan or pick the bill to deliver first")
        if not self.bill.pending_milli:
            raise ValidationError(f"{self.bill.number} is delivered in full")
        return self.bill

    def ask_how(self) -> None:
        bill = self.need_bill()
        ctx, employee, items, central = self.ctx, self.employee, dict(self.chosen), self.central
        count = len(items)

        def deliver(mode: str, reference: str) -> deliveries.DeliveryNote:
            return deliveries.deliver(
                ctx, employee, bill.number, items, mode, reference, central=central
            )

        self.app.push_screen(
            DeliverDialog(
                f"Deliver {count} line{'s' if count != 1 else ''} of {bill.number}",
                bill.mode,
                deliver,
            ),
            self.delivered,
        )

    def delivered(self, note: deliveries.DeliveryNote | None) -> None:
        if note is None:
            return
        self.chosen = {}
        if note.pending_milli:  # the bill again, with what is left (and the central's count)
            self.open_bill(note.sale_number)
            rest = f"{format_qty(note.pending_milli)} still to deliver"
        else:
            self.action_back()
            self.list_others()
            rest = "delivered in full"
        self.say(f"Delivery note {note.number}: {note.sale_number} {rest}")
        self.app.print_document(note.number)
        text = self.app.slip_text(note.number)
        self.app.push_screen(
            TextDialog(f"Delivery note {note.number}", text, self.app.print_copy(note.number))
        )
