"""Stock transfers (ctrl+o): send stock to another location, and receive what was sent here.

Out: F7 chooses where the goods go, scans (``3*CODE``) put them on the transfer, F10 sends
it after a confirmation and prints the numbered transfer note. In (ctrl+o again): the
transfers sent to this location, asked of the central in a worker (the screen never waits
on the network; offline it says the list needs the central); Enter opens one, which holds
it for this till at the central; each line is confirmed or its quantity entered (Enter),
or what arrived is scanned; a difference gets its reason, a manager's PIN approves it, and
F10 receives it and prints the receipt note.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from o2pos.core import auth, sales, transfers
from o2pos.core.auth import Perm
from o2pos.core.errors import ValidationError
from o2pos.core.money import format_qty
from o2pos.core.transfers import Count, Incoming
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.bill_dialogs import LotDialog
from o2pos.tui.screens.dialogs import (
    ConfirmDialog,
    Dialog,
    QuantityDialog,
    SerialDialog,
    TextDialog,
)
from o2pos.tui.text import escape, shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.scan_box import ScanBox
from o2pos.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:  # the network client loads in the workers that use it
    from o2pos.sync.transfers import TransferClaim, TransferSummary


def lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def sent_local(screen: TillScreen, stamp: str) -> str:
    """The sending till's UTC stamp as this store's wall-clock time, day first."""
    try:
        moment = datetime.fromisoformat(stamp.removesuffix("Z"))
    except ValueError:
        return stamp[:16]
    return screen.ctx.local(moment).strftime("%d-%m-%Y %H:%M")


def may_transfer(screen: TillScreen) -> bool:
    return auth.has_permission(screen.employee, Perm.MANAGE_STOCK)


def not_allowed(screen: TillScreen) -> str:
    return (
        f"{screen.employee.code} may not {auth.PERMISSION_LABELS[Perm.MANAGE_STOCK]}: "
        "sign in as stock staff or a manager (ctrl+l)"
    )


class DestinationDialog(Dialog):
    """Where the goods go: the store's other locations, as the central published them."""

    def __init__(self, places: list[transfers.Destination], current: str | None) -> None:
        super().__init__()
        self.places, self.current = places, current

    def compose(self) -> ComposeResult:
        options = [Option(f"{p.code:<10} {shorten(p.name, 40)}", id=p.code) for p in self.places]
        with Vertical(classes="dialog"):
            yield Static("Send the goods to", classes="dialog-title")
            if options:
                yield OptionList(*options, id="places")
            else:
                yield Static(
                    "This till knows no other location: F12 pulls the store's locations "
                    "from the central."
                )
            yield Static("Enter: choose · Esc: cancel", classes="muted")

    def on_mount(self) -> None:
        if self.current and self.places:
            codes = [p.code for p in self.places]
            if self.current in codes:
                self.query_one("#places", OptionList).highlighted = codes.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class ReasonDialog(Dialog):
    """Why what arrived differs from what was sent (printed on the receipt note)."""

    def __init__(self, title: str, current: str = "") -> None:
        super().__init__()
        self.title_text, self.current = title, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(self.current, placeholder="reason, e.g. carton crushed", id="reason")
            yield Static("", classes="error")
            yield Static("Enter: save · Esc: cancel", classes="muted")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.show_error("A difference needs its reason")
            return
        self.dismiss(event.value.strip()[: transfers.REASON_LENGTH])


