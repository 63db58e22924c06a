"""Every key of every screen, pressed in a real terminal as the terminal sends it.

The real ``o2pos run`` on the demo store, in tmux at 80×24. Each key goes in as the bytes a
terminal writes for it: F-keys as terminfo says the TERM sends them (the Linux console's
F1 is ``ESC [ [ A``) and as ctrl+f then a digit, ctrl keys as their control byte (ctrl+q
is 0x11, ctrl+c 0x03), Esc as a lone 0x1b. After each key the test waits for what a cashier
would see (the dialog or screen it opens, by its title, or the change it makes) and checks
that the till still runs and that no traceback is on screen. The Pilot tests check the
flows; they press keys inside Textual, where a binding that the terminal's bytes reach
first (Textual's own ctrl+q once quit the till) is never seen.

Why one full walk and a short one per TERM covers every terminal:

- ``test_every_key_of_every_screen`` presses, under TERM=xterm-256color, every binding of
  every scope in ``keymap.SCOPES`` on that scope, F1 and ctrl+c on each of them, and every
  F-key both as terminfo's bytes and as ctrl+f then its digit. It fails if a binding was
  not pressed where it is live, so a key added later without a check fails it.
- Control bytes (ctrl+q, ctrl+c, ctrl+f then a digit, Tab, Enter, Esc, Backspace) and
  printable keys (the register's o/i/u/x/c/n, p, m) are the same bytes in every terminal.
- What differs from terminal to terminal is the escape sequences: F1-F12, ↑ ↓, PgUp PgDn
  and shift+Tab (the Linux console's is ``ESC Tab``).
  ``test_the_keys_each_terminal_sends_differently`` presses those, as terminfo gives them
  for xterm, screen and linux, on the screens where they act; xterm-256color sends the
  same sequences as xterm (checked there). Cursor keys come in two forms: terminfo's
  ``kcuu1`` is the application-mode form (SS3, ``ESC O A``), which the per-TERM test sends;
  an application that leaves the cursor keys in normal mode, as Textual does, gets the
  CSI form (``ESC [ A``) from a real xterm, which is what the full walk sends.
"""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.binding import Binding

from o2pos.tui import keymap
from tests.terminal import Tmux, free_port
from tests.tui.test_terminals import send_bytes, terminfo
from tests.tui.test_tmux_e2e import o2pos

MAIN_TERM = "xterm-256color"
OTHER_TERMS = ["xterm", "screen", "linux"]
DEADLINE = 30.0  # seconds for any one effect to show: generous, on two shared cores

RICE = "8901001000018"  # Daawat Rozana Basmati Rice 5 kg, 545.00
ATTA = "8901002000017"  # Aashirvaad Whole Wheat Atta 5 kg, 285.00
MILK = "DAI-000052"  # Amul Taaza Toned Milk 500 ml: sold by lot (data/demo/lots.csv)

# the terminfo capability of each key whose bytes differ from terminal to terminal
CAPABILITY = {
    **{f"f{n}": f"kf{n}" for n in range(1, 13)},
    "up": "kcuu1",
    "down": "kcud1",
    "pageup": "kpp",
    "pagedown": "knp",
    "shift+tab": "kcbt",
}
# cursor keys as a terminal sends them to an application that leaves them in normal mode
NORMAL_MODE = {"up": b"\x1b[A", "down": b"\x1b[B"}
PLAIN = {"enter": b"\r", "escape": b"\x1b", "tab": b"\t", "backspace": b"\x7f"}

# what only that screen shows, so arriving there is seen and not mistaken for staying
SCREEN_TEXT = {
    "sales": r"F7 Cust",  # its key bar
    "receipts": r"\^D Drop last",  # its key bar
    "returns": r"Can return",  # a column of its list
    "delivery": r"Esc List",  # its key bar
    "register": r"Expected in drawer|The cash register is closed",
    "reprint": r"S-…, R-…, RT-…, Z-…|Number\s+When\s+What",  # its number box, its list
    "dashboard": r"Top products",
    "count": r"No stock count is open at|Count at \w+ ·",
    "login": r"Sign in to the till",
    "transfer_out": r"Transfer out of MAIN",  # its head line
    "transfer_in": r"Incoming transfers to MAIN|TO-T1-\d+ from",
}
CRASH = re.compile(r"Traceback|\b[A-Z]\w*Error\b|Something went wrong")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
CTRL_C_SAYS = "ctrl+c does not stop the till"
ENDED = "o2pos run ended:"  # what the shell around the till prints when it ends

Check = Callable[[str], bool]


def control_byte(key: str) -> bytes:
    """ctrl+q → 0x11: what every terminal sends for a ctrl key."""
    letter = key.removeprefix("ctrl+")
    assert len(letter) == 1 and letter.isalpha(), key
    return bytes([ord(letter) & 0x1F])


def named(doc: str, check: Check) -> Check:
    check.__doc__ = doc
    return check


def title(text: str) -> Check:
    """A dialog whose title starts with ``text`` is up."""
    pattern = re.compile(r"█  " + re.escape(text))
    return named(f"the dialog {text!r}", lambda screen: pattern.search(screen) is not None)


def no_title(text: str) -> Check:
    shown = title(text)
    return named(f"no dialog {text!r}", lambda screen: not shown(screen))


def shows(*texts: str) -> Check:
    return named(f"{texts}", lambda screen: all(text in screen for text in texts))


def gone(text: str) -> Check:
    return named(f"{text!r} gone", lambda screen: text not in screen)


def line(pattern: str) -> Check:
    compiled = re.compile(pattern, re.M)
    return named(f"/{pattern}/", lambda screen: compiled.search(screen) is not None)


def cart_line(number: int, name: str) -> Check:
    return line(rf"^{number}\s+{re.escape(name)}")


def on(name: str) -> Check:
    """The main screen ``name`` is up, and no other main screen."""
    here = re.compile(SCREEN_TEXT[name])
    others = [re.compile(text) for other, text in SCREEN_TEXT.items() if other != name]

    def check(screen: str) -> bool:
        return here.search(screen) is not None and not any(o.search(screen) for o in others)

    return named(f"the {name} screen", check)


def both(*checks: Check) -> Check:
    return named(
        " and ".join(c.__doc__ or "?" for c in checks),
        lambda screen: all(c(screen) for c in checks),
    )


def anything(screen: str) -> bool:
    """No effect of its own to wait for: the next key's effect shows this one's."""
    return True


