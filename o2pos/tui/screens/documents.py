"""Receipts (F3): take payment for saved bills and collect dues; Returns (ctrl+r).

A number this till does not hold is asked of the central in a worker thread (the screen
never waits on the network): found there, the order is claimed for this till and paid with
``payments.collect``, in one receipt with this till's own bills if chosen too; when the
central cannot be reached the cashier reads that other tills' bills are unavailable
offline, and this till's own keep working.
"""

from __future__ import annotations

import uuid as uuidlib
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input, Static

from o2pos.core import payments, returns
from o2pos.core.auth import Approval
from o2pos.core.errors import DomainError, NotFound, StateError, ValidationError
from o2pos.core.money import format_amount, format_qty
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import QuantityDialog, TextDialog
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.text import escape, shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:  # the network client loads in the workers that use it
    from o2pos.sync.orders import StoreOrder
    from o2pos.sync.returns import ReturnClaim


class ReceiptsScreen(TillScreen):
    """Find orders by number (typed or scanned from the bill) or by customer name, and pay
    one or several, of this till and of the store's other tills, in one receipt.

    The open bills of the store's other tills are listed beside this till's own, asked of
    the central in a worker; offline, the list holds this till's own and one line says why
    the others are missing.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.RECEIPTS]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(
            placeholder="order number (scan the bill) or customer name · Enter", id="number"
        )
        yield DataTable(id="orders", cursor_type="row")
        yield Static("", id="others", classes="muted")
        yield Static("", id="due")
        yield Static("Open bills with a balance: ↓ to pick", id="notice", classes="muted")
        yield KeyBar("receipts")

    def on_mount(self) -> None:
        self.chosen: list[payments.OrderView] = []
        # number -> the claim on it, for the chosen orders made at other tills
        self.remote: dict[str, payments.RemoteOrder] = {}
        # number -> the claim id asked for it, kept when the answer was lost on the way:
        # asking again with it gets the same claim, not a second one this till is then
        # refused for (the central holds the first for its lease)
        self.asked: dict[str, str] = {}
        # other tills' open bills as the central last listed them, and the customer name
        # the list is narrowed to (None: every open bill)
        self.others: list[payments.OrderView] = []
        self.customer_query: str | None = None
        table = self.query_one("#orders", DataTable)
        for label, width in (
            ("Order", 15),
            ("Customer", 12),
            ("Total", 11),
            ("Paid", 11),
            ("Balance", 11),
            ("Till", 6),
        ):
            table.add_column(label, width=width)
        self.query_one("#others", Static).display = bool(self.app.config.central.url)
        self.show_orders()
        self.list_others()
        self.query_one("#number", Input).focus()

    def list_others(self) -> None:
        """Ask the central, in a worker, for the other tills' open bills (of ``name``)."""
        if not self.app.config.central.url:
            return
        self.query_one("#others", Static).update("Other tills' bills: asking the central…")
        self.run_worker(
            partial(self.fetch_others, self.customer_query),
            thread=True,
            exit_on_error=False,
            exclusive=True,
            group="other-bills",
        )

    def fetch_others(self, name: str | None) -> None:
        """In a worker thread: the store's open bills made at other tills."""
        from o2pos.sync.orders import OFFLINE, OrdersUnavailable, StoreOrders

        try:
            lookup = StoreOrders.from_config(self.app.config.central)
            try:
                found = lookup.open_orders(name=name)
            finally:
                lookup.close()
        except OrdersUnavailable:
            self.app.call_from_thread(self.others_listed, name, None, OFFLINE)
            return
        self.app.call_from_thread(self.others_listed, name, found, "")

    @guarded
    def others_listed(self, name: str | None, found: list[StoreOrder] | None, note: str) -> None:
        if name != self.customer_query or not self.is_attached:
            return  # the cashier searched again meanwhile: that answer is on its way
        line = self.query_one("#others", Static)
        if found is None:
            self.others = []
            line.update(f"{note}: only this till's bills are listed")
            self.show_orders()
            return
        here = self.ctx.terminal_id
        # paid here, not at the central yet: its balance there is still the old one
        unsent = payments.paid_unsent(self.ctx)
        others = [o for o in found if o.terminal != here and o.balance > unsent.get(o.uuid, 0)]
        free = [o for o in others if o.held_by in (None, here)]
        self.others = [
            payments.OrderView(
                o.number,
                o.customer_name,
                o.total,
                o.paid,
                o.balance - unsent.get(o.uuid, 0),
                o.terminal,
            )
            for o in free
        ]
        busy = len(others) - len(free)
        held = f" · {busy} being paid at other counters" if busy else ""
        line.update(f"Other tills' bills: {len(free)} listed{held}")
        self.show_orders()

    def show_orders(self) -> None:
        table = self.query_one("#orders", DataTable)
        table.clear()
        numbers = [order.number for order in self.chosen]
        own = payments.open_orders(self.ctx, name=self.customer_query)
        listed = [o for o in [*own, *self.others] if o.number not in numbers]
        for order in [*self.chosen, *listed]:
            till = shorten(order.terminal, 5) if order.terminal else ""
            table.add_row(
                order.number,
                shorten(order.customer_name or "walk-in", 12),
                format_amount(order.total),
                format_amount(order.paid),
                format_amount(order.balance),
                f"{till}{'✓' if order.number in numbers else ''}",
                key=order.number,
            )
        due = sum(order.balance for order in self.chosen)
        self.query_one("#due", Static).update(
            f"Chosen {len(self.chosen)} · due [b]{format_amount(due)}[/b] · F10 pay · ctrl+d drop"
        )

    def search(self, text: str) -> None:
        """List only the bills of customers whose name holds ``text`` (empty: all again)."""
        self.customer_query = text.strip() or None
        self.show_orders()
        self.list_others()
        query = self.customer_query
        if query is None:
            self.say("Open bills with a balance: ↓ to pick")
        else:
            self.say(f"Bills of customers named like {query!r}: ↓ to pick · Enter: all")

    def choose(self, number: str) -> None:
        try:
            order = payments.payable_order(self.ctx, number)
        except NotFound:
            if not self.app.config.central.url:
                raise
            self.say(f"Asking the central for {number.strip().upper()}…")
            key = number.strip().upper()
            claim_id = self.asked.setdefault(key, str(uuidlib.uuid4()))
            self.run_worker(
                partial(self.fetch_remote, key, claim_id),
                thread=True,
                exit_on_error=False,
                group="remote-order",
            )
            return
        if order.number not in [chosen.number for chosen in self.chosen]:
            self.chosen.append(order)
        self.show_orders()

    def fetch_remote(self, number: str, claim_id: str) -> None:
        """In a worker thread: find another till's order and claim it for this till."""
        from o2pos.sync.orders import OFFLINE, OrderRefused, OrdersUnavailable, StoreOrders

        try:
            lookup = StoreOrders.from_config(self.app.config.central)
            try:
                order = lookup.find(number)
                if order.balance <= 0:
                    raise OrderRefused("paid", f"{order.number} is already paid", {})
                claimed = lookup.claim(order, claim_id)
            finally:
                lookup.close()
        except OrdersUnavailable:  # why is F12's to show: one line here, at 80 columns
            self.app.call_from_thread(self.show_error, f"{OFFLINE}; this till's own work")
            return
        except OrderRefused as problem:
            self.app.call_from_thread(self.show_error, shorten(problem.message, 78))
            return
        view = payments.OrderView(
            order.number,
            order.customer_name,
            order.total,
            order.paid,
            claimed.balance,
            order.terminal,
        )
        self.app.call_from_thread(self.remote_chosen, view, claimed)

    @guarded
    def remote_chosen(self, view: payments.OrderView, claimed: payments.RemoteOrder) -> None:
        self.remote[view.number] = claimed
        if view.number not in [chosen.number for chosen in self.chosen]:
            self.chosen.append(view)
        self.show_orders()
        self.say(f"{view.number} of till {claimed.terminal} is held for this till: F10 pays it")

    def release_remote(self, claimed: payments.RemoteOrder) -> None:
        """In a worker thread: free a dropped order at once for other counters (if the
        central cannot be reached, its lease simply runs out)."""
        from o2pos.sync.orders import OrderRefused, OrdersUnavailable, StoreOrders

        try:
            lookup = StoreOrders.from_config(self.app.config.central)
            try:
                lookup.release(claimed)
            finally:
                lookup.close()
        except (OrdersUnavailable, OrderRefused):
            return

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        """An order number always holds a digit, a customer's name is searched for."""
        text = event.value.strip()
        event.input.value = ""
        if text and any(c.isdigit() for c in text):
            self.choose(text)
        elif text or self.customer_query is not None:
            self.search(text)

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.choose(str(event.row_key.value))

    def action_focus_list(self) -> None:
        hop(self, "#number", "#orders")

    def action_drop(self) -> None:
        if self.chosen:
            dropped = self.chosen.pop()
            claimed = self.remote.pop(dropped.number, None)
            self.asked.pop(dropped.number, None)
            if claimed is not None:
                self.run_worker(
                    partial(self.release_remote, claimed),
                    thread=True,
                    exit_on_error=False,
                    group="remote-order",
                )
            self.show_orders()

    @guarded
    def action_pay(self) -> None:
        """Pay every chosen bill, this till's and other tills', in one receipt: what the
        central holds is held for this till first (``hold``), else nothing is paid."""
        if not self.chosen:
            raise ValidationError("Choose the bills to pay first")
        numbers = [order.number for order in self.chosen]
        own = [n for n in numbers if n not in self.remote]
        remote = [self.remote[n] for n in numbers if n in self.remote]
        pushed = payments.pushed_orders(self.ctx, own) if self.app.config.central.url else []
        if not remote and not pushed:
            self.pay(own, [], [], offline=False)
            return
        self.say("Holding these bills at the central…")
        self.run_worker(
            partial(self.hold, own, pushed, remote),
            thread=True,
            exit_on_error=False,
            group="remote-order",
        )

    def hold(
        self, own: list[str], pushed: list[payments.OwnOrder], remote: list[payments.RemoteOrder]
    ) -> None:
        """In a worker thread: renew the claims on other tills' bills (a lease may have run
        out while the cashier chose more) and claim this till's own pushed bills, so none
        is paid at two counters. Offline, the till goes on with its own bills alone (a
        double payment is then flagged at the central); other tills' bills wait."""
        from o2pos.sync.orders import OFFLINE, OrderRefused, OrdersUnavailable, StoreOrders

        try:
            lookup = StoreOrders.from_config(self.app.config.central)
            try:
                renewed, claims = lookup.hold(remote, pushed)
            finally:
                lookup.close()
        except OrdersUnavailable:
            if remote:
                message = f"{OFFLINE}: ctrl+d drops them to pay this till's"
                self.app.call_from_thread(self.show_error, message)
            else:
                self.app.call_from_thread(self.pay, own, [], [], offline=True)
            return
        except OrderRefused as problem:
            self.app.call_from_thread(self.show_error, shorten(problem.message, 78))
            return
        self.app.call_from_thread(self.pay, own, claims, renewed, offline=False)

    @guarded
    def pay(
        self,
        own: list[str],
        claims: list[payments.RemoteOrder],
        remote: list[payments.RemoteOrder],
        *,
        offline: bool,
    ) -> None:
        """The payment dialog for this till's bills ``own`` (held at the central under
        ``claims``) and other tills' bills ``remote``, one receipt for all."""
        ctx, employee = self.ctx, self.employee
        self.remote.update({order.number: order for order in remote})
        self.say("")
        due, part_payment = payments.collect_terms(ctx, own, remote)
        self.app.push_screen(
            PaymentScreen(
                due,
                lambda tenders: payments.collect(ctx, employee, own, tenders, remote=remote),
                title="Receipt",
                partial=part_payment,
                on_account=False,  # what is owed is paid in money, not put on account again
                confirm=partial(self.renew_held, remote, claims) if remote or claims else None,
            ),
            partial(self.paid, claims=claims, offline=offline),
        )

    def renew_held(
        self, remote: list[payments.RemoteOrder], claims: list[payments.RemoteOrder]
    ) -> None:
        """In the payment dialog's worker, as the cashier confirms: renew every claim of
        the receipt, whose lease may have run out while cash was counted. A bill another
        counter took or paid meanwhile stops the receipt (``StateError`` names it). Offline
        now, this till's own bills are paid all the same, as offline at F10; other tills'
        bills are not."""
        from o2pos.sync.orders import OFFLINE, OrderRefused, OrdersUnavailable, StoreOrders

        try:
            lookup = StoreOrders.from_config(self.app.config.central)
            try:
                lookup.renew_all([*remote, *claims])
            finally:
                lookup.close()
        except OrdersUnavailable as exc:
            if remote:
                raise StateError(f"{OFFLINE}: nothing was paid") from exc
        except OrderRefused as exc:
            raise StateError(f"{shorten(exc.message, 56)}: nothing was paid") from exc

    def paid(
        self,
        result: tuple[payments.Receipt, payments.Settlement] | None,
        claims: list[payments.RemoteOrder] | None = None,
        offline: bool = False,
    ) -> None:
        if result is None:
            if claims:  # cancelled: the bills are free again for other counters at once
                self.run_worker(
                    partial(self.release_own, claims),
                    thread=True,
                    exit_on_error=False,
                    group="remote-order",
                )
            return
        receipt, settlement = result
        self.chosen = []
        self.remote, self.asked = {}, {}
        self.query_one("#number", Input).focus()  # the next bill is scanned, not the list
        self.show_orders()
        self.list_others()
        change = f" · CHANGE {format_amount(settlement.change)}" if settlement.change else ""
        checked = " · paid offline: checked at the central" if offline else ""
        self.say(
            f"Receipt {receipt.number}: {format_amount(settlement.applied)} received"
            f"{change}{checked}"
        )
        self.app.print_document(receipt.number)

    def release_own(self, claims: list[payments.RemoteOrder]) -> None:
        """In a worker thread: free this till's own bills whose payment was cancelled."""
        from o2pos.sync.orders import OrdersUnavailable, StoreOrders

        try:
            lookup = StoreOrders.from_config(self.app.config.central)
        except OrdersUnavailable:
            return
        try:
            lookup.release_all(claims)
        finally:
            lookup.close()