class TransferOutScreen(TillScreen):
    """A transfer from this location to another: scanned, then sent with F10."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.TRANSFER_OUT]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="item-row"):
            yield Static("Item ", id="item-label")
            yield ScanBox(
                placeholder="scan or type a barcode or SKU · 3*CODE for three",
                id="item",
                max_length=64,
            )
        yield Static("", id="transfer-head")
        yield DataTable(id="lines", cursor_type="row")
        yield Static("", id="notice")
        yield KeyBar("transfer_out")

    def on_mount(self) -> None:
        self.draft: transfers.Draft | None = None
        table = self.query_one("#lines", DataTable)
        for label, width in (
            ("#", 3),
            ("Item", 30),
            ("Qty", 9),
            ("Lot / serial", 14),
            ("On hand", 9),
        ):
            table.add_column(label, width=width)
        self.query_one("#item", Input).focus()
        if not may_transfer(self):
            self.show_draft()
            self.show_error(not_allowed(self))
            return
        self.draft = transfers.open_draft(self.ctx)
        self.show_draft()
        if self.draft is not None and self.draft.lines:
            self.say(f"The transfer in progress, {lines(len(self.draft.lines))}: F10 sends it")
        elif self.draft is None:
            self.say("F7 chooses where the goods go; then scan them · ctrl+o: incoming")

    def show_draft(self, select: int | None = None) -> None:
        draft = self.draft
        head = self.query_one("#transfer-head", Static)
        here = self.ctx.location
        if draft is None:
            head.update(f"Transfer out of [b]{escape(here)}[/b] · to: F7 to choose")
        else:
            units = format_qty(draft.total_milli)
            head.update(
                f"Transfer out of [b]{escape(here)}[/b] to [b]{escape(draft.to_location)}[/b] "
                f"{escape(shorten(draft.to_name, 20))} · {lines(len(draft.lines))} · qty {units}"
            )
        table = self.query_one("#lines", DataTable)
        table.clear()
        for line in draft.lines if draft else ():
            detail = f"lot {line.lot_no}" if line.lot_no else line.serial or ""
            table.add_row(
                str(line.line_no),
                shorten(line.name, 30),
                format_qty(line.qty_milli),
                shorten(detail, 14),
                format_qty(line.on_hand),
                key=str(line.id),
            )
        if select is not None and draft is not None:
            ids = [line.id for line in draft.lines]
            if select in ids:
                table.move_cursor(row=ids.index(select))

    def show_error(self, text: str) -> None:
        super().show_error(text)
        self.query_one("#item", Input).focus()

    def selected_line(self, missing: str) -> transfers.DraftLine:
        table = self.query_one("#lines", DataTable)
        if self.draft is None or not self.draft.lines or table.row_count == 0:
            raise ValidationError(missing)
        return self.draft.lines[min(table.cursor_row, len(self.draft.lines) - 1)]

    # --- filling it -------------------------------------------------------------------

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.add(text)

    def add(self, text: str, serial: str | None = None, lot_no: str | None = None) -> None:
        if not may_transfer(self):
            raise ValidationError(not_allowed(self))
        if self.draft is None:  # where to first; the scan goes on once it is chosen
            self.choose_destination(then=partial(self.guarded_add, text))
            return
        before = {line.id: line.qty_milli for line in self.draft.lines}
        try:
            self.draft = transfers.add_item(
                self.ctx, self.draft.id, text, self.employee, serial=serial, lot_no=lot_no
            )
        except sales.SerialRequired as needs:
            self.app.push_screen(
                SerialDialog(needs.product_name),
                lambda serial: serial and self.guarded_add(text, serial),
            )
            return
        self.query_one("#item", Input).value = ""
        changed = [ln for ln in self.draft.lines if before.get(ln.id) != ln.qty_milli]
        line = changed[-1] if changed else self.draft.lines[-1]
        self.show_draft(select=line.id)
        short = "" if line.on_hand >= line.qty_milli else f" · only {format_qty(line.on_hand)} here"
        self.say(shorten(f"{line.name} × {format_qty(line.qty_milli)}{short}", 78))

    @guarded
    def guarded_add(self, text: str, serial: str | None = None, lot_no: str | None = None) -> None:
        self.add(text, serial, lot_no)

    def choose_destination(self, then: Any = None) -> None:
        places = transfers.destinations(self.ctx)
        current = self.draft.to_location if self.draft else None

        @guarded
        def chosen(screen: TransferOutScreen, code: str | None) -> None:
            if not code:
                return
            screen.draft = transfers.start(screen.ctx, screen.employee, code)
            screen.show_draft()
            screen.say(f"Sending to {screen.draft.to_location}: scan what goes")
            if then is not None:
                then()

        self.app.push_screen(DestinationDialog(places, current), lambda c: chosen(self, c))

    @guarded
    def action_destination(self) -> None:
        if not may_transfer(self):
            raise ValidationError(not_allowed(self))
        self.choose_destination()

    def action_focus_list(self) -> None:
        hop(self, "#item", "#lines")

    def action_focus_item(self) -> None:
        self.query_one("#item", Input).focus()

    @guarded
    def action_remove_line(self) -> None:
        line = self.selected_line("The transfer has no line to remove")
        assert self.draft is not None
        self.draft = transfers.remove_line(self.ctx, self.draft.id, line.id, self.employee)
        self.show_draft()
        self.say(f"{line.name} taken off the transfer")

    @guarded
    def action_quantity(self) -> None:
        line = self.selected_line("Scan an item first")
        draft = self.draft
        assert draft is not None

        @guarded
        def apply(screen: TransferOutScreen, qty: int | None) -> None:
            if qty is not None:
                screen.draft = transfers.set_qty(
                    screen.ctx, draft.id, line.id, qty, screen.employee
                )
                screen.show_draft(select=line.id)
                screen.say(f"{line.name} × {format_qty(qty)}")

        self.app.push_screen(
            QuantityDialog(line.name, format_qty(line.qty_milli)), lambda q: apply(self, q)
        )

    @guarded
    def action_lot(self) -> None:
        """ctrl+t: send the item in the box from a lot the clerk picks."""
        text = self.query_one("#item", Input).value.strip()
        if not text:
            raise ValidationError("Type or scan the item first, then ctrl+t to pick its lot")
        name, lots = sales.lots_for(self.ctx, text)
        self.app.push_screen(
            LotDialog(name, lots, verb="send from this lot"),
            lambda lot_no: lot_no and self.guarded_add(text, lot_no=lot_no),
        )

    @guarded
    def action_send(self) -> None:
        draft = self.draft
        if draft is None or not draft.lines:
            raise ValidationError("Nothing to send: F7 chooses where, then scan the goods")
        text = (
            f"{lines(len(draft.lines))}, quantity {format_qty(draft.total_milli)} in all, from "
            f"{self.ctx.location} to {draft.to_location} {draft.to_name}. They leave the "
            "stock here now and show in transit there until received."
        )
        self.app.push_screen(
            ConfirmDialog("Send this transfer?", text, "send and print the transfer note"),
            lambda yes: yes and self.send(draft.id),
        )

    @guarded
    def send(self, transfer_id: int) -> None:
        sent = transfers.send(self.ctx, transfer_id, self.employee)
        self.draft = None
        self.show_draft()
        self.query_one(StatusBar).refresh_status()
        self.say(f"Transfer {sent.number} sent to {sent.to_location}: in transit until received")
        self.app.print_document(sent.number)
        text = self.app.slip_text(sent.number)
        self.app.push_screen(
            TextDialog(f"Transfer {sent.number}", text, self.app.print_copy(sent.number))
        )


class TransferInScreen(TillScreen):
    """Transfers sent to this location: listed by the central, opened (held for this
    till), counted and received."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.TRANSFER_IN]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="item-row"):
            yield Static("Scan ", id="item-label")
            yield ScanBox(placeholder="", id="item", max_length=64)
        yield Static("", id="transfer-head")
        yield DataTable(id="incoming", cursor_type="row")
        yield DataTable(id="lines", cursor_type="row")
        yield Static("", id="notice")
        yield KeyBar("transfer_in")

    def on_mount(self) -> None:
        self.listed: list[TransferSummary] = []
        self.incoming: Incoming | None = None  # the transfer open, held for this till
        self.held: TransferClaim | None = None
        self.counts: dict[int, int] = {}  # line number -> what arrived
        self.reasons: dict[int, str] = {}
        self.asking = ""  # the number being fetched, so a late answer for another is dropped
        listing = self.query_one("#incoming", DataTable)
        for label, width in (
            ("Transfer", 16),
            ("From", 8),
            ("Sent", 16),
            ("Lines", 5),
            ("Qty", 9),
            ("Till", 6),
        ):
            listing.add_column(label, width=width)
        lines = self.query_one("#lines", DataTable)
        for label, width in (
            ("#", 3),
            ("Item", 25),
            ("Sent", 8),
            ("Arrived", 8),
            ("Diff", 7),
            ("Reason", 16),
        ):
            lines.add_column(label, width=width)
        self.show_mode()
        self.query_one("#item", Input).focus()
        if not may_transfer(self):
            self.show_error(not_allowed(self))
            return
        self.refresh_list()

    # --- the list -------------------------------------------------------------------------

    def show_mode(self) -> None:
        open_ = self.incoming is not None
        self.query_one("#incoming", DataTable).display = not open_
        self.query_one("#lines", DataTable).display = open_
        box = self.query_one("#item", Input)
        box.placeholder = (
            "scan what arrived · 3*CODE for three · Enter on a line: its quantity"
            if open_
            else "transfer number (scan the transfer note) · ↓ the list"
        )

    def refresh_list(self, *, quiet: bool = False) -> None:
        """Ask the central, in a worker, what was sent to this location; ``quiet`` keeps
        the notice (what was just done)."""
        head = self.query_one("#transfer-head", Static)
        head.update(
            f"Incoming transfers to [b]{escape(self.ctx.location)}[/b] · asking the central…"
        )
        self.run_worker(
            partial(self.fetch_list, self.app, self.ctx.location, quiet),
            thread=True,
            exit_on_error=False,
            exclusive=True,
            group="transfers-list",
        )

    def fetch_list(self, till: Any, location: str, quiet: bool) -> None:
        """In a worker thread: the list (network only)."""
        from o2pos.sync.transfers import StoreTransfers, TransferRefused, TransfersUnavailable

        try:
            lookup = StoreTransfers.connect(till.config.central)
            try:
                found = lookup.incoming(location)
            finally:
                lookup.close()
        except (TransfersUnavailable, TransferRefused) as problem:
            till.call_from_thread(self.listed_now, None, str(problem), quiet)
            return
        till.call_from_thread(self.listed_now, found, "", quiet)

    @guarded
    def listed_now(
        self, found: list[TransferSummary] | None, problem: str, quiet: bool = False
    ) -> None:
        if not self.is_attached:
            return
        head = self.query_one("#transfer-head", Static)
        here = self.ctx.location
        table = self.query_one("#incoming", DataTable)
        table.clear()
        if found is None:
            self.listed = []
            head.update(f"Incoming transfers to [b]{escape(here)}[/b]: need the central")
            if not quiet:
                self.say(shorten(problem, 78), error=True)
            return
        # received here and not at the central yet (not pushed): not to receive again
        found = [item for item in found if not transfers.received_here(self.ctx, item.uuid)]
        self.listed = found
        for item in found:
            till = f"{item.terminal}{'*' if item.held_by else ''}"
            table.add_row(
                item.number,
                shorten(item.from_location, 8),
                sent_local(self, item.sent_at),
                str(item.line_count),
                format_qty(item.sent_milli),
                shorten(till, 6),
                key=item.number,
            )
        if self.incoming is None:
            count = f"{len(found)} to receive" if found else "nothing waiting"
            head.update(f"Incoming transfers to [b]{escape(here)}[/b] · {count} · F9 asks again")
            if quiet:
                return
            if found:
                self.say("Enter on one (↓ to the list) or scan its note to receive it")
            else:
                self.say("Nothing was sent here that is not received yet")

    def action_refresh(self) -> None:
        if self.incoming is None:
            self.refresh_list()

    def action_focus_list(self) -> None:
        hop(self, "#item", "#lines" if self.incoming is not None else "#incoming")

    # --- opening one --------------------------------------------------------------------

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.incoming is None:
            event.input.value = ""
            self.open(text)
            return
        line_no, qty = transfers.match_scan(self.ctx, self.incoming, text, self.counts)
        self.counts[line_no] = self.counts.get(line_no, 0) + qty
        event.input.value = ""
        line = self.incoming.line(line_no)
        self.show_lines(line_no)
        self.say(
            shorten(
                f"{line.name}: {format_qty(self.counts[line_no])} of "
                f"{format_qty(line.qty_milli)} arrived",
                78,
            )
        )

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "incoming":
            self.open(str(event.row_key.value))
        elif self.incoming is not None:
            self.count_line(int(str(event.row_key.value)))

    def open(self, ref: str) -> None:
        """Fetch the transfer and hold it for this till, in a worker."""
        if not may_transfer(self):
            raise ValidationError(not_allowed(self))
        self.asking = ref.strip().upper()
        self.say(f"Asking the central for {self.asking}…")
        self.run_worker(
            partial(self.fetch_one, self.app, ref.strip()),
            thread=True,
            exit_on_error=False,
            exclusive=True,
            group="transfer-open",
        )

    def fetch_one(self, till: Any, ref: str) -> None:
        """In a worker thread: the transfer with its lines, claimed for this till."""
        from o2pos.sync.transfers import StoreTransfers, TransferRefused, TransfersUnavailable

        try:
            lookup = StoreTransfers.connect(till.config.central)
            try:
                found = lookup.get(ref)
                held = lookup.claim(found) if found.status != "received" else None
            finally:
                lookup.close()
        except (TransfersUnavailable, TransferRefused) as problem:
            till.call_from_thread(self.show_error, shorten(str(problem), 78))
            return
        till.call_from_thread(self.opened, found, held)

    @guarded
    def opened(self, found: Incoming, held: TransferClaim | None) -> None:
        if not self.is_attached:
            return
        try:
            transfers.check_incoming(self.ctx, found)
        except Exception:
            if held is not None:
                self.release(held)
            raise
        self.incoming, self.held = found, held
        self.counts, self.reasons = {}, {}
        self.show_mode()
        self.show_lines()
        # scans go to the box at once (they were lost on the list); ↓ reaches the lines
        self.query_one("#item", Input).focus()
        self.say("Scan what arrived · ↓ Enter on a line: its count · F8: all as sent · F10")

    def show_lines(self, select: int | None = None) -> None:
        incoming = self.incoming
        if incoming is None:
            return
        head = self.query_one("#transfer-head", Static)
        counted = sum(self.counts.values())
        head.update(
            f"[b]{escape(incoming.number)}[/b] from {escape(incoming.from_location)} "
            f"(till {escape(incoming.sent_by)}) · "
            f"sent {format_qty(incoming.total_milli)} · arrived {format_qty(counted)} · "
            "Esc closes"
        )
        table = self.query_one("#lines", DataTable)
        row = table.cursor_row
        table.clear()
        for line in incoming.lines:
            got = self.counts.get(line.line_no)
            gap = 0 if got is None else got - line.qty_milli
            detail = f"lot {line.lot_no}" if line.lot_no else line.serial
            table.add_row(
                str(line.line_no),
                shorten(f"{line.name} · {detail}" if detail else line.name, 25),
                format_qty(line.qty_milli),
                "" if got is None else format_qty(got),
                f"{'+' if gap > 0 else ''}{format_qty(gap)}" if gap else "",
                shorten(self.reasons.get(line.line_no, ""), 16),
                key=str(line.line_no),
            )
        numbers = [line.line_no for line in incoming.lines]
        if select in numbers:
            table.move_cursor(row=numbers.index(select))
        elif numbers:
            table.move_cursor(row=min(row, len(numbers) - 1))

    def count_line(self, line_no: int) -> None:
        """Enter on a line: what arrived of it (what was sent, to confirm), and a reason
        when it differs."""
        incoming = self.incoming
        assert incoming is not None
        line = incoming.line(line_no)
        current = self.counts.get(line_no, line.qty_milli)

        @guarded
        def counted(screen: TransferInScreen, qty: int | None) -> None:
            if qty is None:
                return
            screen.counts[line_no] = qty
            if qty == line.qty_milli:
                screen.reasons.pop(line_no, None)
                screen.show_lines(line_no)
                return
            screen.show_lines(line_no)
            screen.ask_reason(line_no)

        self.app.push_screen(
            QuantityDialog(
                f"{line.name} (sent {format_qty(line.qty_milli)})",
                format_qty(current),
                check=partial(transfers.check_count, incoming, line_no),
            ),
            lambda qty: counted(self, qty),
        )

    def ask_reason(self, line_no: int, then: Any = None) -> None:
        incoming = self.incoming
        assert incoming is not None
        line = incoming.line(line_no)
        gap = self.counts.get(line_no, 0) - line.qty_milli
        what = f"{format_qty(-gap)} short" if gap < 0 else f"{format_qty(gap)} over"

        def given(reason: str | None) -> None:
            if reason:
                self.reasons[line_no] = reason
                self.show_lines(line_no)
                if then is not None:
                    then()

        self.app.push_screen(
            ReasonDialog(f"{shorten(line.name, 30)}: {what}", self.reasons.get(line_no, "")),
            given,
        )

    @guarded
    def action_all_as_sent(self) -> None:
        if self.incoming is None:
            raise ValidationError("Open a transfer first (Enter on the list)")
        for line in self.incoming.lines:
            self.counts.setdefault(line.line_no, line.qty_milli)
        self.show_lines()
        self.say("Every line not counted yet is taken as sent: F10 receives")

    def action_close(self) -> None:
        if self.incoming is None:
            self.query_one("#item", Input).focus()
            return
        if self.held is not None:
            self.release(self.held)
        self.incoming, self.held = None, None
        self.show_mode()
        self.refresh_list()
        self.query_one("#item", Input).focus()

    def release(self, held: TransferClaim) -> None:
        """Free the transfer at the central for another till at once (a worker; if the
        central cannot be reached, the hold simply runs out)."""
        self.app.run_worker(
            partial(release_claim, self.app.config.central, held),
            thread=True,
            exit_on_error=False,
            group="transfer-release",
        )

    def on_unmount(self) -> None:
        if self.held is not None:
            self.release(self.held)
            self.held = None

    # --- receiving ------------------------------------------------------------------------

    @guarded
    def action_receive(self) -> None:
        incoming = self.incoming
        if incoming is None:
            raise ValidationError("Open a transfer first (Enter on the list)")
        missing = [ln for ln in incoming.lines if ln.line_no not in self.counts]
        if missing:
            raise ValidationError(
                f"Line {missing[0].line_no} ({shorten(missing[0].name, 20)}) is not counted: "
                "Enter on it, or F8 takes every line as sent"
            )
        for line in incoming.lines:
            differs = self.counts[line.line_no] != line.qty_milli
            if differs and not self.reasons.get(line.line_no):
                self.ask_reason(line.line_no, then=self.action_receive)
                return
        self.say("Holding the transfer at the central…")
        claim_id = self.held.claim_id if self.held is not None else None
        self.run_worker(
            partial(self.renew, self.app, incoming, claim_id),
            thread=True,
            exit_on_error=False,
            group="transfer-open",
        )

    def renew(self, till: Any, incoming: Incoming, claim_id: str | None) -> None:
        """In a worker thread: renew the hold (it may have run out while the goods were
        counted); another till that took it meanwhile, or a receipt already in, stops it.
        Offline now, the receipt is recorded all the same: the central flags a second one."""
        from o2pos.sync.transfers import StoreTransfers, TransferRefused, TransfersUnavailable

        try:
            lookup = StoreTransfers.connect(till.config.central)
            try:
                held = lookup.claim(incoming, claim_id or str(uuidlib.uuid4()))
            finally:
                lookup.close()
        except TransfersUnavailable:
            till.call_from_thread(self.record, incoming, claim_id, True)
            return
        except TransferRefused as problem:
            till.call_from_thread(self.show_error, shorten(str(problem), 78))
            return
        till.call_from_thread(self.record, incoming, held.claim_id, False)

    @guarded
    def record(self, incoming: Incoming, claim_id: str | None, offline: bool) -> None:
        if self.incoming is not incoming or not self.is_attached:
            return
        ctx, employee = self.ctx, self.employee
        counts = [
            Count(line.line_no, self.counts[line.line_no], self.reasons.get(line.line_no, ""))
            for line in incoming.lines
        ]
        self.say("Offline: received here, checked at the central later" if offline else "")

        def action(approval: auth.Approval | None) -> object:
            return transfers.receive(
                ctx, employee, incoming, counts, approval=approval, claim_id=claim_id
            )

        run_with_approval(self, action, lambda done: self.received(done.received_number))

    def received(self, number: str) -> None:
        self.incoming, self.held = None, None  # the hold is settled by the receipt
        self.show_mode()
        self.refresh_list(quiet=True)
        self.query_one(StatusBar).refresh_status()
        self.say(f"Received as {number}")
        self.app.print_document(number)
        text = self.app.slip_text(number)
        self.app.push_screen(TextDialog(f"Received {number}", text, self.app.print_copy(number)))


def release_claim(central: Any, held: TransferClaim) -> None:
    """In a worker thread: give a hold on a transfer up."""
    from o2pos.sync.transfers import StoreTransfers, TransferRefused, TransfersUnavailable

    try:
        lookup = StoreTransfers.connect(central)
        try:
            lookup.release(held)
        finally:
            lookup.close()
    except (TransfersUnavailable, TransferRefused):
        return