def help_rows(scope: str | None, *, signed_in: bool = True) -> list[str]:
    """What F1 lists on ``scope``: the screen's own keys, then the global ones (signed
    out, only those that act then: the others go to screens that need someone). The
    cart's keys are its own, not the sales screen's: F1 lists ↓ to the cart, not them."""
    layers = keymap.SCOPES[scope][1:] if scope else []
    own = [binding for layer in layers if layer is not keymap.CART for binding in layer]
    shared = [b for b in keymap.GLOBAL if signed_in or b.id in keymap.SIGNED_OUT]
    rows = []
    for binding in [*own, *shared]:
        if binding.description:
            label = (binding.tooltip or binding.description)[:16]
            rows.append(f"{keymap.key_label(binding.key)}  {label}")
    return rows


def lists_global_keys(screen: str) -> bool:
    """F1 where the screen has no keys of its own (the dashboard): the global ones, and
    none of Textual's own Screen keys, which the global ones shadow."""
    rows = help_rows(None)
    return title("Keys")(screen) and all(row in screen for row in rows) and "Focus" not in screen


def lists_keys_of(scope: str, *, signed_in: bool = True) -> Check:
    rows = help_rows(scope, signed_in=signed_in)
    keys = title("Keys")
    absent = [row for row in help_rows(None) if row not in rows]  # signed out: F2 and on
    return named(
        f"F1's keys of {scope}: {rows}, none of {absent}",
        lambda screen: (
            keys(screen)
            and all(row in screen for row in rows)
            and not any(row in screen for row in absent)
        ),
    )


def reversed_runs(styled: str) -> list[str]:
    """The runs of text drawn in reverse video (the cart's line, the payment method)."""
    runs: list[str] = []
    for row in styled.split("\n"):
        reverse, run = False, ""
        for part in re.split(r"(\x1b\[[0-9;]*m)", row):
            match = SGR.fullmatch(part)
            if match is None:
                if reverse:
                    run += part
                continue
            for code in (match.group(1) or "0").split(";"):
                if code == "7":
                    reverse = True
                elif code in ("0", "27") and reverse:
                    reverse = False
                    runs.append(run)
                    run = ""
        runs.append(run)
    return [run.strip() for run in runs if re.search(r"\w", run)]


def binding_pressed(scope: str, key: str) -> Binding | None:
    """The binding ``key`` reaches on ``scope``; "cart" is the sales screen's cart."""
    layers = [keymap.CART] if scope == "cart" else keymap.SCOPES.get(scope, [keymap.GLOBAL])
    for layer in layers:
        if layer is keymap.CART and scope != "cart":
            continue  # the cart's keys act only while the cart has the focus
        for binding in layer:
            if binding.key == key:
                return binding
    return None


