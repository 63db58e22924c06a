"""The line at the top of every screen: who, where, the drawer, the network, the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from o2pos.core import register, syncstate

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp


class StatusBar(Static):
    """Refreshed on demand and every few seconds (cheap reads; no work while idle)."""

    if TYPE_CHECKING:
        app: TillApp  # the running till (Textual types it as any App)

    DEFAULT_CLASSES = "status-bar"
    shown = ""  # the line on screen: the same line again is not redrawn (bytes over SSH)

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(10, self.refresh_status)

    def refresh_status(self) -> None:
        app = self.app
        ctx, employee = app.ctx, app.employee
        drawer_open = register.is_open(ctx)
        pending = syncstate.pending_count(ctx)
        summary = app.sync_summary
        if not app.config.central.url:
            network = "no central"
        elif summary is None:
            network = "connecting"
        elif summary["alert"]:
            network = f"SYNC {summary['state'].upper()} F12"
        else:
            network = "online" if summary["online"] else "offline"
        self.set_class(bool(summary and summary["alert"]), "sync-alert")
        printer = self._printer(app)
        parts = [
            ctx.settings.store.name[:18],
            ctx.terminal_id,
            # where the session works, when it is not the till's own location
            (employee.code if employee else "—")
            + (f" at {ctx.session_location}" if ctx.session_location else ""),
            "drawer open" if drawer_open else "drawer closed",
            f"{network} · {pending} to send",
            *([printer] if printer else []),
            ctx.local(ctx.now()).strftime("%H:%M"),
        ]
        # 80 columns first: what the cashier needs least goes first when the line is full
        room = (self.size.width or 80) - 2
        if len(" │ ".join(parts)) > room:
            parts.pop(0)  # the store's name
        if len(" │ ".join(parts)) > room:
            parts[2] = "open" if drawer_open else "closed"
        line = " │ ".join(parts)
        if line != self.shown:
            self.shown = line
            self.update(line)

    @staticmethod
    def _printer(app: TillApp) -> str:
        if app.config.printer.kind == "none":
            return ""
        state = app.printer_state
        if state is None or (not state.waiting and not state.error):
            return "printer ok"
        if state.error:
            return f"PRINTER OFF · {state.waiting}"
        return f"printing {state.waiting}"
