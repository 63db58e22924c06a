"""Every key of the till in one place.

Each binding has an id; ``[keys]`` in the config maps ids to other keys (``pay = "f11"``)
and ``App.set_keymap`` applies them, so a store can remap without touching code.
``check_remap`` refuses, before the till starts, a map that names no binding, a key no
terminal sends, or a key that would take over another key on the same screen.

A binding's ``description`` is its short name on the key bar; ``tooltip``, where there is
one, is the longer text F1 shows.

The keys Textual 8 holds itself, and what the till does with them:

- App: ctrl+q quits, with priority, checked from the App down, so it won over the sales
  screen's ctrl+q ("Qty") and quit the till; ctrl+c (help_quit); ctrl+p opens the command
  palette. The till's App does not inherit them (``inherit_bindings=False``); its palette is
  off; ctrl+e leaves and ctrl+c only says so (``GLOBAL``).
- Screen: tab, shift+tab, ctrl+c (copy). GLOBAL's priority tab, shift+tab and ctrl+c come
  first; F1 leaves Textual's out.
- Input: ctrl+a, ctrl+e, ctrl+d, ctrl+k, ctrl+u, ctrl+w, ctrl+x, ctrl+c, ctrl+v and the
  editing keys. The till's priority keys (ctrl+e, ctrl+d, ctrl+k, ctrl+w, ctrl+x, ctrl+u on the
  login) come first, so they act in the item box; Enter, Backspace, Delete, ←, →, Home and
  End stay the box's (``RESERVED``).
- DataTable and OptionList: ↑ ↓ PgUp PgDn Home End Enter, for their own cursor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from textual.binding import Binding

# anywhere: priority, so they work while an input has focus
GLOBAL = [
    Binding("f1", "help", "Keys", id="help", priority=True, tooltip="Help: every key here"),
    Binding("f2", "sales", "Sales", id="sales", priority=True),
    Binding("f3", "receipts", "Receipts", id="receipts", priority=True),
    Binding("f4", "register", "Register", id="register", priority=True),
    Binding("ctrl+r", "returns", "Returns", id="returns", priority=True),
    Binding("ctrl+y", "delivery", "Delivery", id="delivery", priority=True),
    Binding("f5", "reprint", "Reprint", id="reprint", priority=True),
    Binding("f6", "dashboard", "Dashboard", id="dashboard", priority=True),
    Binding("ctrl+l", "lock", "Lock", id="lock", priority=True),
    Binding("f12", "sync_status", "Sync", id="sync_status", priority=True),
    # stock sent to another location, and stock received here (again: the other of the two)
    Binding("ctrl+o", "transfers", "Transfers", id="transfers", priority=True),
    Binding("ctrl+n", "count", "Count", id="count", priority=True, tooltip="Stock count"),
    # leave the till (in kiosk mode only with a manager's PIN)
    Binding("ctrl+e", "leave", "Leave", id="leave", show=False, priority=True),
    # ctrl+c is a habit, not a command: it never stops the till, it says how to leave.
    # It has no id: it cannot be remapped, and no remapped key may take it.
    Binding("ctrl+c", "interrupt", "", show=False, priority=True),
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

# the keys of GLOBAL that act while nobody is signed in (the login screen, a locked till):
# the others go to screens that need someone signed in, and do nothing there
SIGNED_OUT = {"help", "sync_status", "leave", "function_key", "next_field", "previous_field"}

SALES = [
    Binding("f10", "pay", "Pay", id="pay", priority=True),
    Binding("f7", "customer", "Cust", id="customer", priority=True, tooltip="Customer"),
    Binding(
        "f9",
        "discount",
        "Disc",
        id="discount",
        priority=True,
        tooltip="Discount, coupon, promotions",
    ),
    Binding("f11", "search", "Find", id="search", priority=True, tooltip="Find a product"),
    Binding("f8", "hold", "Hold", id="hold", priority=True, tooltip="Hold / recall"),
    Binding("ctrl+q", "quantity", "Qty", id="quantity", priority=True, tooltip="Quantity"),
    Binding("ctrl+d", "remove_line", "Del", id="remove_line", priority=True, tooltip="Del line"),
    Binding("ctrl+k", "quick_add", "Quick", id="quick_add", priority=True, tooltip="Quick add"),
    Binding("ctrl+p", "price", "Price", id="price_override", show=False, priority=True),
    Binding("ctrl+x", "void", "Void bill", id="void_bill", show=False, priority=True),
    Binding("ctrl+s", "save", "Save unpaid", id="save_unpaid", show=False, priority=True),
    Binding("ctrl+t", "lot", "Choose lot", id="choose_lot", show=False, priority=True),
    Binding(
        "ctrl+w",
        "mark_delivery",
        "Deliver later",
        id="mark_delivery",
        show=False,
        priority=True,
        tooltip="Deliver later",
    ),
    # off the key bar, which is full at 80 columns; F1 lists it
    Binding(
        "ctrl+g",
        "gift_voucher",
        "Gift voucher",
        id="gift_voucher",
        show=False,
        priority=True,
        tooltip="Gift voucher",
    ),
    Binding(
        "down",
        "focus_cart",
        "Cart",
        id="focus_cart",
        show=False,
        priority=True,
        tooltip="To the cart",
    ),
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
    Binding("c", "close", "Close", id="close_register", tooltip="Close → Z report"),
    Binding("n", "no_sale", "No sale", id="no_sale"),
]

# ↓ from a number box goes to the list under it: a binding, not a key handler, so the same
# ↓ is not then taken by the list as well (it skipped the first row). These keys that move
# the focus from one box are priority keys that step aside anywhere else (focus.hop), so
# the keys typed after them go where the focus went.
RECEIPTS = [
    Binding("f10", "pay", "Pay", id="receipts_pay", priority=True),
    Binding("ctrl+d", "drop", "Drop last", id="receipts_drop", priority=True),
    Binding("down", "focus_list", "Open bills", id="receipts_list", show=False, priority=True),
]

RETURNS = [
    Binding("f10", "refund", "Refund", id="returns_refund", priority=True),
    Binding("m", "method", "Method", id="returns_method"),
    Binding("down", "focus_list", "Lines", id="returns_list", show=False, priority=True),
]

# the Delivery screen: a bill found by number or customer, or picked from the pending list
DELIVERY = [
    Binding("f9", "deliver_all", "All", id="delivery_all", priority=True, tooltip="Deliver all"),
    Binding("f10", "deliver", "Deliver", id="delivery_deliver", priority=True),
    Binding(
        "ctrl+d",
        "drop",
        "Drop",
        id="delivery_drop",
        priority=True,
        tooltip="Drop line's qty",
    ),
    Binding("escape", "back", "List", id="delivery_back", tooltip="Back to the list"),
    Binding("down", "focus_list", "List", id="delivery_list", show=False, priority=True),
]

# how a delivery goes, chosen with ↑↓ while the courier reference box has the Enter
DELIVER = [
    Binding("up", "mode(-1)", "How", id="deliver_mode_previous", priority=True),
    Binding("down", "mode(1)", "How", id="deliver_mode_next", show=False, priority=True),
]

REPRINT = [Binding("down", "focus_list", "Recent", id="reprint_list", show=False, priority=True)]

# stock transfers: out (a draft filled by scanning, sent with F10) and in (what the central
# says was sent here, counted and received with F10)
TRANSFER_OUT = [
    Binding("f10", "send", "Send", id="transfer_send", priority=True),
    Binding("f7", "destination", "To", id="transfer_to", priority=True, tooltip="Destination"),
    Binding("ctrl+q", "quantity", "Qty", id="transfer_quantity", priority=True, tooltip="Quantity"),
    Binding(
        "ctrl+d", "remove_line", "Del", id="transfer_remove", priority=True, tooltip="Del line"
    ),
    Binding("ctrl+t", "lot", "Choose lot", id="transfer_lot", show=False, priority=True),
    Binding("down", "focus_list", "Lines", id="transfer_lines", show=False, priority=True),
    Binding("escape", "focus_item", "Item box", id="transfer_item", show=False),
]

TRANSFER_IN = [
    Binding("f10", "receive", "Receive", id="transfer_receive", priority=True),
    Binding("f8", "all_as_sent", "All as sent", id="transfer_all", priority=True),
    Binding("f9", "refresh", "List", id="transfer_refresh", priority=True, tooltip="Refresh list"),
    Binding("down", "focus_list", "List", id="transfer_list", show=False, priority=True),
    Binding("escape", "close", "Close", id="transfer_close", tooltip="Close transfer"),
]

# the stock count: scan and count, F10 posts (a manager approves above the limit)
COUNT = [
    Binding("f10", "post", "Post", id="count_post", priority=True, tooltip="Post the count"),
    Binding("f7", "new_count", "New", id="count_new", priority=True, tooltip="New count"),
    Binding("f11", "search", "Find", id="count_search", priority=True, tooltip="Find a product"),
    Binding(
        "ctrl+q", "recount", "Recount", id="count_recount", priority=True, tooltip="Count again"
    ),
    Binding("ctrl+d", "remove_line", "Del", id="count_remove", priority=True, tooltip="Del line"),
    Binding(
        "f8", "cancel_count", "Cancel", id="count_cancel", priority=True, tooltip="Cancel count"
    ),
    Binding("down", "focus_list", "Lines", id="count_list", show=False, priority=True),
    Binding("escape", "focus_item", "Item box", id="count_item", show=False),
]

CART = [
    Binding("up", "cursor(-1)", "Up", id="cart_up", show=False, tooltip="Cart: line up"),
    Binding("down", "cursor(1)", "Down", id="cart_down", show=False, tooltip="Cart: line down"),
    Binding(
        "pageup", "cursor(-10)", "Page up", id="cart_page_up", show=False, tooltip="Cart: page up"
    ),
    Binding(
        "pagedown",
        "cursor(10)",
        "Page down",
        id="cart_page_down",
        show=False,
        tooltip="Cart: page down",
    ),
]

DIALOG = [Binding("escape", "cancel", "Cancel", id="dialog_cancel", priority=True)]

# Enter in a code box moves on to the PIN box at once, as Tab does (see GLOBAL): typed ahead,
# "manager<Enter>222222<Enter>" must not land "222222" in the code box. No id: Enter is fixed.
SIGN_IN = [Binding("enter", "enter", "Next box", show=False, priority=True)]

# an amount and a reason (cash in and out): Enter in the amount box goes to the reason
AMOUNT = [Binding("enter", "enter", "Next box", show=False, priority=True)]

# The keys above that step aside outside their own box: they take no key from the widgets
# of the other layers (↓ in the cart still moves its cursor).
YIELDING = {
    "focus_cart",
    "receipts_list",
    "returns_list",
    "reprint_list",
    "search_list",
    "customer_list",
    "transfer_lines",
    "transfer_list",
    "delivery_list",
    "count_list",
}

# the login screen: a manager unlocks a code locked after wrong PINs, with their own PIN
LOGIN = [
    *SIGN_IN,
    Binding("ctrl+u", "unlock", "Unlock a code", id="unlock", show=False, priority=True),
]

SEARCH = [
    *DIALOG,
    Binding("down", "focus_list", "Results", id="search_list", show=False, priority=True),
]

# F7: ↓ from the find box to the customers found, as in every other list
CUSTOMER = [
    *DIALOG,
    Binding("down", "focus_list", "Matches", id="customer_list", show=False, priority=True),
]

SYNC = [*DIALOG, Binding("p", "push", "Push now", id="sync_push")]

SLIP = [
    *DIALOG,
    Binding("p", "print", "Print", id="print_slip"),
    # a bill's A4 tax invoice (PDF), saved and printed on the A4 printer ([printer] a4_*)
    Binding("a", "a4", "A4 invoice", id="a4_invoice"),
]

# the new count's dialog: b turns blind counting on and off (the list takes ↑ ↓ Enter)
NEW_COUNT = [*DIALOG, Binding("b", "blind", "Blind or not", id="count_blind")]

# a yes-or-no question (post a count, cancel it): Enter says yes, Esc no. Enter is fixed.
CONFIRM = [*DIALOG, Binding("enter", "confirm", "Yes", show=False, priority=True)]

# The key bar at the bottom of each main screen: these keys, in this order, as many as fit
# (F1 always, last). The screen's own work first, then where to go from it. F1 lists all.
GO = ("sales", "receipts", "register", "reprint", "dashboard", "returns")
BAR = {
    "sales": ("pay", "customer", "discount", "search", "hold", "quantity", "remove_line"),
    "receipts": ("receipts_pay", "receipts_drop", *GO),
    "returns": ("returns_refund", "returns_method", *GO),
    "delivery": ("delivery_all", "delivery_deliver", "delivery_drop", "delivery_back", *GO),
    "register": (
        *("cash_in", "cash_out", "x_report", "close_register", "no_sale", "register_open"),
        *GO,
    ),
    "reprint": GO,
    "dashboard": GO,
    "transfer_out": (
        *("transfer_send", "transfer_to", "transfer_quantity", "transfer_remove", "transfers"),
        *GO,
    ),
    "transfer_in": ("transfer_receive", "transfer_all", "transfer_refresh", "transfers", *GO),
    "count": (
        *("count_post", "count_new", "count_search", "count_recount", "count_remove"),
        *("count_cancel", *GO),
    ),
}

# Which bindings are live together, screen by screen, in layers from the App down to the
# focused widget: a remapped key must not take another key of the same screen. A priority
# key wins over every layer; a plain key only over the layers above it (↓ in the item box
# goes to the cart, ↓ in the cart moves its cursor).
SCOPES: dict[str, list[list[Binding]]] = {
    "sales": [GLOBAL, SALES, CART],
    "payment": [GLOBAL, PAYMENT],
    "register": [GLOBAL, REGISTER],
    "receipts": [GLOBAL, RECEIPTS],
    "returns": [GLOBAL, RETURNS],
    "delivery": [GLOBAL, DELIVERY],
    "deliver": [GLOBAL, DIALOG, DELIVER],
    "reprint": [GLOBAL, REPRINT],
    "transfer_out": [GLOBAL, TRANSFER_OUT],
    "transfer_in": [GLOBAL, TRANSFER_IN],
    "count": [GLOBAL, COUNT],
    "dialog": [GLOBAL, DIALOG],
    "login": [GLOBAL, LOGIN],
    "approval": [GLOBAL, DIALOG, SIGN_IN],
    "amount": [GLOBAL, DIALOG, AMOUNT],
    "search": [GLOBAL, SEARCH],
    "customer": [GLOBAL, CUSTOMER],
    "sync": [GLOBAL, SYNC],
    "slip": [GLOBAL, SLIP],
    "confirm": [GLOBAL, CONFIRM],
    "new_count": [GLOBAL, NEW_COUNT],
}

# ctrl+f then one of these stands for an F-key: the digit row, left to right, is F1 to F12
FUNCTION_KEY_DIGITS = {
    **{str(n): f"f{n}" for n in range(1, 10)},
    "0": "f10",
    "-": "f11",
    "=": "f12",
}
FUNCTION_KEY_SECONDS = 3  # the digit must follow ctrl+f within this (as the notice says)
FUNCTION_KEY_HINT_SECONDS = 0.5  # the notice, only if no digit has come by then
FUNCTION_KEY_TYPED = {key: typed for typed, key in FUNCTION_KEY_DIGITS.items()}

# Keys no remap may take: a terminal sends some ctrl keys as the very bytes of another key
# (ctrl+m is Enter, ctrl+i Tab, ctrl+h Backspace, ctrl+[ Escape), and the item box and the
# amount boxes need the editing keys. ctrl+c never stops the till (see GLOBAL).
RESERVED = {
    "ctrl+c": "ctrl+c never stops the till; it only says how to leave",
    "ctrl+m": "a terminal sends ctrl+m as Enter",
    "ctrl+j": "a terminal sends ctrl+j as Enter",
    "ctrl+i": "a terminal sends ctrl+i as Tab",
    "ctrl+h": "a terminal sends ctrl+h as Backspace",
    "ctrl+left_square_bracket": "a terminal sends ctrl+[ as Escape",
    "enter": "Enter adds a scan and confirms dialogs",
    "backspace": "Backspace edits the item and amount boxes",
    "delete": "Delete edits the item and amount boxes",
    "left": "← moves in the item and amount boxes",
    "right": "→ moves in the item and amount boxes",
    "home": "Home moves in the item and amount boxes",
    "end": "End moves in the item and amount boxes",
}

_NAMED = {
    "escape", "enter", "tab", "backspace", "delete", "insert", "home", "end", "pageup",
    "pagedown", "up", "down", "left", "right", "space",
}  # fmt: skip
_KEY = re.compile(r"^(?:(ctrl|shift|alt)\+)*([a-z0-9]|f[1-9]|f1[0-9]|f2[0-4]|[a-z_]+)$")


class KeymapError(ValueError):
    """A ``[keys]`` entry the till refuses to start with."""


def binding_ids() -> dict[str, Binding]:
    every = [b for layers in SCOPES.values() for layer in layers for b in layer]
    return {b.id: b for b in every if b.id}


def _valid_key(key: str) -> bool:
    match = _KEY.match(key)
    if not match:
        return False
    base = match.group(2)
    return len(base) == 1 or base in _NAMED or re.fullmatch(r"f[0-9]+", base) is not None


def _printable(key: str) -> bool:
    return len(key) == 1 or key == "space" or (key.startswith("shift+") and len(key) == 7)


def check_remap(keys: Mapping[str, str]) -> dict[str, str]:
    """The ``[keys]`` table, checked: returns it with keys normalised, or raises.

    Refused: an id that names no binding; a key name no terminal sends; a reserved key; a
    printable key for a key that works while typing (it would fire instead of the letter);
    and a key that another binding of the same screen already has.
    """
    known = binding_ids()
    remap: dict[str, str] = {}
    for binding_id, raw in keys.items():
        if binding_id not in known:
            raise KeymapError(
                f"[keys] {binding_id}: no such key action (known: {', '.join(sorted(known))})"
            )
        key = raw.strip().lower()
        if "," in key or not _valid_key(key):
            raise KeymapError(
                f'[keys] {binding_id} = "{raw}": not a key name (e.g. "f7", "ctrl+k", "escape")'
            )
        if key in RESERVED:
            raise KeymapError(f'[keys] {binding_id} = "{raw}": {RESERVED[key]}')
        if known[binding_id].priority and _printable(key):
            raise KeymapError(
                f'[keys] {binding_id} = "{raw}": works while typing, so it cannot be a '
                "printable key (it would fire instead of the letter)"
            )
        remap[binding_id] = key
    for scope, layers in SCOPES.items():
        # every priority key against every key of the screen; plain keys (and those that
        # step aside outside their box) within a layer
        priority: dict[str, str] = {}
        for layer in layers:
            for binding in layer:
                if _takes_all(binding):
                    _claim(priority, binding, remap, scope)
        for layer in layers:
            plain: dict[str, str] = {}
            for binding in layer:
                if _takes_all(binding):
                    continue
                _claim(plain, binding, remap, scope)
                key = remap.get(binding.id, binding.key) if binding.id else binding.key
                if key in priority:
                    _collide(key, priority[key], binding, scope)
    return remap


def _takes_all(binding: Binding) -> bool:
    return binding.priority and binding.id not in YIELDING


def _claim(taken: dict[str, str], binding: Binding, remap: dict[str, str], scope: str) -> None:
    key = remap.get(binding.id, binding.key) if binding.id else binding.key
    other = taken.get(key)
    if other is not None and other != (binding.id or binding.action):
        _collide(key, other, binding, scope)
    taken[key] = binding.id or binding.action


def _collide(key: str, other: str, binding: Binding, scope: str) -> None:
    names = sorted({other, binding.id or binding.action})
    raise KeymapError(
        f'[keys] "{key}" would be both {names[0]} and {names[1]} ({scope} screen): '
        "give one of them another key"
    )


def key_label(key: str) -> str:
    """A key as F1 shows it: an F-key also with what a terminal without F-keys types."""
    typed = FUNCTION_KEY_TYPED.get(key)
    return f"{key}/^F {typed}" if typed else key


_ARROWS = {"up": "↑", "down": "↓", "left": "←", "right": "→", "escape": "Esc"}


def short_key(key: str) -> str:
    """A key as the key bar shows it: F10, ^Q, Esc, ↓, o."""
    if re.fullmatch(r"f[0-9]+", key):
        return key.upper()
    if key.startswith("ctrl+") and len(key) == 6:
        return "^" + key[-1].upper()
    return _ARROWS.get(key, key)
