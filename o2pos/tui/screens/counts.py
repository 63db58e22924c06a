"""Stock count (ctrl+n): scan or find a product, type what is on the shelf, post (F10).

Everything is ``core.counts``: this screen shows its views and passes keys on. A blind
count's counter sees no system figure here, not in the list, not in the count dialog, not
in F11's results; the variance and its value appear once a manager looks, and on the
posted count's slip.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from o2pos.core import counts
from o2pos.core.auth import Approval
from o2pos.core.errors import ValidationError
from o2pos.core.money import format_amount, format_qty
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.bill_dialogs import ProductSearchDialog
from o2pos.tui.screens.dialogs import ConfirmDialog, Dialog, TextDialog
from o2pos.tui.text import escape, shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.scan_box import ScanBox
from o2pos.tui.widgets.status_bar import StatusBar

COUNT_ACTIONS = {"post", "search", "recount", "remove_line", "cancel_count"}


def right(text: str) -> Text:
    """A figure, right-aligned in its column."""
    return Text(text, justify="right")


def signed(milli: int) -> str:
    """A variance with its sign: +2, -1.5, 0."""
    return ("+" if milli > 0 else "") + ("-" if milli < 0 else "") + format_qty(abs(milli))


SKU_COLUMN, SKU_WIDTH = "SKU", 11


def _sku(sku: str) -> str:
    """A SKU whole where it fits; else cut in the middle, its end kept: "LOOSE-1000" read
    as another SKU than LOOSE-10001."""
    return sku if len(sku) <= SKU_WIDTH else f"{sku[:4]}…{sku[-(SKU_WIDTH - 5) :]}"


def _products(count: int) -> str:
    return "1 product" if count == 1 else f"{count} products"


class CountScreen(TillScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.COUNT]
    # until mounted (the key bar asks check_action before): nothing to count with
    allowed = False
    shown: counts.CountView | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="count-state")
        with Horizontal(id="item-row"):
            yield Static("Item ", id="item-label")
            yield ScanBox(
                placeholder="scan or type a code · 48*CODE: 48 counted", id="item", max_length=64
            )
        yield DataTable(id="count-lines", cursor_type="row")
        yield Static("", id="count-totals")
        yield Static("", id="notice")
        yield KeyBar("count")

    def on_mount(self) -> None:
        self.allowed = counts.may_count(self.employee)
        self.refresh_count()
        self.focus_item()
        if not self.allowed:
            self.say(
                f"{self.employee.code} may not count stock: the inventory role and managers do"
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The count's keys while one is open, F7 while none is; none without the right."""
        if action in COUNT_ACTIONS:
            return self.allowed and self.shown is not None
        if action == "new_count":
            return self.allowed and self.shown is None
        return True

    # --- showing ----------------------------------------------------------------------

    def refresh_count(self, select: int | None = None) -> None:
        """The open count at the session's location, its lines newest first; ``select``
        (a product id) is highlighted: the line just counted."""
        current = counts.current(self.ctx) if self.allowed else None
        before = self.shown
        self.shown = counts.view(self.ctx, current.id, self.employee) if current else None
        self.refresh_bindings()
        shown = self.shown
        state = self.query_one("#count-state", Static)
        totals = self.query_one("#count-totals", Static)
        table = self.query_one("#count-lines", DataTable)
        if before is None or shown is None or before.shows_system != shown.shows_system:
            self.set_columns(table, shown is None or shown.shows_system)
        table.clear()
        if shown is None:
            state.update(
                f"No stock count is open at {self.ctx.location}.\n"
                "F7 starts one: of what is scanned, full, or of one category."
            )
            totals.update("")
            return
        since = self.ctx.local(shown.created_at).strftime("%d %b %H:%M")
        blind = " · [b]blind[/b]" if shown.blind else ""
        rest = (
            f" · {shown.uncounted} more with stock, not counted: zero when posted"
            if shown.scope != counts.SCANNED
            else ""
        )
        state.update(
            f"Count at [b]{escape(shown.location)}[/b] · {escape(shown.scope_label)}{blind} · "
            f"by {escape(shown.employee)} since {since}\n{len(shown.lines)} counted{rest}"
        )
        rows: list[tuple[str | Text, ...]] = []
        for line in shown.lines:
            counted = format_qty(line.counted_milli)
            if shown.shows_system:
                assert line.system_milli is not None and line.variance_milli is not None
                figures = (
                    format_qty(line.system_milli),
                    counted,
                    signed(line.variance_milli),
                    format_amount(line.value or 0),
                )
                rows.append((_sku(line.sku), shorten(line.name, 20), *map(right, figures)))
            else:
                at = self.ctx.local(line.counted_at).strftime("%H:%M")
                rows.append((_sku(line.sku), shorten(line.name, 35), right(counted), at))
        keys = [str(line.product_id) for line in shown.lines]
        for row, key in zip(rows, keys, strict=True):
            table.add_row(*row, key=key)
        if select is not None and str(select) in keys:
            table.move_cursor(row=keys.index(str(select)))
        if shown.value is None:
            totals.update("Blind count: the system figures show once it is posted")
        else:
            limit = format_amount(counts.approval_limit(self.ctx))
            manager = (
                f" · above {limit}: a manager approves"
                if shown.needs_approval
                else " · no approval"
            )
            totals.update(
                f"Variance value [b]{format_amount(shown.value)}[/b] · "
                f"gross {format_amount(shown.gross_value or 0)}{manager}"
            )

    @staticmethod
    def set_columns(table: DataTable, shows_system: bool) -> None:
        table.clear(columns=True)
        columns: tuple[tuple[str, int], ...]
        if shows_system:
            columns = (
                (SKU_COLUMN, SKU_WIDTH),
                ("Item", 20),
                ("System", 7),
                ("Counted", 7),
                ("Variance", 8),
                ("Value", 11),
            )
        else:
            columns = ((SKU_COLUMN, SKU_WIDTH), ("Item", 35), ("Counted", 9), ("At", 6))
        for label, width in columns:
            table.add_column(label, width=width)

    def focus_item(self) -> None:
        self.query_one("#item", Input).focus()

    def show_error(self, text: str) -> None:
        """Say what is wrong; the typed text stays, selected, so the next scan replaces it."""
        super().show_error(text)
        self.focus_item()
        self.query_one("#item", Input).select_all()

    def selected(self, missing: str) -> counts.CountLineView:
        table = self.query_one("#count-lines", DataTable)
        if self.shown is None or not self.shown.lines or table.row_count == 0:
            raise ValidationError(missing)
        return self.shown.lines[min(table.cursor_row, len(self.shown.lines) - 1)]

    # --- counting ---------------------------------------------------------------------

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.shown is None:
            raise ValidationError("No count is open: F7 starts one")
        qty, code = counts.parse_entry(text)
        if qty is None:
            self.ask(code)
        else:
            self.record(code, qty)

    def ask(self, code: str) -> None:
        """The count of what ``code`` names, asked in a dialog that shows the figure on
        record unless the count is blind."""
        assert self.shown is not None
        found = counts.lookup(self.ctx, self.shown.id, code, self.employee)
        self.app.push_screen(CountQtyDialog(found), partial(self.counted, found.sku))

    @guarded
    def counted(self, sku: str, qty: int | None) -> None:
        if qty is None:
            self.focus_item()
            return
        self.record(sku, qty)

    def record(self, code: str, qty: int) -> None:
        assert self.shown is not None
        line = counts.count_line(self.ctx, self.shown.id, code, qty, self.employee)
        self.query_one("#item", Input).value = ""
        self.refresh_count(select=line.product_id)
        said = f"{line.name}: {format_qty(line.counted_milli)} counted"
        if line.variance_milli is not None and line.value is not None:
            said += (
                f" · system {format_qty(line.system_milli or 0)} · "
                f"variance {signed(line.variance_milli)} ({format_amount(line.value)})"
            )
        self.say(shorten(said, 78))
        self.focus_item()

    # --- actions ----------------------------------------------------------------------

    def action_focus_list(self) -> None:
        hop(self, "#item", "#count-lines")

    def action_focus_item(self) -> None:
        self.focus_item()

    @guarded
    def action_new_count(self) -> None:
        choices = counts.categories(self.ctx)
        self.app.push_screen(NewCountDialog(choices), self.start)

    @guarded
    def start(self, choice: tuple[str, bool] | None) -> None:
        if choice is None:
            self.focus_item()
            return
        scope, blind = choice
        counts.start(self.ctx, self.employee, scope=scope, blind=blind)
        self.refresh_count()
        self.say("Scan what is on the shelf; type the count (or 48*CODE) · F10 posts")
        self.focus_item()

    @guarded
    def action_search(self) -> None:
        assert self.shown is not None
        self.app.push_screen(
            ProductSearchDialog(show_stock=self.shown.shows_system),
            lambda sku: sku and self.guarded_ask(sku),
        )

    @guarded
    def guarded_ask(self, code: str) -> None:
        self.ask(code)

    @guarded
    def action_recount(self) -> None:
        self.ask(self.selected("Count a product first").sku)

    @guarded
    def action_remove_line(self) -> None:
        assert self.shown is not None
        line = self.selected("The count has no line to remove")
        counts.remove_line(self.ctx, self.shown.id, line.product_id, self.employee)
        self.refresh_count()
        self.say(f"{line.name} taken off the count")

    @guarded
    def action_cancel_count(self) -> None:
        assert self.shown is not None
        count_id = self.shown.id
        self.app.push_screen(
            ConfirmDialog(
                "Cancel this count?",
                f"{_products(len(self.shown.lines))} counted are dropped; no stock moves.",
                "cancel the count",
            ),
            partial(self.cancelled, count_id),
        )

    @guarded
    def cancelled(self, count_id: int, yes: bool | None) -> None:
        if yes:
            counts.cancel(self.ctx, count_id, self.employee)
            self.refresh_count()
            self.say("Count cancelled: nothing moved")
        self.focus_item()

    @guarded
    def action_post(self) -> None:
        shown = self.shown
        assert shown is not None
        if not shown.lines:
            raise ValidationError("Count at least one product before posting")
        counted = len(shown.lines)
        lines = [f"{counted} product{'s' if counted != 1 else ''} counted at {shown.location}."]
        if shown.uncounted:
            lines.append(
                f"{shown.uncounted} more products with stock here were not counted: "
                "they are counted as ZERO."
            )
        if shown.value is not None:
            lines.append(
                f"Variance value {format_amount(shown.value)} "
                f"(gross {format_amount(shown.gross_value or 0)})."
            )
        lines.append("On hand moves by each variance; the count is printed.")
        self.app.push_screen(
            ConfirmDialog("Post the count", "\n".join(lines), "post"),
            partial(self.post, shown.id),
        )

    @guarded
    def post(self, count_id: int, yes: bool | None) -> None:
        if not yes:
            self.focus_item()
            return
        ctx, employee = self.ctx, self.employee

        def action(approval: Approval | None) -> object:
            return counts.post(ctx, count_id, employee, approval)

        run_with_approval(self, action, self.posted)

    def posted(self, count: object) -> None:
        number = str(getattr(count, "number", ""))
        self.refresh_count()
        self.say(f"Count {number} posted: stock adjusted")
        self.app.print_document(number)
        text = self.app.slip_text(number)
        self.app.push_screen(TextDialog(f"Stock count {number}", text, self.app.print_copy(number)))


