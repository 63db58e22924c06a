"""Every key of the till in one place.

Each binding has an id; ``[keys]`` in the config maps ids to other keys (``pay = "f11"``)
and ``App.set_keymap`` applies them, so a store can remap without touching code.
"""

from __future__ import annotations

from textual.binding import Binding

# anywhere: priority, so they work while an input has focus
GLOBAL = [
    Binding("f1", "help", "Help", id="help", priority=True),
    Binding("f2", "sales", "Sales", id="sales", priority=True),
    Binding("f3", "receipts", "Receipts", id="receipts", priority=True),
    Binding("f4", "register", "Register", id="register", priority=True),
    Binding("ctrl+r", "returns", "Returns", id="returns", priority=True),
    Binding("f5", "reprint", "Reprint", id="reprint", priority=True),
    Binding("f6", "dashboard", "Dashboard", id="dashboard", priority=True),
    Binding("ctrl+l", "lock", "Lock", id="lock", priority=True),
    Binding("f12", "sync_status", "Sync", id="sync_status", priority=True),
    # leave the till (in kiosk mode only with a manager's PIN); ctrl+q and ctrl+c do not
    Binding("ctrl+e", "leave", "Leave", id="leave", show=False, priority=True),
    # a terminal without F-keys (some thin clients, phone SSH apps): ctrl+f then a digit
    Binding("ctrl+f", "function_key", "", id="function_key", show=False, priority=True),
    # Tab moves focus before the next key is delivered: typed fast ("cashier<Tab>1111"),
    # a non-priority Tab bubbles up a message queue and the PIN lands in the user box.
    Binding("tab", "app.focus_next", "Next field", id="next_field", show=False, priority=True),
    Binding(
        "shift+tab",
        "app.focus_previous",
        "Previous field",
        id="previous_field",
        show=False,
        priority=True,
    ),
]

SALES = [
    Binding("f10", "pay", "Pay", id="pay", priority=True),
    Binding("f7", "customer", "Customer", id="customer", priority=True),
    Binding("f9", "discount", "Discount", id="discount", priority=True),
    Binding("f11", "search", "Find", id="search", priority=True),
    Binding("ctrl+k", "quick_add", "Quick", id="quick_add", priority=True),
    Binding("ctrl+p", "price", "Price", id="price_override", show=False, priority=True),
    Binding("ctrl+x", "void", "Void bill", id="void_bill", show=False, priority=True),
    Binding("ctrl+s", "save", "Save unpaid", id="save_unpaid", show=False, priority=True),
    Binding("ctrl+t", "lot", "Choose lot", id="choose_lot", show=False, priority=True),
    Binding("f8", "hold", "Hold", id="hold", priority=True),
    Binding("ctrl+d", "remove_line", "Del line", id="remove_line", priority=True),
    Binding("ctrl+q", "quantity", "Qty", id="quantity", priority=True),
    Binding("down", "focus_cart", "Cart", id="focus_cart", show=False),
    Binding("escape", "focus_item", "Item box", id="focus_item", show=False),
]

PAYMENT = [
    Binding("escape", "cancel", "Back", id="payment_back", priority=True),
    Binding("up", "method(-1)", "Method", id="method_previous", priority=True),
    Binding("down", "method(1)", "Method", id="method_next", show=False, priority=True),
]

REGISTER = [
    Binding("o", "open", "Open", id="register_open"),
    Binding("i", "cash_in", "Cash in", id="cash_in"),
    Binding("u", "cash_out", "Cash out", id="cash_out"),
    Binding("x", "x_report", "X report", id="x_report"),
    Binding("c", "close", "Close → Z", id="close_register"),
    Binding("n", "no_sale", "No sale", id="no_sale"),
]

RECEIPTS = [
    Binding("f10", "pay", "Pay", id="receipts_pay", priority=True),
    Binding("ctrl+d", "drop", "Drop last", id="receipts_drop", priority=True),
]

RETURNS = [
    Binding("f10", "refund", "Refund", id="returns_refund", priority=True),
    Binding("m", "method", "Method", id="returns_method"),
]

CART = [
    Binding("up", "cursor(-1)", "Up", id="cart_up", show=False),
    Binding("down", "cursor(1)", "Down", id="cart_down", show=False),
    Binding("pageup", "cursor(-10)", "Page up", id="cart_page_up", show=False),
    Binding("pagedown", "cursor(10)", "Page down", id="cart_page_down", show=False),
]

DIALOG = [Binding("escape", "cancel", "Cancel", id="dialog_cancel", priority=True)]

SYNC = [*DIALOG, Binding("p", "push", "Push now", id="sync_push")]

SLIP = [*DIALOG, Binding("p", "print", "Print", id="print_slip")]

# ctrl+f then one of these stands for an F-key: the digit row, left to right, is F1 to F12
FUNCTION_KEY_DIGITS = {
    **{str(n): f"f{n}" for n in range(1, 10)},
    "0": "f10",
    "-": "f11",
    "=": "f12",
}
FUNCTION_KEY_SECONDS = 3  # the digit must follow ctrl+f within this (as the notice says)
FUNCTION_KEY_TYPED = {key: typed for typed, key in FUNCTION_KEY_DIGITS.items()}


def key_label(key: str) -> str:
    """A key as F1 shows it: an F-key also with what a terminal without F-keys types."""
    typed = FUNCTION_KEY_TYPED.get(key)
    return f"{key}/^F {typed}" if typed else key
