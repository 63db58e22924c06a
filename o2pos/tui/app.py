"""The till application: screens, global keys, and where errors go."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import textual.screen
from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual._compositor import CompositorUpdate
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from o2pos import heap
from o2pos.config import Config
from o2pos.core import auth, register
from o2pos.core.auth import Perm
from o2pos.core.context import Context
from o2pos.core.errors import StateError, StorageError
from o2pos.core.redact import RedactingFormatter
from o2pos.core.storage import storage_error
from o2pos.tui import keymap
from o2pos.tui.approval import ManagerPinDialog
from o2pos.tui.background import GRACE, LeavingExecutor
from o2pos.tui.frames import Frames
from o2pos.tui.print_monitor import PrinterUpdated, PrintMonitor
from o2pos.tui.screens.dialogs import HelpDialog
from o2pos.tui.screens.login import LoginScreen
from o2pos.tui.screens.sync_status import SyncStatusDialog
from o2pos.tui.sync_monitor import SyncMonitor, SyncUpdated
from o2pos.tui.widgets.status_bar import StatusBar

log = logging.getLogger("o2pos.tui")

# after the login screen is pushed: it is drawn within this, and no cashier has typed yet
SETTLE_SECONDS = 0.5


class StorageStop(Exception):
    """What Textual prints when the till stops on storage: one line, not a traceback
    (Textual shows an error's ``__rich__`` in place of its traceback)."""

    def __init__(self, problem: StorageError) -> None:
        super().__init__(str(problem))
        self.problem = problem

    def __rich__(self) -> Text:
        return Text(f"error: {self.problem}")


class TillApp(App, inherit_bindings=False):
    """The till. Textual's own app keys are not inherited (``keymap`` says why).

    The login screen is all a till draws at start: every other screen's module (and the
    core it calls) is imported when the screen is first shown, not at start-up (issue 16).
    """

    CSS_PATH = "app.tcss"
    TITLE = "o2pos"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.GLOBAL]

    def __init__(self, ctx: Context, config: Config) -> None:
        super().__init__()
        self.ctx = ctx
        self.config = config
        self.keys = keymap.check_remap(config.keys)  # refused here, before anything is drawn
        # kiosk: no way out to a shell but a manager's PIN (see docs/deployment.md)
        self.kiosk = config.kiosk.enabled
        self.employee: auth.Employee | None = None
        self.sync = SyncMonitor(self)
        self.sync_summary: dict | None = None  # what the last sync round saw
        self.printer = PrintMonitor(self)
        self.printer_state: PrinterUpdated | None = None  # what the last print round saw
        # when ctrl+f was pressed: a digit within FUNCTION_KEY_SECONDS after it is an F-key
        self.function_key_at: float | None = None
        # Over a thin link every frame is bytes on the wire: nothing slides or fades, and
        # frames are drawn at most [display] max_fps times a second. Textual reads its cap
        # once, at import, from TEXTUAL_FPS; screens take it from this module global.
        self.animation_level = "none"
        setattr(textual.screen, "UPDATE_PERIOD", 1 / config.display.max_fps)  # noqa: B010 (Final)
        self.theme = "textual-dark"
        # set when storage failed where no handler could catch it: `o2pos run` exits with it
        self.storage_problem: StorageError | None = None
        self.frames = Frames()  # what the terminal shows: only changed cells are sent

    def _display(self, screen: Screen, renderable: RenderableType | None) -> None:
        """Every frame goes out as the cells that changed (``frames`` says why)."""
        driver = self._driver
        update: Any = renderable  # Textual's updates are renderables its types do not name
        if (
            isinstance(update, CompositorUpdate)
            and not self.is_headless
            and driver is not None
            and not driver.is_inline
            and not self._batch_count
        ):
            update = self.frames.update(update, self.console, *self.size)
        super()._display(screen, update)

    def on_resize(self) -> None:
        self.frames.forget()  # a terminal may reflow or clear what it showed

    def _handle_exception(self, error: Exception) -> None:
        """An error no guarded handler caught (a screen drawing from a damaged file, say).

        Textual ends the app on it whatever we do; a storage failure ends it with the line
        the command line would print, naming the file, and the exit code docs/cli.md gives.
        """
        problem = storage_error(error)
        if problem is None:
            super()._handle_exception(error)
            return
        log.error("storage: %s", problem, exc_info=error)
        self.storage_problem = problem
        super()._handle_exception(StorageStop(problem))

    def on_mount(self) -> None:
        # before any thread worker starts: closing the till never waits on one for long
        grace = None if self.is_headless else GRACE
        asyncio.get_running_loop().set_default_executor(LeavingExecutor(grace))
        # On a 16-colour terminal (the Linux console, TERM=xterm or screen) the ANSI theme
        # uses the terminal's own palette, so every colour the till uses is one it can show.
        # (Headless runs, the tests' snapshots among them, keep one theme everywhere.)
        if not self.is_headless and self.console.color_system == "standard":
            self.theme = "ansi-dark"
        if self.keys:
            self.set_keymap(self.keys)
        self.last_input = time.monotonic()
        if self.config.kiosk.idle_lock_seconds > 0:
            self.set_interval(5, self.lock_when_idle)
        self.push_screen(LoginScreen())
        # the collector comes back once the login screen is drawn (o2pos/heap.py)
        self.set_timer(SETTLE_SECONDS, heap.settle)
        self.sync.start()
        self.printer.start(1.0)  # slips left in the queue by the last run print now

    def on_sync_updated(self, message: SyncUpdated) -> None:
        before = self.sync_summary
        self.sync_summary = message.summary
        if message.summary["alert"] and not (before and before["alert"]):
            self.notify(
                f"Sync stopped: {message.summary['last_error']} (F12 for details)",
                severity="error",
                timeout=15,
            )
        self.refresh_status_bars()
        if isinstance(self.screen, SyncStatusDialog):
            self.screen.show(message.summary)

    def on_printer_updated(self, message: PrinterUpdated) -> None:
        before = self.printer_state
        self.printer_state = message
        if message.error and not (before and before.error):
            self.notify(
                f"{message.error}. Slips wait and print when it is back.",
                severity="warning",
                timeout=10,
            )
        self.refresh_status_bars()

    def refresh_status_bars(self) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.refresh_status()

    # --- printing -------------------------------------------------------------------------

    def print_document(self, number: str, *, copy: bool = False) -> None:
        """Queue the slip of a document just made (or a copy) and start the printer.

        Called after the operation committed; a failure here is logged and told, and can
        never undo or hold up the sale itself.
        """
        if self.config.printer.kind == "none":
            return
        try:
            from o2pos.printing import documents, service

            doc = documents.find(self.ctx, number)
            service.queue_document(self.ctx, self.config.printer, doc, copy=copy)
        except Exception as exc:
            logging.getLogger("o2pos.printing").exception("cannot queue %s", number)
            self.notify(f"The slip of {number} could not be queued: {exc}", severity="error")
            return
        self.printer.kick()

    def print_copy(self, number: str) -> Callable[[], None] | None:
        """What ``p`` does on a slip shown on screen: print a copy (None: no printer)."""
        if self.config.printer.kind == "none":
            return None
        return lambda: self.print_document(number, copy=True)

    def a4_invoice(self, number: str) -> Callable[[], str] | None:
        """What ``a`` does on a bill shown on screen: its A4 tax invoice, saved in
        ``[printer] a4_dir`` and printed with ``a4_command`` (None: not a bill). The bill
        is read here; the returned call touches no database (it runs in a worker)."""
        from o2pos.printing import a4, documents

        doc = documents.find(self.ctx, number)
        if doc.kind != "bill":
            return None
        printer, settings = self.config.printer, self.ctx.settings

        def make() -> str:
            path, problem = a4.make(
                settings.store, doc, printer.a4_dir, printer.a4_command, settings.terminal.data_dir
            )
            if problem:
                return f"{problem}. Saved as {path}"
            return f"A4 invoice {'printed and ' if printer.a4_command else ''}saved: {path}"

        return make

    def slip_text(self, number: str, *, copy: bool = False) -> str:
        """The slip of a document as the printer gets it (also without a printer)."""
        from o2pos.printing import documents, service

        doc = documents.find(self.ctx, number)
        return service.slip_of(self.ctx, self.config.printer, doc, copy=copy).text()

    def x_report_text(self) -> str:
        from o2pos.printing import documents, service

        doc = documents.x_report(self.ctx)
        return service.slip_of(self.ctx, self.config.printer, doc).text()

    def print_x_report(self) -> None:
        if self.config.printer.kind == "none":
            self.notify("No printer is configured ([printer] kind)", severity="warning")
            return
        from o2pos.printing import documents, service

        service.queue_document(self.ctx, self.config.printer, documents.x_report(self.ctx))
        self.printer.kick()

    def open_cash_drawer(self, reason: str) -> None:
        if self.config.printer.kind == "none":
            return
        from o2pos.printing import service

        if service.queue_drawer(self.ctx, self.config.printer, reason) is not None:
            self.printer.kick()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.last_input = time.monotonic()
        if isinstance(event, events.Key) and self.function_key_at is not None:
            pressed, self.function_key_at = self.function_key_at, None
            # the key after ctrl+f: a digit is that F-key, anything else just ends the
            # prefix; a stray ctrl+f long ago must not eat a scanned barcode's first digit
            if time.monotonic() - pressed <= keymap.FUNCTION_KEY_SECONDS:
                key = keymap.FUNCTION_KEY_DIGITS.get(event.character or "")
                if key is None:
                    return
                event = events.Key(key, None)
        await super().on_event(event)

    def action_function_key(self) -> None:
        self.function_key_at = pressed = time.monotonic()
        # The hint is for whoever stops after ctrl+f, not for every F-key typed this way:
        # a notice raised just before the F-key changed screens stayed on the new screen
        # long after its time (Textual's toasts), over the right half of the bill.
        self.set_timer(keymap.FUNCTION_KEY_HINT_SECONDS, lambda: self.hint_function_key(pressed))

    def hint_function_key(self, pressed: float) -> None:
        if self.function_key_at == pressed:  # still waiting for the digit
            left = keymap.FUNCTION_KEY_SECONDS - keymap.FUNCTION_KEY_HINT_SECONDS
            self.notify("F-key: 1-9, 0 (F10), - (F11) or = (F12)", timeout=left)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # a blinking cursor repaints twice a second forever: an idle till should cost nothing
        if isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    def lock_when_idle(self) -> None:
        """Lock a till nobody has touched for ``[kiosk] idle_lock_seconds``."""
        if self.employee is None:
            return
        if time.monotonic() - self.last_input >= self.config.kiosk.idle_lock_seconds:
            self.action_lock()
            self.notify("Locked after no activity; the bill in progress is kept")

    # --- signing in and out -------------------------------------------------------------

    @property
    def signed_in_employee(self) -> auth.Employee:
        """Who is signed in, for the screens that only exist while someone is."""
        if self.employee is None:
            raise StateError("Nobody is signed in: the till is locked")
        return self.employee

    def signed_in(self, employee: auth.Employee) -> bool:
        """Open the signed-in employee's first screen; False when it could not load (as in
        ``run_action``: the login screen stays, and says what to do)."""
        try:
            self._first_screen(employee)
        except ImportError as exc:
            log.error("signing in: the screen could not be loaded", exc_info=exc)
            self.employee = None
            auth.end_session(self.ctx)
            self.cannot_load()
            return False
        return True

    def _first_screen(self, employee: auth.Employee) -> None:
        self.employee = employee
        from o2pos.core import counts

        if not auth.has_permission(employee, Perm.SELL) and counts.may_count(employee):
            from o2pos.tui.screens.counts import CountScreen

            self.switch_screen(CountScreen())  # the inventory role's work: no bills to ring
            return
        needs_float = register.needs_float(self.ctx, employee)
        # the sales screen asks for the float once it is up (a result callback must belong
        # to the screen that stays, not to the login screen being replaced)
        from o2pos.tui.screens.sales import SalesScreen

        self.switch_screen(SalesScreen(ask_float=needs_float))

    def action_lock(self) -> None:
        """Back to the login screen; the bill in progress stays saved as a draft."""
        if self.employee is None:
            return
        self.employee = None
        auth.end_session(self.ctx)  # the next session starts at the till's own location
        while len(self.screen_stack) > 2:
            self.pop_screen()
        # the login screen goes out whole: what another program wrote on the terminal
        # during the shift (a `wall` message, a console line) is gone at every lock
        self.frames.forget()
        self.switch_screen(LoginScreen())

    # --- global keys ----------------------------------------------------------------------

    def keys_of(self, binding: Binding) -> list[str]:
        """The keys of a binding as mapped now (``[keys]`` may have remapped it)."""
        if binding.id and binding.id in self.keys:
            return [self.keys[binding.id]]
        return [key.strip() for key in binding.key.split(",")]

    def action_help(self) -> None:
        if isinstance(self.screen, HelpDialog):
            return
        # A screen has the keys of its class and of the classes it extends (Textual merges
        # them: Esc on the manager's approval is its Dialog's), the nearest class's first.
        # The App's priority keys are reached before any of them: a screen's binding of one
        # (Textual's own Screen binds tab, shift+tab and ctrl+c) never acts, so F1 leaves it
        # out; it listed "tab Focus Next" on the login screen next to "tab Next field".
        # Then the till's keys of the widgets on it (the cart's ↑ PgUp PgDn), which act
        # while that widget has the focus.
        taken = {key for b in keymap.GLOBAL if b.priority for key in self.keys_of(b)}
        widgets = dict.fromkeys(type(widget) for widget in self.screen.query("*"))
        candidates = [
            *(b for cls in type(self.screen).__mro__ for b in vars(cls).get("BINDINGS", [])),
            *(
                b
                for cls in widgets
                for b in vars(cls).get("BINDINGS", [])
                if getattr(b, "id", None)
            ),
        ]
        own: list[Binding] = []
        for binding in candidates:
            keys = self.keys_of(binding) if isinstance(binding, Binding) else []
            if keys and taken.isdisjoint(keys):
                own.append(binding)
                taken.update(keys)
        # at the login screen F2 to ctrl+n do nothing: not listed as if they did
        shared = [b for b in keymap.GLOBAL if self.employee or b.id in keymap.SIGNED_OUT]
        rows = [
            (keymap.key_label(self.keys_of(b)[0]), b.tooltip or b.description)
            for b in [*own, *shared]
            if b.description
        ]
        self.push_screen(HelpDialog(rows))

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every key's action. A screen's code is imported the first time its key is
        pressed (start-up stays quick): if o2pos was upgraded under a running till, that
        import can fail, which ended the till on the spot. It is now said, and the till
        goes on with what it has loaded (the bill in progress, payments, the queue)."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except ImportError as exc:
            log.error("action %s: its code could not be loaded", action, exc_info=exc)
            self.cannot_load()
            return True  # the key was answered: it goes to no widget as well

    def cannot_load(self) -> None:
        """Say that code the till needs now could not be imported, and what to do."""
        leave = keymap.short_key(self.keys.get("leave", "ctrl+e"))
        self.notify(
            "This part of the till could not load: o2pos was changed while the till "
            f"ran. Finish the bill, then leave ({leave}) and start the till again.",
            severity="error",
            timeout=30,
        )

    # --- leaving ---------------------------------------------------------------------------

    def action_interrupt(self) -> None:
        """ctrl+c: a reflex, never a way out. Outside kiosk mode it says how to leave."""
        if not self.kiosk:
            leave = keymap.short_key(self.keys.get("leave", "ctrl+e"))
            self.notify(f"ctrl+c does not stop the till: {leave} leaves it", timeout=4)

    def action_leave(self) -> None:
        if not self.kiosk:
            self.exit()
            return
        if isinstance(self.screen, ManagerPinDialog):
            return

        def approved(approval: object) -> None:
            if approval is not None:
                code = getattr(approval, "code", "?")
                logging.getLogger("o2pos").info("kiosk mode left with %s's approval", code)
                self.exit()

        self.push_screen(
            ManagerPinDialog("Leave kiosk mode: a manager's code and PIN", Perm.CLOSE_REGISTER),
            approved,
        )

    def action_sync_status(self) -> None:
        if not isinstance(self.screen, SyncStatusDialog):
            self.push_screen(SyncStatusDialog())

    def action_sales(self) -> None:
        # the bill would start a sale on mount: a role that may not sell (stock staff,
        # signed in to their count or transfers) stays where it is, and is told why
        if self.employee is not None and not auth.has_permission(self.employee, Perm.SELL):
            self.notify(f"{self.employee.code} may not sell", severity="warning")
            return
        from o2pos.tui.screens.sales import SalesScreen

        self._go(SalesScreen)

    def _go(self, screen_type: type[Screen]) -> None:
        """Switch to a main screen (the bill in progress stays saved as a draft)."""
        if self.employee is None or isinstance(self.screen, ModalScreen):
            return
        if not isinstance(self.screen, screen_type):
            self.switch_screen(screen_type())

    def action_receipts(self) -> None:
        from o2pos.tui.screens.documents import ReceiptsScreen

        self._go(ReceiptsScreen)

    def action_returns(self) -> None:
        from o2pos.tui.screens.documents import ReturnsScreen

        self._go(ReturnsScreen)

    def action_delivery(self) -> None:
        from o2pos.tui.screens.delivery import DeliveryScreen

        self._go(DeliveryScreen)

    def action_register(self) -> None:
        from o2pos.tui.screens.register import RegisterScreen

        self._go(RegisterScreen)

    def action_reprint(self) -> None:
        from o2pos.tui.screens.lookup import ReprintScreen

        self._go(ReprintScreen)

    def action_dashboard(self) -> None:
        from o2pos.tui.screens.lookup import DashboardScreen

        self._go(DashboardScreen)

    def action_transfers(self) -> None:
        """Stock transfers: out first; pressed again, in (and back)."""
        from o2pos.tui.screens.transfers import TransferInScreen, TransferOutScreen

        if isinstance(self.screen, TransferOutScreen):
            self._go(TransferInScreen)
        else:
            self._go(TransferOutScreen)

    def action_count(self) -> None:
        from o2pos.tui.screens.counts import CountScreen

        self._go(CountScreen)


def setup_logging(data_dir: Path) -> Path:
    """Errors go to a file: a traceback must never reach the cashier's screen."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "o2pos.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        RedactingFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    )
    root = logging.getLogger("o2pos")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