class CountQtyDialog(Dialog):
    """What is on the shelf of one product: 0 is a count. Shows the figure on record
    unless the count is blind."""

    def __init__(self, found: counts.ToCount) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        found = self.found
        if found.system_milli is None:
            record = "Blind count: type what you count"
        else:
            record = f"On record: {format_qty(found.system_milli)} {found.unit}"
        if found.counted_milli is not None:
            record += f" · counted before: {format_qty(found.counted_milli)} (replaced)"
        with Vertical(classes="dialog"):
            yield Static(f"Count of {shorten(found.name, 44)}", classes="dialog-title")
            yield Static(record)
            yield Input(
                "" if found.counted_milli is None else format_qty(found.counted_milli),
                placeholder=f"how many {found.unit} on the shelf",
                id="qty",
                max_length=12,
            )
            yield Static("", classes="error")
            yield Static("Enter: count · Esc: cancel", classes="muted")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        qty = counts.parse_count(event.value)
        if not self.found.weighed and qty % 1000:
            raise ValidationError(f"{self.found.name} is counted in whole {self.found.unit}")
        self.dismiss(qty)


class NewCountDialog(Dialog):
    """What the new count covers, and whether it is blind (b)."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.NEW_COUNT]
    SCOPES = (
        (counts.SCANNED, "Scanned items: only what is counted changes"),
        (counts.FULL, "Full: every product; what is not counted is zero"),
        ("category", "One category: what is not counted in it is zero"),
    )

    def __init__(self, categories: list[str]) -> None:
        super().__init__()
        self.categories = categories
        self.blind = False
        self.choosing_category = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("New stock count", classes="dialog-title")
            yield OptionList(
                *(Option(label, id=scope) for scope, label in self.SCOPES), id="scopes"
            )
            yield Static("", id="blind")
            yield Static("", classes="error")
            yield Static("↑↓ Enter: choose · b: blind or not · Esc: cancel", classes="muted")

    def on_mount(self) -> None:
        self.show_blind()
        self.query_one("#scopes", OptionList).focus()

    def show_blind(self) -> None:
        self.query_one("#blind", Static).update(
            "Blind: [b]yes[/b] · the counter does not see the system quantity"
            if self.blind
            else "Blind: no · the system quantity is shown while counting"
        )

    def action_blind(self) -> None:
        self.blind = not self.blind
        self.show_blind()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = str(event.option.id)
        if self.choosing_category:
            self.dismiss((counts.CATEGORY + chosen, self.blind))
            return
        if chosen != "category":
            self.dismiss((chosen, self.blind))
            return
        if not self.categories:
            self.show_error("No product has a category")
            return
        self.choosing_category = True
        options = self.query_one("#scopes", OptionList)
        options.clear_options()
        options.add_options([Option(name, id=name) for name in self.categories])
        options.highlighted = 0
        self.query_one(".dialog-title", Static).update("New stock count: which category?")
