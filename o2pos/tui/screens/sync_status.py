"""F12: what the sync saw last, what is waiting, and a key to push now."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Static

from o2pos.core import syncstate
from o2pos.tui import keymap
from o2pos.tui.screens.dialogs import Dialog

ADVICE = {
    "fork": "The central holds different events for this till. Do not reset anything: "
    "call support. Sales go on and are kept here.",
    "unauthorized": "The central refused this till's token. Ask the back office to "
    "register the terminal again (o2pos central add-terminal) and update [central] token.",
    "config": "The till's [central] settings cannot be used (see below). Fix the config "
    "file and start the till again. Sales go on and are kept here.",
    "rejected": "The central refused a batch. Sales go on and are kept here; "
    "call support with the error below.",
    "stuck": "The central keeps failing on this till's events, so nothing is sent. Sales go "
    "on and are kept here; call support with the error below.",
    "damaged": "This till's journal no longer holds what was written or sent, so nothing "
    "more is sent. Sales go on; do not delete anything and call support.",
}


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:19] + " UTC" if value else "never"


class SyncStatusDialog(Dialog):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.SYNC]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sync-box"):
            yield Static("Sync with the central", classes="dialog-title")
            yield Static("", id="sync-body", markup=False)
            yield Static("", id="sync-alert", classes="error", markup=False)
            yield Static("p: push now · Esc: close", id="sync-keys", classes="muted")

    def on_mount(self) -> None:
        self.show(syncstate.summary(self.app.ctx))

    def show(self, summary: dict) -> None:
        app = self.app
        url = app.config.central.url
        if not url:
            self.query_one("#sync-body", Static).update(
                "No central is configured ([central] url): this till works offline.\n"
                f"{summary['last_seq']} events are kept here; `o2pos sync export FILE` "
                "copies them for the back office."
            )
            self.query_one("#sync-keys", Static).update("Esc: close")
            return
        network = "online" if summary["online"] else "offline"
        rows = [
            ("Central", url),
            ("State", f"{summary['state']} ({network})"),
            ("Last success", _when(summary["last_success_at"])),
            ("Last attempt", _when(summary["last_attempt_at"])),
            ("Acknowledged", f"{summary['acked_seq']} of {summary['last_seq']} events"),
            ("Waiting", str(summary["pending"])),
            ("Master data", f"version {summary['master_version']}"),
            ("Last error", summary["last_error"] or "none"),
        ]
        self.query_one("#sync-body", Static).update(
            "\n".join(f"{label:<13} {value}" for label, value in rows)
        )
        self.query_one("#sync-alert", Static).update(ADVICE.get(summary["state"], ""))

    def action_push(self) -> None:
        monitor = self.app.sync
        if not monitor.configured:
            self.app.notify("No central configured", severity="warning")
        elif monitor.run_now():
            self.app.notify("Pushing now…")
        else:
            self.app.notify("A push is already under way")