class Till:
    """The till in tmux, and a record of every binding pressed, where, in which form."""

    def __init__(self, cwd: Path, term: str) -> None:
        self.tmux = Tmux(cwd)
        self.term = term
        self.pressed: set[tuple[str, str]] = set()  # (scope, binding id or action)
        self.f_key_forms: dict[str, list[str]] = defaultdict(list)  # f7 → [terminfo, ctrl+f]
        self.last = "start"
        self.saved = ""  # the bill saved unpaid (ctrl+s), paid at Receipts
        self.paid = ""  # the bill paid in cash, returned at Returns

    def start(self) -> None:
        # The shell around the till says how it ended, and then holds the terminal open so
        # that the till's last words stay on screen (a terminal closed at once can lose
        # them; tmux's own exit status of a pane is not to be trusted either).
        command = f'env TERM={self.term} {sys.executable} -m o2pos run; echo "{ENDED} $?"'
        self.tmux.start(f"{command}; sleep 3600")

    def close(self) -> None:
        self.tmux.close()

    # --- looking ----------------------------------------------------------------------

    def screen(self) -> str:
        return self.tmux.screen()

    def styled(self) -> str:
        return self.tmux.run("capture-pane", "-p", "-e")

    def ended(self, screen: str = "") -> str:
        """How the till ended, or "" while it runs."""
        status = re.search(ENDED + r" (\d+)", screen or self.screen())
        if status:
            return f"the till ended with exit status {status.group(1)}"
        return ""

    def assert_healthy(self, screen: str) -> None:
        ended = self.ended(screen)
        assert not ended, f"after {self.last}: {ended}; the screen:\n{screen}"
        crash = CRASH.search(screen)
        assert crash is None, f"after {self.last}: {crash.group(0)!r} on screen:\n{screen}"

    def wait(self, check: Check, *, running: bool = True) -> str:
        """Poll the screen until ``check`` holds; the till must stay up all the while
        (unless ``running`` is False: waiting for it to end)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            screen = self.screen()
            if running:
                self.assert_healthy(screen)
            if check(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"after {self.last}: never saw {check.__doc__}; the screen:\n{screen}"
                )
            time.sleep(0.05)

    def wait_styled(self, check: Check, what: str) -> str:
        deadline = time.monotonic() + DEADLINE
        while True:
            styled = self.styled()
            self.assert_healthy(SGR.sub("", styled))
            if check(styled):
                return styled
            if time.monotonic() > deadline:
                raise AssertionError(f"after {self.last}: never saw {what}:\n{self.screen()}")
            time.sleep(0.05)

    def highlighted(self, text: str) -> None:
        """Wait until a reverse-video run (the cart's line, the method) starts with text."""
        self.wait_styled(
            lambda styled: any(run.startswith(text) for run in reversed_runs(styled)),
            f"{text!r} highlighted",
        )

    @staticmethod
    def box_edges(styled: str) -> list[str]:
        """The top edges of the text boxes on screen: drawn lit for the one with the focus."""
        return [row for row in styled.split("\n") if "▔" in row]

    # --- pressing ---------------------------------------------------------------------

    def key_bytes(self, key: str, form: str) -> bytes:
        if form == "ctrl+f":
            return control_byte("ctrl+f") + keymap.FUNCTION_KEY_TYPED[key].encode()
        if form == "normal":
            return NORMAL_MODE[key]
        if key in CAPABILITY:
            return terminfo(self.term, CAPABILITY[key])
        if key in PLAIN:
            return PLAIN[key]
        if key.startswith("ctrl+"):
            return control_byte(key)
        assert len(key) == 1, key
        return key.encode()

    def press(
        self, scope: str, key: str, then: Check, *, form: str = "", moves_focus: bool = False
    ) -> str:
        """Press ``key`` on ``scope`` and wait for ``then``: an F-key as terminfo's bytes
        or with ``form="ctrl+f"`` as ctrl+f then its digit. ``moves_focus``: the key takes
        the focus from a text box or gives it one, and the next keys must not go in before
        it has (a key that follows at once goes where the focus was when it came in)."""
        before = self.box_edges(self.styled()) if moves_focus else []
        if key in keymap.FUNCTION_KEY_TYPED:
            form = form or "terminfo"
            self.f_key_forms[key].append(form)
        binding = binding_pressed(scope, key)
        if binding is not None:
            self.pressed.add(("sales" if scope == "cart" else scope, binding.id or binding.action))
        self.last = f"{key}{f' ({form})' if form else ''} on {scope}"
        send_bytes(self.tmux, self.key_bytes(key, form))
        if moves_focus:
            self.wait_styled(lambda styled: self.box_edges(styled) != before, "the focus move")
        return self.wait(then)

    def ctrl_c(self, scope: str) -> None:
        """ctrl+c says how to leave, and the till stays (checked after every key)."""
        self.wait(gone(CTRL_C_SAYS))  # the last one has gone: this one is seen anew
        self.press(scope, "ctrl+c", shows(CTRL_C_SAYS))

    def type(self, text: str, then: Check = anything) -> str:
        """Text as typed or scanned (not a binding)."""
        self.last = f"typing {text!r}"
        self.tmux.run("send-keys", "-l", text)
        return self.wait(then)

    def enter(self, then: Check) -> str:
        self.last = "Enter"
        send_bytes(self.tmux, PLAIN["enter"])
        return self.wait(then)

    def scan(self, code: str, then: Check) -> str:
        self.type(code)
        return self.enter(then)

    def sign_in(self, then: Check, *, via: str = "enter") -> str:
        """Code, Enter or Tab (both move to the PIN at once), PIN, Enter."""
        self.wait(both(on("login"), shows("cashier / 1111")))
        self.type("cashier")
        self.press("login", via, anything)
        self.type("1111")
        return self.enter(then)

    def open_register(self) -> None:
        self.sign_in(title("Open the cash register"))
        self.type("2000")
        self.enter(both(no_title("Open the cash register"), shows("drawer open")))
        self.scan(ATTA, cart_line(1, "Aashirvaad Whole Wheat Atta 5 kg"))

    def approve(self, then: Check, *, via: str = "enter") -> str:
        """A manager's code, Enter or Tab, PIN and Enter in the approval dialog."""
        self.wait(title("Manager approval"))
        self.type("manager")
        self.press("approval", via, anything)
        self.type("222222")
        return self.enter(both(no_title("Manager approval"), then))


def first(screen: str, pattern: str) -> str:
    match = re.search(pattern, screen, re.M)
    assert match, f"no {pattern!r} on screen:\n{screen}"
    return match.group(1)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The demo store, a printer that writes to a file, and a central nobody answers at."""
    o2pos(tmp_path, "init", "--demo")
    (tmp_path / "o2pos.toml").write_text(
        f'[central]\nurl = "http://127.0.0.1:{free_port()}"\ntoken = "not-registered"\n'
        f'[printer]\nkind = "dummy"\ndevice = "{tmp_path / "printer.bin"}"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_every_key_of_every_screen(store: Path) -> None:
    till = Till(store, MAIN_TERM)
    try:
        till.start()
        walk(till)
        till.pressed.add(("sales", "leave"))  # ctrl+e, last: the till ends, and cleanly
        send_bytes(till.tmux, control_byte("ctrl+e"))
        screen = till.wait(named("the till's end", lambda s: ENDED in s), running=False)
        assert till.ended(screen) == "the till ended with exit status 0", screen
        assert CRASH.search(screen) is None, screen
    finally:
        till.close()
    errors = [
        row for row in (store / "data" / "o2pos.log").read_text().splitlines() if "ERROR" in row
    ]
    assert not errors, errors
    assert_every_key_pressed(till)


def walk(till: Till) -> None:
    login(till)
    sales_keys(till)
    payment_keys(till)
    sync_keys(till)
    tour(till)
    receipts_keys(till)
    returns_keys(till)
    delivery_keys(till)
    register_keys(till)
    reprint_keys(till)
    transfers_keys(till)
    lock_keys(till)
    count_keys(till)


def login(till: Till) -> None:
    till.wait(both(on("login"), shows("cashier / 1111")))
    till.ctrl_c("login")
    till.press("login", "f12", title("Sync with the central"))
    till.press("sync", "escape", both(no_title("Sync"), on("login")))
    # nobody signed in: the keys that change screens and lock stay on the login screen
    for key in ("f2", "f3", "f4", "f5", "f6", "ctrl+r", "ctrl+l"):
        till.press("login", key, anything)
    till.press("login", "f1", title("Keys"), form="ctrl+f")  # F1 acts: the keys before it
    till.press("dialog", "escape", both(no_title("Keys"), on("login")))  # changed nothing
    till.press("login", "f1", lists_keys_of("login", signed_in=False))
    till.press("dialog", "escape", both(no_title("Keys"), on("login")))

    # ctrl+u: a manager unlocks a code locked after wrong PINs
    till.press("login", "ctrl+u", shows("Type the locked user code first"))
    till.type("cashier")
    till.press("login", "enter", anything)  # on to the PIN box, before the PIN is typed
    for _ in range(5):  # each wrong PIN is taken (the box empties) before the next is typed
        till.type("9999", line(r"▊  ••••\s+▎"))
        till.enter(line(r"▊  PIN\s+▎"))
    till.wait(shows("locked", "^U: a manager unlocks it"))
    till.press("login", "ctrl+u", title("Manager approval"))
    till.press("approval", "f1", lists_keys_of("approval", signed_in=False))
    till.press("dialog", "escape", both(no_title("Keys"), title("Manager approval")))
    till.ctrl_c("approval")
    till.press("approval", "escape", both(no_title("Manager approval"), shows("Cancelled")))
    till.press("login", "ctrl+u", title("Manager approval"))
    till.approve(shows("cashier is unlocked"), via="tab")
    till.type("1111")  # the code stayed in its box; the PIN box has the focus
    till.enter(title("Open the cash register"))
    till.type("2000")
    till.enter(both(no_title("Open the cash register"), shows("drawer open"), on("sales")))


def sales_keys(till: Till) -> None:
    # on an empty bill each key says what it needs
    till.press("sales", "f10", shows("The bill is empty"))
    till.press("sales", "ctrl+q", shows("Scan an item first"))
    till.press("sales", "ctrl+d", shows("The bill has no line to remove"))
    till.press("sales", "ctrl+p", shows("Scan an item first"))
    till.press("sales", "ctrl+t", shows("Type or scan the item first"))
    till.press("sales", "f1", lists_keys_of("sales"))
    till.press("dialog", "escape", no_title("Keys"))
    till.press("sales", "f8", shows("No held bills"), form="ctrl+f")
    till.ctrl_c("sales")

    # ringing up: a scan, a lot (ctrl+t), a quick-add button (ctrl+k)
    till.scan(RICE, cart_line(1, "Daawat Rozana Basmati Rice 5 kg"))
    till.type(MILK, line(r"Item ▊  " + MILK))
    till.press("sales", "ctrl+t", title("Lot of Amul Taaza Toned Milk 500 ml"))
    till.enter(both(no_title("Lot of"), cart_line(2, "Amul Taaza Toned Milk 500 ml")))
    till.press("sales", "ctrl+k", title("Quick add"))
    till.press("dialog", "escape", no_title("Quick add"))
    till.press("sales", "ctrl+k", title("Quick add"))
    till.type("12")  # button 12: Amul Taaza Toned Milk 1 l
    till.enter(both(no_title("Quick add"), cart_line(3, "Amul Taaza Toned Milk 1 l")))
    till.highlighted("3   Amul Taaza Toned Milk 1 l")

    # the cart: ↓ into it, ↑ ↓ PgUp PgDn move the highlight, Esc back to the item box
    till.press("sales", "down", anything, form="normal", moves_focus=True)
    till.press("cart", "up", anything, form="normal")
    till.highlighted("2   Amul Taaza Toned Milk 500 ml")
    till.press("cart", "down", anything, form="normal")
    till.highlighted("3   Amul Taaza Toned Milk 1 l")
    till.press("cart", "pageup", anything)
    till.highlighted("1   Daawat Rozana")
    till.press("cart", "pagedown", anything)
    till.highlighted("3   Amul Taaza Toned Milk 1 l")
    till.press("cart", "up", anything, form="normal")
    till.highlighted("2   Amul Taaza Toned Milk 500 ml")
    till.press("sales", "escape", anything, moves_focus=True)

    # ctrl+d removes the highlighted line (not the last one)
    till.press(
        "sales",
        "ctrl+d",
        both(shows("Line removed"), gone("Toned Milk 500 ml"), cart_line(2, "Amul Taaza")),
    )
    till.scan(ATTA, cart_line(3, "Aashirvaad Whole Wheat Atta 5 kg"))

    # ctrl+q: the quantity of the highlighted line (the one just scanned)
    till.press("sales", "ctrl+q", title("Quantity of Aashirvaad Whole Wheat Atta 5 kg"))
    # Backspace is the box's own binding: it acts once the key has gone up to the App, and a
    # digit typed at once would go in first; wait for the box to be empty
    till.press("dialog", "backspace", line(r"^ +█  ▊ +▎  █$"))
    till.type("3")
    till.enter(both(no_title("Quantity of"), line(r"^3\s+Aashirvaad.*\s3\s+285\.00")))

    # ctrl+p: a new price, which a cashier gives only with a manager's approval
    till.press("sales", "ctrl+p", title("Price of Aashirvaad Whole Wheat Atta 5 kg"))
    till.type("280")
    till.enter(title("Manager approval"))
    till.approve(line(r"^3\s+Aashirvaad.*\s3\s+280\.00"))

    # F9: discount or coupon; Tab and shift+Tab between its fields
    till.press("sales", "f9", title("Discount or coupon"))
    # a dialog: F1 lists its keys, ctrl+c, F12 over it; Esc back to it
    till.press("dialog", "f1", lists_keys_of("dialog"))
    till.press("dialog", "escape", both(no_title("Keys"), title("Discount or coupon")))
    till.ctrl_c("dialog")
    till.press("dialog", "f12", title("Sync with the central"), form="ctrl+f")
    till.press("sync", "escape", both(no_title("Sync"), title("Discount or coupon")))
    till.press("dialog", "tab", anything)
    till.press("dialog", "shift+tab", anything)
    till.type("10%", both(gone("line discount: 10% or 25.00"), shows("bill discount: 5% or")))
    till.press("dialog", "escape", both(no_title("Discount or coupon"), shows("Disc 0.00")))
    till.press("sales", "f9", title("Discount or coupon"), form="ctrl+f")
    till.press("dialog", "tab", anything)
    till.press("dialog", "tab", anything)
    till.type("WELCOME10", gone("coupon code (empty: remove)"))
    till.enter(both(no_title("Discount or coupon"), shows("coupon WELCOME10")))

    # F7: the customer
    till.press("sales", "f7", title("Customer"))
    # its keys: F1 lists them, ctrl+c, F12 over it; Esc back to it, Esc closes it
    till.press("customer", "f1", lists_keys_of("customer"))
    till.press("dialog", "escape", both(no_title("Keys"), title("Customer")))
    till.ctrl_c("customer")
    till.press("customer", "f12", title("Sync with the central"), form="ctrl+f")
    till.press("sync", "escape", both(no_title("Sync"), title("Customer")))
    till.press("customer", "escape", both(no_title("Customer"), shows("Customer walk-in")))
    till.press("sales", "f7", title("Customer"), form="ctrl+f")
    till.type("Aarav", shows("Aarav Sharma"))
    # ↓ from the find box into the matches, on the first found: its boxes are compact (no
    # edges to watch), so the next key waits for the screen to change at all
    before = till.styled()
    till.press("customer", "down", anything)
    till.wait_styled(lambda styled: styled != before, "the matches take the focus")
    till.enter(both(no_title("Customer"), shows("Customer Aarav")))

    # F11: find a product; ↓ goes to the results, ↓ again to the second of them
    till.press("sales", "f11", title("Find a product"))
    till.press("search", "f1", lists_keys_of("search"))
    till.press("dialog", "escape", both(no_title("Keys"), title("Find a product")))
    till.ctrl_c("search")
    till.press("search", "f12", title("Sync with the central"))
    till.press("sync", "escape", both(no_title("Sync"), title("Find a product")))
    till.press("search", "escape", no_title("Find a product"))
    till.press("sales", "f11", title("Find a product"), form="ctrl+f")
    # name (cut to its column), price, stock (and what is free of it), SKU
    result = re.compile(
        r"^\s*█   (\S.*?)\s{2,}[\d,]+\.\d\d\s+-?[\d.]+(?: \([-\d.]+\))?\s+[A-Z]{3}-\d+", re.M
    )

    def found_salt(screen: str) -> bool:  # the results of the whole query, not of "tata s"
        names = result.findall(screen)
        return len(names) >= 2 and all("Salt" in name for name in names)

    screen = till.type("tata salt", named("two salts found", found_salt))
    second = result.findall(screen)[1]
    stem = second.split("…")[0]  # a long name is cut in the middle, its pack size kept
    till.press("search", "down", anything, form="normal", moves_focus=True)
    till.press("search", "down", anything, form="normal")  # the results' own ↓
    till.enter(
        both(
            no_title("Find a product"),
            cart_line(4, second[:20]),
            line(rf"{re.escape(stem)}.* × 1 "),
        )
    )

    # F8: hold the bill, and on the empty one that follows, recall it
    till.press("sales", "f8", both(shows("Bill held"), shows("Items 0")))
    till.press("sales", "f8", both(shows("Recalled a held bill"), cart_line(4, second[:20])))

    # ctrl+s: saved unpaid, to pay at Receipts
    screen = till.press("sales", "ctrl+s", shows(" to pay at Receipts (F3)"))
    till.saved = first(screen, r"Bill (S-T1-\d+) saved")
    till.wait(shows("Items 0"))

    # ctrl+x: void, with a manager's approval (Esc first: nothing is voided)
    till.scan(RICE, cart_line(1, "Daawat Rozana"))
    till.press("sales", "ctrl+x", title("Manager approval"))
    till.press("approval", "escape", shows("Cancelled: no manager approval"))
    till.wait(cart_line(1, "Daawat Rozana"))
    till.press("sales", "ctrl+x", title("Manager approval"))
    till.approve(both(shows("Bill voided"), shows("Items 0")))

    # ctrl+g: a gift voucher of a typed amount; a refused amount leaves the dialog up, Esc
    # sells nothing, Enter puts it on the bill (taken off again: the next bill is paid)
    till.press("sales", "ctrl+g", title("Gift voucher"))
    till.type("0")
    till.enter(both(title("Gift voucher"), shows("The amount must be more than zero")))
    till.press("dialog", "escape", both(no_title("Gift voucher"), shows("Items 0")))
    till.press("sales", "ctrl+g", title("Gift voucher"))
    till.type("500")
    till.enter(both(no_title("Gift voucher"), cart_line(1, "Gift voucher")))
    till.wait(shows("Gift voucher 500.00 added", "TOTAL 500.00"))
    till.press("sales", "ctrl+d", both(shows("Line removed"), shows("Items 0")))


def payment_keys(till: Till) -> None:
    till.scan(RICE, cart_line(1, "Daawat Rozana"))
    till.press("sales", "f10", title("Payment · due 545.00"))
    till.highlighted("Cash")
    till.press("payment", "f1", lists_keys_of("payment"))
    till.press("dialog", "escape", both(no_title("Keys"), title("Payment")))
    till.press("payment", "down", anything, form="normal")
    till.highlighted("Card")
    till.wait(shows("approval code"))  # the card's reference box
    till.press("payment", "up", anything, form="normal")
    till.highlighted("Cash")
    till.press("payment", "up", anything, form="normal")
    till.highlighted("On account")  # ↑ from the first goes round to the last
    till.press("payment", "down", anything, form="normal")
    till.highlighted("Cash")
    till.ctrl_c("payment")
    till.press("payment", "f12", title("Sync with the central"))
    till.press("sync", "escape", both(no_title("Sync"), title("Payment")))
    # the keys that change screens wait until the payment is taken or left
    for key in ("f2", "f3", "f4", "f5", "f6", "ctrl+r"):
        till.press("payment", key, anything)
    till.press("payment", "down", anything, form="normal")
    till.highlighted("Card")  # the keys before it were taken, and changed nothing:
    till.wait(both(title("Payment · due 545.00"), on("sales")))
    till.press("payment", "up", anything, form="normal")
    till.highlighted("Cash")
    till.press("payment", "escape", both(no_title("Payment"), cart_line(1, "Daawat Rozana")))
    till.press("sales", "f10", title("Payment · due 545.00"), form="ctrl+f")
    screen = till.enter(line(r"Bill S-T1-\d+ paid 545\.00"))
    till.paid = first(screen, r"Bill (S-T1-\d+) paid")


def sync_keys(till: Till) -> None:
    """F12: the sync dialog; p pushes now; F12 on it does not stack a second one."""
    till.press("sales", "f12", title("Sync with the central"))
    till.press("sync", "f1", lists_keys_of("sync"))
    till.press("dialog", "escape", both(no_title("Keys"), title("Sync with the central")))
    till.ctrl_c("sync")
    till.press("sync", "p", line(r"Pushing now…|A push is already under way"))
    till.press("sync", "f12", title("Sync with the central"))
    till.press("sync", "escape", both(no_title("Sync"), on("sales")))


def tour(till: Till) -> None:
    """Every main screen from another, by its key."""
    till.press("sales", "ctrl+r", on("returns"))
    till.press("returns", "f3", on("receipts"))
    till.press("receipts", "f5", on("reprint"))
    till.press("reprint", "f4", on("register"))
    till.press("register", "f6", both(on("dashboard"), shows("Held bills 0")))
    till.press("dashboard", "f1", named("F1's global keys", lists_global_keys))
    till.press("dialog", "escape", both(no_title("Keys"), on("dashboard")))
    till.ctrl_c("dashboard")
    till.press("dashboard", "ctrl+r", on("returns"))
    till.press("returns", "f6", on("dashboard"), form="ctrl+f")
    till.press("dashboard", "f5", on("reprint"), form="ctrl+f")
    till.press("reprint", "f3", on("receipts"), form="ctrl+f")
    till.press("receipts", "f4", on("register"), form="ctrl+f")
    till.press("register", "f2", on("sales"), form="ctrl+f")


def around(till: Till, scope: str, check: Check) -> None:
    """F1 lists the screen's keys, ctrl+c, F12 over it: each leaves the screen as it was."""
    till.press(scope, "f1", lists_keys_of(scope))
    till.press("dialog", "escape", both(no_title("Keys"), check))
    till.ctrl_c(scope)
    till.press(scope, "f12", title("Sync with the central"))
    till.press("sync", "escape", both(no_title("Sync"), check))


def receipts_keys(till: Till) -> None:
    """↓ Enter picks an open bill, ctrl+d drops it, F10 takes the payment."""
    till.press("sales", "f3", on("receipts"))
    around(till, "receipts", on("receipts"))
    till.press("receipts", "f10", shows("Choose the bills to pay first"))
    till.press("receipts", "down", anything, form="normal", moves_focus=True)
    till.enter(shows("Chosen 1 · due"))
    till.press("receipts", "ctrl+d", shows("Chosen 0 · due 0.00"))
    till.press("receipts", "shift+tab", anything, moves_focus=True)  # to the number box
    till.type(till.saved)
    till.enter(both(shows("Chosen 1 · due"), line(rf"{till.saved}.*✓")))
    till.press("receipts", "down", anything, form="normal", moves_focus=True)  # paid from the list
    till.press("receipts", "f10", title("Receipt · due"))
    till.enter(both(no_title("Receipt"), line(r"Receipt R-T1-\d+: [\d,.]+ rec")))
    till.type("S-T1-", line(r"▊\s+S-T1-\s"))  # the next bill's number goes in the box again


def returns_keys(till: Till) -> None:
    """↓ to the lines, Enter a quantity, m the refund method, F10 the refund, its slip."""
    paid = till.paid
    till.press("receipts", "ctrl+r", on("returns"))
    around(till, "returns", on("returns"))
    till.press("returns", "f10", shows("Find the bill and choose"))
    till.type(paid)
    till.enter(both(shows(f"against {paid}"), line(r"^ 1\s+Daawat Rozana")))
    for method in ("Card", "UPI", "Credit note", "On account", "Cash"):
        till.press("returns", "m", shows(f"refund by {method}"))
    till.press("returns", "shift+tab", anything, moves_focus=True)  # to the number box
    till.press("returns", "down", anything, form="normal", moves_focus=True)
    till.enter(title("Quantity of Daawat Rozana Basmati Rice 5 kg"))  # the first line
    till.enter(both(no_title("Quantity of"), line(r"^ 1\s+Daawat.*\s1\s+1\s+1\s+545")))
    till.press("returns", "f10", title("Manager approval"))
    till.approve(title("Return RT-T1-"))
    # a slip: F1, ctrl+c, F12 over it; p prints a copy; Esc closes it
    around(till, "slip", title("Return RT-T1-"))
    till.press("slip", "p", shows("Sent to the printer"))
    till.press("slip", "escape", both(no_title("Return RT-T1-"), shows("refund 545.00")))


def delivery_keys(till: Till) -> None:
    """ctrl+w marks a bill for delivery; ctrl+y: the pending list, the bill, a line's
    quantity (Enter), ctrl+d drops it, F10, F9 all, the note; Esc back to the list."""
    till.press("returns", "ctrl+y", on("delivery"))
    around(till, "delivery", on("delivery"))
    till.press("delivery", "f9", shows("Scan or pick the bill to deliver first"))
    till.press("delivery", "ctrl+d", shows("Pick a bill first"))
    till.press("delivery", "escape", anything)  # on the list: to the number box
    till.press("delivery", "f2", on("sales"))
    till.scan(RICE, cart_line(1, "Daawat Rozana"))
    till.press("sales", "ctrl+w", title("Delivery of this bill"))
    till.press("dialog", "escape", no_title("Delivery of this bill"))
    till.press("sales", "ctrl+w", title("Delivery of this bill"))
    till.press("dialog", "down", anything, form="normal")
    till.enter(both(no_title("Delivery of"), shows("TO BE DELIVERED: home delivery")))
    till.press("sales", "f10", title("Payment · due 545.00"))
    screen = till.enter(line(r"Bill S-T1-\d+ paid 545\.00"))
    number = first(screen, r"Bill (S-T1-\d+) paid")
    till.press("sales", "ctrl+y", both(on("delivery"), line(rf"^ {number}\s+walk-in\s+home")))
    till.press("delivery", "down", anything, form="normal", moves_focus=True)
    till.enter(shows(f"Bill {number}", "pending 1"))
    till.enter(title("Quantity of Daawat Rozana Basmati Rice 5 kg"))
    till.enter(both(no_title("Quantity of"), shows("pending 1 · now 1")))
    till.press("delivery", "ctrl+d", both(shows("pending 1"), gone("now 1")))
    till.press("delivery", "f10", shows("Enter on a line sets what goes now"))
    till.press("delivery", "f9", title(f"Deliver 1 line of {number}"))
    around(till, "deliver", title(f"Deliver 1 line of {number}"))
    till.press("deliver", "escape", both(no_title("Deliver 1 line"), shows("pending 1 · now 1")))
    till.press("delivery", "f9", title(f"Deliver 1 line of {number}"))
    till.highlighted("Home delivery")  # as the bill was marked
    till.press("deliver", "up", anything, form="normal")
    till.highlighted("Courier")  # ↑ from the first goes round to the last
    till.enter(shows("A courier delivery needs the courier's reference"))
    till.press("deliver", "down", anything, form="normal")
    till.press("deliver", "down", anything, form="normal")
    till.highlighted("Picked up")
    till.enter(title("Delivery note DN-T1-000001"))
    till.press("slip", "escape", both(no_title("Delivery note"), shows("delivered in full")))
    till.press("delivery", "down", anything, form="normal")  # the (empty) list's own ↓
    till.press("delivery", "ctrl+r", on("returns"))


def register_keys(till: Till) -> None:
    """Cash in, cash out, X report, no sale, close (Z report), open."""
    till.press("returns", "f4", on("register"))
    around(till, "register", on("register"))
    till.press("register", "i", title("Cash in: money put into the drawer"))
    till.type("150")
    till.press("amount", "enter", anything)  # on to the reason, at once
    till.type("change from the bank")
    till.enter(both(no_title("Cash in"), line(r"cash in 150\.00")))
    till.press("register", "u", title("Cash out: money taken from the drawer"))
    till.press("amount", "f1", lists_keys_of("amount"))
    till.press("dialog", "escape", both(no_title("Keys"), title("Cash out")))
    till.ctrl_c("amount")
    till.type("20")
    till.press("dialog", "tab", anything)  # Tab goes to the reason too
    till.press("amount", "escape", no_title("Cash out"))
    till.press("register", "x", title("X report (nothing is closed)"))
    till.wait(gone("Sent to the printer"))
    till.press("slip", "p", shows("Sent to the printer"))
    till.press("slip", "escape", no_title("X report"))
    till.press("register", "n", title("Manager approval"))
    till.approve(shows("drawer opened (no sale)"))
    till.press("register", "c", title("Close the register"))
    till.type("1000")
    till.enter(title("Manager approval"))
    till.approve(title("Z report Z-T1-"))
    till.wait(gone("Sent to the printer"))
    till.press("slip", "p", shows("Sent to the printer"))  # a copy of the Z report
    till.press("slip", "escape", both(no_title("Z report"), shows("The cash register is closed")))
    till.press("register", "o", title("Open the cash register"))
    till.type("2000")
    till.enter(both(no_title("Open the cash"), shows("Expected in drawer 2,000.00")))


def reprint_keys(till: Till) -> None:
    """A bill by its number: a makes its A4 tax invoice; then ↓ lands on the newest
    document (the first row), Enter shows its slip."""
    till.press("register", "f5", on("reprint"))
    around(till, "reprint", on("reprint"))
    till.type(till.paid)
    till.enter(title(till.paid))
    till.press("slip", "a", shows("A4 invoice saved"))
    till.press("slip", "escape", both(no_title(till.paid), on("reprint")))
    screen = till.wait(line(r"^ [A-Z]+-T1-\d+ "))
    newest = first(screen, r"^ ([A-Z]+-T1-\d+) ")
    till.press("reprint", "down", anything, form="normal", moves_focus=True)
    till.enter(title(newest))
    till.press("slip", "escape", both(no_title(newest), on("reprint")))


def transfers_keys(till: Till) -> None:
    """ctrl+o: a cashier is told who may; stock staff send (F7 where, scans, ctrl+t a lot,
    ↓ ctrl+q ctrl+d on the lines, F10 and Enter) and, ctrl+o again, find the incoming side
    needs the central (nobody answers here): F9, F8, F10 and Esc say what they can."""
    till.press("reprint", "ctrl+o", both(on("transfer_out"), shows("cashier may not move")))
    till.press("transfer_out", "ctrl+l", on("login"))
    till.wait(shows("cashier / 1111"))
    till.type("stock")
    till.press("login", "tab", anything)
    till.type("4444")
    till.enter(on("count"))  # stock staff sign in to their count
    till.press("count", "ctrl+o", both(on("transfer_out"), shows("F7 chooses where")))
    around(till, "transfer_out", on("transfer_out"))
    till.press("transfer_out", "f10", shows("Nothing to send"))
    till.press("transfer_out", "ctrl+q", shows("Scan an item first"))
    till.press("transfer_out", "ctrl+d", shows("The transfer has no line to remove"))
    till.press("transfer_out", "ctrl+t", shows("Type or scan the item first"))
    till.press("transfer_out", "f7", title("Send the goods to"))
    till.press("dialog", "escape", no_title("Send the goods to"))
    till.press("transfer_out", "f7", title("Send the goods to"))
    till.press("dialog", "down", anything)
    till.enter(both(no_title("Send the goods to"), shows("Sending to WH")))
    till.scan(f"5*{ATTA}", line(r"^ 1\s+Aashirvaad Whole Wheat"))
    till.type(MILK, line(r"Item ▊  " + MILK))
    till.press("transfer_out", "ctrl+t", title("Lot of Amul Taaza Toned Milk 500 ml"))
    till.enter(both(no_title("Lot of"), line(r"^ 2\s+Amul Taaza Toned Milk 500 ml.*lot")))
    till.press("transfer_out", "down", anything, form="normal", moves_focus=True)
    till.press("transfer_out", "ctrl+q", title("Quantity of Amul Taaza Toned Milk 500 ml"))
    till.enter(both(no_title("Quantity of"), shows("Amul Taaza Toned Milk 500 ml × 1")))
    till.press("transfer_out", "ctrl+d", shows("Amul Taaza Toned Milk 500 ml taken off"))
    till.press("transfer_out", "escape", anything, moves_focus=True)  # back to the item box
    till.press("transfer_out", "f10", title("Send this transfer?"))
    till.press("dialog", "escape", no_title("Send this transfer?"))
    till.press("transfer_out", "f10", title("Send this transfer?"))
    till.enter(title("Transfer TO-T1-"))
    till.press("slip", "escape", both(no_title("Transfer TO-"), shows("sent to WH")))
    till.press("transfer_out", "f2", shows("stock may not sell"))  # stock staff stay here
    till.press("transfer_out", "ctrl+o", on("transfer_in"))
    till.wait(shows("need the central, which cannot be reac"))
    around(till, "transfer_in", on("transfer_in"))
    till.press("transfer_in", "f10", shows("Open a transfer first"))
    till.press("transfer_in", "f9", shows("need the central, which cannot be reac"))
    till.press("transfer_in", "f8", shows("Open a transfer first"))
    till.press("transfer_in", "down", anything, form="normal", moves_focus=True)
    till.press("transfer_in", "escape", anything, moves_focus=True)  # the box again
    till.press("transfer_in", "ctrl+o", on("transfer_out"))
    till.press("transfer_out", "ctrl+l", on("login"))
    till.sign_in(on("sales"))
    till.press("sales", "f5", on("reprint"))


def lock_keys(till: Till) -> None:
    """ctrl+l locks, from a screen and from a dialog; the bill stays; ctrl+e is last."""
    till.press("reprint", "f2", on("sales"))
    till.scan(ATTA, cart_line(1, "Aashirvaad"))
    till.press("sales", "ctrl+l", on("login"))
    till.sign_in(both(on("sales"), cart_line(1, "Aashirvaad")), via="tab")
    till.press("sales", "f10", title("Payment"))
    till.press("payment", "ctrl+l", both(on("login"), no_title("Payment")))
    till.sign_in(both(on("sales"), shows("Resumed the bill in progress (1 line)")))


def count_keys(till: Till) -> None:
    """The stock count, as the inventory clerk: ctrl+n reaches it from the bill, F7 a new
    count (b: blind or not), F11 and scans count, ↓ Esc, ctrl+q counts again, ctrl+d takes
    a line off, F8 cancels and F10 posts (each asked first), a manager approves, its slip."""
    till.press("sales", "ctrl+n", on("count"))  # the cashier may look, not count
    till.wait(shows("cashier may not count stock"))
    till.press("count", "ctrl+l", on("login"))
    till.wait(shows("cashier / 1111"))
    till.type("stock")
    till.press("login", "enter", anything)
    till.type("4444")
    till.enter(both(on("count"), shows("No stock count is open at MAIN")))  # no bills to ring
    around(till, "count", on("count"))
    till.press("count", "f7", title("New stock count"))
    around(till, "new_count", title("New stock count"))
    till.press("new_count", "b", shows("Blind: yes"))
    till.press("new_count", "b", shows("Blind: no"))
    till.press("new_count", "escape", both(no_title("New stock count"), on("count")))
    till.press("count", "f7", title("New stock count"), form="ctrl+f")
    till.enter(both(no_title("New stock count"), shows("Count at MAIN · scanned items")))
    till.scan(ATTA, title("Count of Aashirvaad Whole Wheat Atta 5 kg"))
    till.wait(shows("On record:"))
    till.type("2")
    till.enter(both(no_title("Count of"), shows("Aashirvaad Whole Wheat Atta 5 kg: 2 counted")))
    till.press("count", "f8", title("Cancel this count?"))
    around(till, "confirm", title("Cancel this count?"))
    till.press("confirm", "escape", both(no_title("Cancel this count?"), shows("1 counted")))
    till.press("count", "f8", title("Cancel this count?"), form="ctrl+f")
    till.press("confirm", "enter", both(no_title("Cancel"), shows("Count cancelled")))

    till.press("count", "f7", title("New stock count"))
    till.enter(both(no_title("New stock count"), shows("Count at MAIN")))
    till.press("count", "f11", title("Find a product"))
    till.type("tata salt", shows("Tata Iodised Salt 1 kg"))
    till.enter(both(no_title("Find a product"), title("Count of Tata Iodised Salt 1 kg")))
    till.type("5")
    till.enter(both(no_title("Count of"), shows("Tata Iodised Salt 1 kg: 5 counted")))
    till.scan(RICE, title("Count of Daawat Rozana Basmati Rice 5 kg"))
    till.type("3")
    till.enter(both(no_title("Count of"), shows("2 counted")))
    till.press("count", "down", anything, form="normal", moves_focus=True)
    till.press("count", "escape", anything, moves_focus=True)
    till.press("count", "ctrl+q", title("Count of Daawat Rozana Basmati Rice 5 kg"))
    till.press("dialog", "escape", no_title("Count of"))
    till.press("count", "ctrl+d", both(shows("taken off the count"), shows("1 counted")))
    till.press("count", "f10", title("Post the count"))
    till.press("confirm", "enter", both(no_title("Post the count"), title("Manager approval")))
    till.approve(title("Stock count SC-T1-000001"))
    till.press("slip", "escape", both(no_title("Stock count"), shows("SC-T1-000001 posted")))


# ctrl+f is pressed before every F-key sent in its ctrl+f form, not as a key of its own
PRESSED_THROUGH_OTHERS = {"function_key"}


def assert_every_key_pressed(till: Till) -> None:
    """Every binding of every scope was pressed on that scope; F1 and ctrl+c on every
    scope; every global key somewhere; every F-key in both of its forms."""
    missing = []
    for scope, layers in keymap.SCOPES.items():
        own = [binding for layer in layers[1:] for binding in layer]
        everywhere = [b for b in keymap.GLOBAL if b.action in ("help", "interrupt")]
        for binding in [*own, *everywhere]:
            if (scope, binding.id or binding.action) not in till.pressed:
                missing.append(f"{binding.id or binding.action} ({binding.key}) on {scope}")
    anywhere = {name for _, name in till.pressed}
    for binding in keymap.GLOBAL:
        name = binding.id or binding.action
        if name not in anywhere and name not in PRESSED_THROUGH_OTHERS:
            missing.append(f"{name} ({binding.key})")
    for key in keymap.FUNCTION_KEY_TYPED:
        forms = set(till.f_key_forms.get(key, []))
        if forms != {"terminfo", "ctrl+f"}:
            missing.append(f"{key} as terminfo's bytes and as ctrl+f (sent as {sorted(forms)})")
    assert not missing, "keys never pressed where they act:\n" + "\n".join(missing)


@pytest.mark.parametrize("term", OTHER_TERMS)
def test_the_keys_each_terminal_sends_differently(store: Path, term: str) -> None:
    """F1-F12, ↑ ↓, PgUp PgDn and shift+Tab as ``term`` sends them, where they act."""
    if term == "xterm":  # and so xterm-256color's, pressed in the full walk, are covered
        for capability in CAPABILITY.values():
            assert terminfo("xterm-256color", capability) == terminfo("xterm", capability)
    till = Till(store, term)
    try:
        till.start()
        till.open_register()
        till.scan(RICE, cart_line(2, "Daawat Rozana"))
        till.press("sales", "f1", lists_keys_of("sales"))
        till.press("dialog", "escape", no_title("Keys"))
        till.press("sales", "f7", title("Customer"))
        till.press("dialog", "escape", no_title("Customer"))
        till.press("sales", "f9", title("Discount or coupon"))
        till.press("dialog", "tab", anything)
        till.press("dialog", "shift+tab", anything)
        till.type("5%", both(gone("line discount: 10% or 25.00"), shows("bill discount: 5%")))
        till.press("dialog", "escape", no_title("Discount or coupon"))
        till.press("sales", "f11", title("Find a product"))
        till.press("search", "escape", no_title("Find a product"))
        till.press("sales", "f12", title("Sync with the central"))
        till.press("sync", "escape", no_title("Sync"))
        till.press("sales", "down", anything, moves_focus=True)
        till.press("cart", "up", anything)
        till.highlighted("1   Aashirvaad")
        till.press("cart", "pagedown", anything)
        till.highlighted("2   Daawat Rozana")
        till.press("cart", "pageup", anything)
        till.highlighted("1   Aashirvaad")
        till.press("cart", "down", anything)
        till.highlighted("2   Daawat Rozana")
        till.press("sales", "escape", anything, moves_focus=True)
        till.press("sales", "f8", both(shows("Bill held"), shows("Items 0")))
        till.press("sales", "f8", shows("Recalled a held bill"))
        till.press("sales", "f10", title("Payment · due 830.00"))
        till.press("payment", "down", anything)
        till.highlighted("Card")
        till.press("payment", "up", anything)
        till.highlighted("Cash")
        till.press("payment", "escape", no_title("Payment"))
        here = "sales"
        for key, there in (
            ("f3", "receipts"),
            ("f4", "register"),
            ("f5", "reprint"),
            ("f6", "dashboard"),
            ("f2", "sales"),
        ):
            till.press(here, key, on(there))
            here = there
        till.press("sales", "f10", title("Payment · due 830.00"))
        till.enter(line(r"Bill S-T1-\d+ paid 830\.00"))
    finally:
        till.close()