class ReturnsScreen(TillScreen):
    """Find the original sale, choose lines and quantities, refund; a manager approves.

    A sale this till did not make is asked of the central in a worker (the screen never
    waits on the network) and returned from the central's copy, under a claim on the
    quantities taken back. This till's own sale is narrowed to what other tills left of
    it when the central answers, and claimed too before it is recorded; offline, the till
    returns its own sales from what it knows, and says so.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.RETURNS]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(placeholder="number of the original bill (scan it)", id="number")
        yield DataTable(id="lines", cursor_type="row")
        yield Static("", id="refund")
        yield Static(
            "Enter on a line: quantity to return · m: refund method · F10: refund",
            id="notice",
            classes="muted",
        )
        yield KeyBar("returns")

    def on_mount(self) -> None:
        self.sale: returns.ReturnableSale | None = None
        self.chosen: dict[int, int] = {}
        # the central's claim for the sale shown, reused if F10 is pressed again (after a
        # cancelled PIN, say), so the quantities it holds are not held twice; released
        # when the cashier turns to another bill
        self.held: ReturnClaim | None = None
        self.methods = returns.refund_methods(self.ctx)
        self.method_index = 0
        table = self.query_one("#lines", DataTable)
        for label, width in (
            ("#", 3),
            ("Item", 24),
            ("Sold", 7),
            ("Can return", 10),
            ("Returning", 9),
            ("Paid", 10),
        ):
            table.add_column(label, width=width)
        self.query_one("#number", Input).focus()
        self.show_refund()

    def show_lines(self) -> None:
        table = self.query_one("#lines", DataTable)
        table.clear()
        if self.sale is None:
            return
        for line in self.sale.lines:
            table.add_row(
                str(line.line_no),
                shorten(line.name, 24),
                format_qty(line.sold_milli),
                format_qty(line.left_milli),
                format_qty(self.chosen[line.id]) if line.id in self.chosen else "",
                format_amount(line.total),
                key=str(line.id),
            )
        self.show_refund()

    def show_refund(self) -> None:
        method = self.methods[self.method_index]
        against = f"against {self.sale.number} · " if self.sale else ""
        amount = ""
        if self.sale is not None and self.chosen:
            try:  # what F10 will refund, figured as the return will be
                refund = returns.quote(self.ctx, self.sale, self.chosen, method.code)
                amount = f"[b]{format_amount(refund)}[/b] "
            except DomainError:
                amount = ""  # F10 says why
        self.query_one("#refund", Static).update(
            f"{against}refund {amount}by [b]{escape(method.name)}[/b] (m to change)"
        )

    def find(self, number: str, *, quiet: bool = False) -> None:
        """Show the sale ``number``; ``quiet`` keeps the notice (a return just made)."""
        central = bool(self.app.config.central.url)
        if self.held is not None:  # not used: free its quantities for other counters at once
            self.run_worker(partial(self.release, self.held), thread=True, exit_on_error=False)
            self.held = None
        try:
            self.sale, self.chosen = returns.returnable_sale(number), {}
        except NotFound:
            if not central:
                raise
            self.sale, self.chosen = None, {}
            self.show_lines()
            if not quiet:
                self.say(f"Asking the central for {number.strip().upper()}…")
            self.lookup(number, own=False, quiet=quiet)
            return
        self.show_lines()
        if central:  # what other tills took back of it narrows what can come back here
            self.lookup(number, own=True, quiet=quiet)

    def lookup(self, number: str, *, own: bool, quiet: bool) -> None:
        self.run_worker(
            partial(self.fetch_sale, number.strip(), own, quiet),
            thread=True,
            exit_on_error=False,
            group="remote-sale",
        )

    def fetch_sale(self, number: str, own: bool, quiet: bool) -> None:
        """In a worker thread: the central's copy of a sale, with what came back of it."""
        from o2pos.sync.returns import (
            OFFLINE_SALES,
            UNCHECKED,
            OrderRefused,
            OrdersUnavailable,
            StoreSales,
        )

        try:
            lookup = StoreSales.connect(self.app.config.central)
            try:
                found = lookup.sale(number)
            finally:
                lookup.close()
        except OrdersUnavailable:
            if not quiet:
                message = f"Offline: {UNCHECKED}" if own else OFFLINE_SALES
                self.app.call_from_thread(self.say, message, error=not own)
            return
        except OrderRefused as problem:
            if not own and not quiet:  # own and unknown there: not pushed, no other till saw it
                self.app.call_from_thread(self.show_error, shorten(problem.message, 78))
            return
        self.app.call_from_thread(self.central_answered, found, quiet)

    @guarded
    def central_answered(self, found: returns.RemoteSale, quiet: bool) -> None:
        if self.sale is not None and self.sale.local and self.sale.number == found.number:
            self.sale = returns.with_central(self.sale, found)
        else:
            self.sale, self.chosen = returns.remote_returnable(found), {}
            if not quiet:
                self.say(
                    f"{found.number} was sold at till {found.terminal}: choose what comes back"
                )
        self.show_lines()

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.find(event.value)
        event.input.value = ""
        self.query_one("#lines", DataTable).focus()

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.sale is None:
            return
        line_id = int(str(event.row_key.value))
        line = next(line for line in self.sale.lines if line.id == line_id)

        def chosen(qty: int | None) -> None:
            if qty is not None:
                if qty:
                    self.chosen[line_id] = qty
                else:  # 0: this line does not come back after all
                    self.chosen.pop(line_id, None)
                table = self.query_one("#lines", DataTable)
                row = table.cursor_row
                self.show_lines()
                # on the line just set, not back on the first: the next Down, Enter must
                # open the line after it, not one the cashier did not mean
                table.move_cursor(row=row)

        self.app.push_screen(
            QuantityDialog(
                line.name,
                format_qty(self.chosen.get(line_id, line.left_milli)),
                # refused as typed (1.5 of a piece), not at F10 after a manager's PIN
                check=partial(returns.check_returnable, self.sale, line_id),
                none=True,
            ),
            chosen,
        )

    def action_focus_list(self) -> None:
        hop(self, "#number", "#lines")

    def action_method(self) -> None:
        self.method_index = (self.method_index + 1) % len(self.methods)
        self.show_refund()

    @guarded
    def action_refund(self) -> None:
        if self.sale is None or not self.chosen:
            raise ValidationError("Find the bill and choose what comes back first")
        if not self.app.config.central.url:
            self.record(None)
            return
        by_id = {line.id: line.line_no for line in self.sale.lines}
        wanted = [returns.ReturnItem(by_id[i], qty) for i, qty in self.chosen.items()]
        self.say("Holding these items at the central…")
        self.run_worker(
            partial(self.claim, self.sale, wanted, self.held.claim_id if self.held else None),
            thread=True,
            exit_on_error=False,
            group="remote-sale",
        )

    def claim(
        self, sale: returns.ReturnableSale, wanted: list[returns.ReturnItem], claim_id: str | None
    ) -> None:
        """In a worker thread: claim the quantities at the central, then record the return.

        Another till's sale cannot be returned without the claim; this till's own sale is
        returned from what the till knows when the central cannot be asked, or has not had
        it yet (then no other till can have returned any of it)."""
        from o2pos.sync.returns import (
            OFFLINE_SALES,
            UNCHECKED,
            OrderRefused,
            OrdersUnavailable,
            StoreSales,
        )

        try:
            lookup = StoreSales.connect(self.app.config.central)
            try:
                central = sale.central
                if sale.local or central is None:  # the central's latest, for its uuid
                    central = lookup.sale(sale.number)
                held = lookup.claim_return(central, wanted, claim_id=claim_id)
            finally:
                lookup.close()
        except OrdersUnavailable:
            if not sale.local:
                self.app.call_from_thread(self.show_error, OFFLINE_SALES)
                return
            self.app.call_from_thread(self.record, None, f"Offline: {UNCHECKED}")
            return
        except OrderRefused as problem:
            if sale.local and problem.code == "not_found":
                self.app.call_from_thread(self.record, None)
                return
            self.app.call_from_thread(self.show_error, shorten(problem.message, 78))
            return
        self.app.call_from_thread(self.record, held)

    def release(self, held: ReturnClaim) -> None:
        """In a worker thread: give a claim up; if the central cannot be reached its lease
        simply runs out."""
        from o2pos.sync.returns import OrderRefused, OrdersUnavailable, StoreSales

        try:
            lookup = StoreSales.connect(self.app.config.central)
            try:
                lookup.release_return(held)
            finally:
                lookup.close()
        except (OrdersUnavailable, OrderRefused):
            return

    @guarded
    def record(self, held: ReturnClaim | None, warning: str = "") -> None:
        """Record the return (a manager approves if need be), under ``claim_id`` if any;
        ``warning`` (offline) stays on screen while it is recorded."""
        sale = self.sale
        if sale is None:
            return
        ctx, employee, number = self.ctx, self.employee, sale.number
        items = [returns.ReturnItem(line_id, qty) for line_id, qty in self.chosen.items()]
        method = self.methods[self.method_index].code
        self.say(warning)
        self.held = held
        claim_id = held.claim_id if held is not None else None
        central = sale.central
        if not sale.local and central is not None and claim_id is not None:
            remote_claim = claim_id

            def action(approval: Approval | None) -> object:
                return returns.create_remote(
                    ctx, employee, central, items, method, claim_id=remote_claim, approval=approval
                )
        else:

            def action(approval: Approval | None) -> object:
                return returns.create(
                    ctx, employee, number, items, method, approval=approval, claim_id=claim_id
                )

        run_with_approval(
            self,
            action,
            lambda ret: self.done(number, ret.number, ret.total, offline=bool(warning)),
        )

    def done(self, sale_number: str, number: str, total: int, *, offline: bool = False) -> None:
        self.sale, self.chosen, self.held = None, {}, None  # the claim is used: settled
        self.find(sale_number, quiet=True)
        note = " · not checked at other tills (offline)" if offline else ""
        self.say(shorten(f"Return {number}: refund {format_amount(total)}{note}", 78))
        self.app.print_document(number)
        # it printed as it was made; p prints a copy, as on every slip shown
        text = self.app.slip_text(number)
        self.app.push_screen(TextDialog(f"Return {number}", text, self.app.print_copy(number)))
