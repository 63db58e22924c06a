"""Take payment for the bill: cash and the amount due are ready, so Enter completes an
exact cash sale; other methods with ↑/↓, split tender by entering less than is due.

A gift voucher or credit note is reserved at the central before it is taken, in a worker
(``sync.vouchers``, short timeout), so the screen never waits on the network; its balance
from the central shows where cash shows the change. When the central cannot be asked, the
offline policy in ``[central]`` decides and says why a voucher is refused.

Points pay for a bill with a named customer (``redeemer``): reserved at the central the
same way (``sync.points``); offline, ``[central] offline_points`` decides and the dialog
says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from o2pos.core import loyalty, payments
from o2pos.core.errors import DomainError, PaymentError
from o2pos.core.money import format_amount, parse_amount
from o2pos.core.payments import STORED_VALUE, Tender
from o2pos.tui import keymap
from o2pos.tui.guard import guarded, without_sync
from o2pos.tui.text import escape

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp


class PaymentScreen(ModalScreen[Any]):
    """Collects tenders for ``due`` and hands them to ``pay`` (checkout or collect).

    With ``partial`` (dues on an account), Enter takes whatever amount is typed as the
    whole payment; otherwise an amount below what is still due becomes one tender of a
    split and the rest is asked for. ``confirm``, if given, runs in a worker once the last
    tender is taken and before ``pay`` (the receipts screen renews its claims at the
    central there); a ``DomainError`` from it is shown here and nothing is paid.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.PAYMENT]

    if TYPE_CHECKING:
        app: TillApp  # the running till (Textual types it as any App)

    def __init__(
        self,
        due: int,
        pay: Callable[..., Any],
        *,
        title: str = "Payment",
        partial: bool = False,
        confirm: Callable[[], None] | None = None,
        note: str = "",
        approvable: bool = False,
        redeemer: loyalty.Redeemer | None = None,
        on_account: bool = True,
    ) -> None:
        """``approvable``: ``pay`` takes a manager's approval too, ``pay(tenders,
        approval)``, and a manager's PIN is asked when the core wants one (credit beyond
        a customer's limit); ``note`` is a line under the title (the customer's credit);
        ``on_account`` False: a payment of what is owed, which no account can pay."""
        super().__init__()
        self.due, self.pay, self.title_text, self.partial = due, pay, title, partial
        self.confirm = confirm
        self.note, self.approvable = note, approvable
        self.redeemer = redeemer
        # points are offered only to a bill's named customer while a scheme is in force
        self.methods = [
            m
            for m in payments.tender_methods(self.app.ctx)
            if (m.kind != "points" or redeemer is not None)
            and (m.kind != "on_account" or on_account)
        ]
        self.index = next((i for i, m in enumerate(self.methods) if m.kind == "cash"), 0)
        self.tenders: list[Tender] = []
        self.holds: list[tuple[str, str]] = []  # (code, reservation id) held at the central
        self.point_holds: list[str] = []  # reservation ids of points held at the central
        # a voucher is being reserved, or the payment confirmed: Enter waits for the answer
        self.asking = False

    @property
    def method(self) -> payments.MethodView:
        return self.methods[self.index]

    @property
    def remaining(self) -> int:
        return max(0, self.due - sum(t.amount for t in self.tenders))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="payment"):
            yield Static(
                f"{escape(self.title_text)} · due [b]{format_amount(self.due)}[/b]",
                classes="dialog-title",
            )
            if self.note:
                yield Static(self.note, id="payment-note", classes="muted")
            yield Static("", id="methods")
            yield Input(format_amount(self.due, grouping=False), id="amount")
            yield Input(id="reference", max_length=40)
            yield Static("", id="tenders")
            yield Static("", id="change")
            yield Static("", classes="error")
            yield Static("", id="payment-hint", classes="muted")

    def on_mount(self) -> None:
        self.show_method()
        self.query_one("#amount", Input).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.show_hint()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Leaving a voucher's number: its balance, from the central when it answers."""
        reference = self.query_one("#reference", Input)
        code = reference.value.strip()
        if event.widget is not reference or not code or self.method.kind not in STORED_VALUE:
            return
        self.run_worker(
            partial(self.look_up_voucher, self.app, self.method.kind, code),
            thread=True,
            exit_on_error=False,
            group="voucher-balance",
        )

    def look_up_voucher(self, app: Any, kind: str, code: str) -> None:
        """In a worker thread: the central's balance of a voucher (network only)."""
        from o2pos.sync import vouchers as store_vouchers

        looked = store_vouchers.look(app.config.central, code)
        app.call_from_thread(self.show_voucher_balance, kind, code, looked)

    @guarded
    def show_voucher_balance(self, kind: str, code: str, looked: Any) -> None:
        from o2pos.sync import vouchers as store_vouchers

        if not self.is_attached:
            return  # the dialog was closed before the central answered

        text = store_vouchers.balance_text(self.app.ctx, kind, code, looked)
        if self.asking or code.upper() in {held for held, _ in self.holds}:
            return  # the reservation's answer says more (what is left after this tender)
        self.show_change(text)

    def show_hint(self) -> None:
        """The hint says what the keys do from the box the cashier is in now."""
        if self.focused is not None and self.focused.id == "reference":
            hint = "Enter: take the payment · Tab: to the amount · Esc: back"
        elif self.query_one("#reference", Input).display:
            hint = "Enter: take it · ↑↓: method · Tab: to the reference · Esc: back"
        else:
            hint = "Enter: take it · ↑↓: method · Esc: back to the bill"
        self.query_one("#payment-hint", Static).update(hint)

    def show_error(self, text: str) -> None:
        self.query_one(".error", Static).update(Content(text))  # plain: it quotes input

    def show_method(self) -> None:
        names = [
            f"[reverse] {escape(m.name)} [/reverse]" if i == self.index else f" {escape(m.name)} "
            for i, m in enumerate(self.methods)
        ]
        self.query_one("#methods", Static).update("".join(names))
        reference = self.query_one("#reference", Input)
        reference.display = self.method.reference is not None
        reference.placeholder = self.method.reference or ""
        self.show_hint()
        named = {m.code: m.name for m in self.methods}
        lines = [f"{named[t.method]:<14}{format_amount(t.amount):>12}" for t in self.tenders]
        if self.tenders:
            lines.append(f"{'Still due':<14}{format_amount(self.remaining):>12}")
        self.query_one("#tenders", Static).update("\n".join(lines))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Show the change as the cashier types what the customer handed over (the line
        shows a voucher's balance instead while a voucher is the method)."""
        if event.input.id == "amount":
            self.show_change_of(event.value)

    def show_change_of(self, typed: str) -> None:
        if self.method.kind in STORED_VALUE:
            return
        try:
            amount = parse_amount(typed)
        except DomainError:
            self.show_change("")
            return
        over = sum(t.amount for t in self.tenders) + amount - self.due
        text = (
            Content.from_markup(f"[b]Change {format_amount(over)}[/b]")
            if over > 0 and self.method.kind == "cash"
            else ""
        )
        self.show_change(text)

    def show_change(self, text: str | Content) -> None:
        """A line of text as it is (a voucher code, a note from the central), or Content."""
        shown = text if isinstance(text, Content) else Content(text)
        # every update is a layout pass and a frame: on a thin client, bytes for nothing
        change = self.query_one("#change", Static)
        if change.content != shown:
            change.update(shown)

    def action_method(self, step: int) -> None:
        self.index = (self.index + step) % len(self.methods)
        self.show_method()
        # what was said of the last method (its reference, a voucher, points) is not said of
        # this one
        self.show_error("")
        self.show_change("")
        self.show_change_of(self.query_one("#amount", Input).value)
        if self.method.kind == "points" and self.redeemer is not None:
            r = self.redeemer
            self.show_change(
                f"{r.points} points ({format_amount(r.points * r.point_value)}) as this till "
                f"knows; at least {r.min_redeem}; the central decides on Enter"
            )

    def action_cancel(self) -> None:
        if self.point_holds and self.redeemer is not None:
            self.run_worker(
                partial(
                    self.release_points, self.app, self.redeemer.customer_uuid, self.point_holds
                ),
                thread=True,
                exit_on_error=False,
                group="points-release",
            )
        if self.holds:  # what this payment held at the central is free again at once
            self.run_worker(
                partial(self.release_holds, self.app, list(self.holds)),
                thread=True,
                exit_on_error=False,
                group="voucher-release",
            )
        self.dismiss(None)

    def release_holds(self, app: Any, holds: list[tuple[str, str]]) -> None:
        from o2pos.sync import vouchers as store_vouchers

        for code, reservation_id in holds:
            store_vouchers.release(app.config.central, code, reservation_id)

    def release_points(self, app: Any, customer: str, holds: list[str]) -> None:
        from o2pos.sync import points as store_points

        for reservation_id in holds:
            store_points.release(app.config.central, customer, reservation_id)

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.asking:
            return  # the central is being asked: one answer at a time
        self.show_error("")  # a new try: what the last one was told is past
        amount_box = self.query_one("#amount", Input)
        reference = self.query_one("#reference", Input)
        if event.input.id == "reference":
            amount_box.focus()
        amount = parse_amount(amount_box.value, allow_zero=False)
        if self.method.reference and not reference.value.strip():
            reference.focus()
            self.show_error(f"{self.method.name}: type its {self.method.reference}, then Enter")
            return
        tender = Tender(self.method.code, amount, reference.value.strip() or None)
        if self.method.kind == "points" and self.redeemer is not None:
            scheme = loyalty.current()
            if scheme is None:
                raise PaymentError("No points scheme is in force")
            count = loyalty.points_for(amount, scheme)
            if count < scheme.min_redeem:
                raise PaymentError(f"At least {scheme.min_redeem} points are redeemed at a time")
            self.asking = True
            self.show_error("")
            self.show_change(f"Asking the central for {count} points…")
            self.run_worker(
                partial(self.reserve_points, self.app, self.redeemer.customer_uuid, tender, count),
                thread=True,
                exit_on_error=False,
                group="points-reserve",
            )
            return
        if self.method.kind in STORED_VALUE and tender.reference:
            self.asking = True
            self.show_error("")
            self.show_change(f"Asking the central for {tender.reference.upper()}…")
            self.run_worker(
                partial(self.reserve_voucher, self.app, self.method.kind, tender),
                thread=True,
                exit_on_error=False,
                group="voucher-reserve",
            )
            return
        self.take(tender)

    def reserve_points(self, app: Any, customer: str, tender: Tender, count: int) -> None:
        """In a worker thread: hold the points at the central (network only)."""
        asked: Any
        try:
            from o2pos.sync import points as store_points

            asked = store_points.ask(app.config.central, customer, count)
        except ImportError:
            asked = without_sync("Points")
        except Exception as exc:  # a bug: reported on the screen, and Enter works again
            asked = exc
        app.call_from_thread(self.points_answered, app, customer, tender, asked)

    @guarded
    def points_answered(self, app: Any, customer: str, tender: Tender, asked: Any) -> None:
        self.asking = False
        held = getattr(asked, "reservation_id", None)
        if not self.is_attached:  # cancelled while the central was asked: nothing to pay
            if held is not None:
                app.run_worker(
                    partial(self.release_points, app, customer, [held]),
                    thread=True,
                    exit_on_error=False,
                    group="points-release",
                )
            return
        if isinstance(asked, Exception):
            self.show_change("")  # no longer asking: the error line says why
            raise asked
        from o2pos.sync import points as store_points

        taken, note = store_points.tender_of(
            self.app.config.central, tender.method, customer, tender.amount, asked
        )
        if taken.reservation_id:
            self.point_holds.append(taken.reservation_id)
        self.take(taken)
        if self.is_attached:  # after the amount box's reset, which clears the change line
            self.call_after_refresh(self.show_change, note)

    def reserve_voucher(self, app: Any, kind: str, tender: Tender) -> None:
        """In a worker thread: hold the voucher's amount at the central (network only).

        ``app`` is taken on the UI thread: the dialog may be closed before the answer."""
        assert tender.reference is not None
        asked: Any
        try:
            from o2pos.sync import vouchers as store_vouchers

            asked = store_vouchers.ask(app.config.central, kind, tender.reference, tender.amount)
        except ImportError:
            asked = without_sync("Gift vouchers and credit notes")
        except Exception as exc:  # a bug: reported on the screen, and Enter works again
            asked = exc
        app.call_from_thread(self.voucher_answered, app, kind, tender, asked)

    @guarded
    def voucher_answered(self, app: Any, kind: str, tender: Tender, asked: Any) -> None:
        self.asking = False
        if not self.is_attached:  # cancelled while the central was asked: nothing to pay
            held = getattr(asked, "held", None)
            if held is not None:
                app.run_worker(
                    partial(self.release_holds, app, [(held.code, held.reservation_id)]),
                    thread=True,
                    exit_on_error=False,
                    group="voucher-release",
                )
            return
        self.take_voucher(kind, tender, asked)

    @guarded
    def take_voucher(self, kind: str, tender: Tender, asked: Any) -> None:
        if isinstance(asked, Exception):
            self.show_change("")  # no longer asking: the error line says why
            raise asked
        from o2pos.sync import vouchers as store_vouchers

        assert tender.reference is not None
        taken = store_vouchers.tender_of(
            self.app.ctx,
            self.app.config.central,
            tender.method,
            kind,
            tender.reference,
            tender.amount,
            asked,
        )
        if taken.tender.reservation_id:
            self.holds.append((tender.reference.upper(), taken.tender.reservation_id))
        self.take(taken.tender)
        if self.is_attached:
            self.show_change(taken.note)

    def take(self, tender: Tender) -> None:
        """One more tender: kept when it leaves something due (a split), else the payment."""
        amount_box = self.query_one("#amount", Input)
        reference = self.query_one("#reference", Input)
        amount = tender.amount
        tendered = sum(t.amount for t in self.tenders) + amount
        if tendered < self.due and not self.partial:
            # part payment: keep it and ask for the rest
            self.tenders.append(tender)
            reference.value = ""
            amount_box.value = format_amount(self.remaining, grouping=False)
            self.show_error("")
            self.show_method()
            return
        tenders = [*self.tenders, tender]
        if self.confirm is None:
            self.settle(tenders)
            return
        self.asking = True
        self.show_error("")
        self.show_change("Renewing the hold on these bills at the central…")
        self.run_worker(
            partial(self.confirming, self.app, self.confirm, tenders),
            thread=True,
            exit_on_error=False,
            group="payment-confirm",
        )

    def confirming(self, app: Any, confirm: Callable[[], None], tenders: list[Tender]) -> None:
        """In a worker thread: ``confirm`` (network); its refusal is shown, not raised."""
        problem: Exception | None = None
        try:
            confirm()
        except Exception as exc:  # reported on the dialog, and Enter works again
            problem = exc
        app.call_from_thread(self.confirmed, tenders, problem)

    def confirmed(self, tenders: list[Tender], problem: Exception | None) -> None:
        if not self.is_attached:
            return  # cancelled meanwhile: whoever opened the dialog frees what it held
        self.asking = False
        self.show_change("")
        self.finish(tenders, problem)

    @guarded
    def finish(self, tenders: list[Tender], problem: Exception | None) -> None:
        if problem is not None:
            raise problem
        self.settle(tenders)

    def settle(self, tenders: list[Tender]) -> None:
        """Pay; where the core wants a manager (``ApprovalRequired``), ask for the PIN and
        pay once more with it. Refused or cancelled, the dialog stays for another try."""
        if not self.approvable:
            self.dismiss(self.pay(tenders))
            return
        from o2pos.tui.approval import run_with_approval

        run_with_approval(
            self, lambda approval: self.pay(tenders, approval), lambda done: self.dismiss(done)
        )
