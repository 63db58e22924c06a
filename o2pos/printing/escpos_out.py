"""A slip as ESC/POS bytes, drawn with python-escpos into a ``Dummy`` printer.

The whole job is built in memory and handed to ``transport.send`` in one write, so a printer
that fails half way never gets half a slip from us, and rendering (pure, testable byte for
byte) is kept apart from talking to hardware (slow, fallible).

python-escpos is imported inside the functions: it costs ~175 ms, which the till must not pay
at start-up. Quirks of python-escpos 3.1 handled here:

* ``escpos.capabilities`` pickles its printer database into ``ESCPOS_CAPABILITIES_PICKLE_DIR``
  (read once, at import) or else into a fresh temporary directory on every process start; we
  point it under the data directory. A pickle left half written (a crash, two processes
  starting at once) would make every later import fail, so a failed import drops the pickle
  and tries once more.
* Importing it calls ``logging.basicConfig()``, which would put a stderr handler on the root
  logger (stderr is the till's screen); the handler it adds is removed again.
* ``barcode()`` reports its renderer with a bare ``print()``; stdout is redirected around it.
* The magic encoder never raises on a character the printer lacks: it switches code page
  where one has it and prints ``?`` otherwise (hence ``currency_symbol``).
* Code128 data must start with a code set selector (``{B``) and a literal ``{`` is ``{{``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from .slip import QR, Barcode, Line, Slip

log = logging.getLogger("o2pos.printing")

RUPEE = "₹"
RUPEE_FALLBACK = "Rs."

# Dots a printer has per column of normal (font A, 12 dots wide) text: 32 columns are the
# 384 dots of 58 mm paper, 48 columns the 576 dots of 80 mm paper.
_DOTS_PER_COLUMN = 12
_QR_MODULE_DOTS = 5  # ~0.6 mm modules at 203 dpi: a UPI link is ~23 mm wide, phones read it
_BARCODE_HEIGHT_DOTS = 64
# C0 controls and DEL: an ESC or GS inside a product name must never reach the printer as a
# command (it could cut, kick the drawer or switch code pages mid-slip).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_import_lock = threading.Lock()
# contextlib.redirect_stdout swaps the process-wide sys.stdout: two threads doing it at once
# could restore each other's buffer and leave stdout swallowed for good.
_stdout_lock = threading.Lock()


def _load_escpos(cache_dir: Path | None) -> None:
    """Import ``escpos.capabilities`` once, with its cache under ``cache_dir`` (see module doc)."""
    if "escpos.capabilities" in sys.modules:
        return
    with _import_lock:
        if "escpos.capabilities" in sys.modules:
            return
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(cache_dir)
        root = logging.getLogger()
        handlers = list(root.handlers)
        try:
            try:
                importlib.import_module("escpos.capabilities")
            except Exception:
                if cache_dir is None:
                    raise
                log.warning("escpos capabilities cache in %s is damaged; rebuilding", cache_dir)
                for pickle in cache_dir.glob("*.capabilities.pickle"):
                    pickle.unlink(missing_ok=True)
                importlib.import_module("escpos.capabilities")
        finally:
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)


def _known_profile(profile: str) -> bool:
    from escpos.capabilities import CAPABILITIES

    return profile in CAPABILITIES["profiles"]


def currency_symbol(profile: str, *, cache_dir: Path | None = None) -> str:
    """``₹`` when a code page of the printer profile has it, else ``Rs.``.

    Asked of the same encoder that ``render`` writes text with, so the answer is exactly
    whether a ``₹`` would print as itself or as ``?``. No profile shipped with python-escpos
    3.1 has a code page with ``₹``, so today this is ``Rs.``; a printer database that adds one
    needs no code change. An unknown profile gives ``Rs.`` rather than an error, because this
    runs while a sale's slip is queued, which must never fail.
    """
    _load_escpos(cache_dir)
    if not _known_profile(profile):
        return RUPEE_FALLBACK
    from escpos.capabilities import get_profile
    from escpos.magicencode import Encoder

    encoder = Encoder(get_profile(profile).get_code_pages())
    if any(encoder.can_encode(page, RUPEE) for page in encoder.codepages):
        return RUPEE
    return RUPEE_FALLBACK


def render(slip: Slip, *, profile: str = "default", cache_dir: Path | None = None) -> bytes:
    """The ESC/POS bytes of ``slip``: one complete job, ready for ``transport.send``.

    Order: initialise (ESC @), kick the drawer first if asked (cash goes in while the slip
    prints), the items, then feed and cut. A slip with no items (a no-sale) is only the
    drawer kick: no paper is fed or cut for it. Styles are set in full before every line, so
    a bold or big line never leaks into the next one. Raises ``ValueError`` for a profile
    python-escpos does not know.
    """
    _load_escpos(cache_dir)
    if not _known_profile(profile):
        raise ValueError(
            f"Printer profile {profile!r} is not known to python-escpos "
            '(set [printer] profile, e.g. "default" or "TM-T88V")'
        )
    from escpos.printer import Dummy

    out = Dummy(profile=profile)
    out.hw("INIT")
    if slip.drawer:
        out.cashdraw(2)
    for item in slip.items:
        if isinstance(item, Line):
            _line(out, item, slip.width)
        elif isinstance(item, Barcode):
            _barcode(out, item.data, slip.width)
        elif isinstance(item, QR):
            _qr(out, item.data)
    if slip.items:
        out.cut()
    return bytes(out.output)


def _style(out: Any, *, align: str = "left", bold: bool = False, big: bool = False) -> None:
    """Set every text attribute we use, so nothing is inherited from the previous item."""
    out.set(
        align=align,
        bold=bold,
        underline=0,
        invert=False,
        normal_textsize=not big,
        double_width=big,
        double_height=big,
    )


def _line(out: Any, line: Line, width: int) -> None:
    # cut to the preview's width: what ``Slip.text()`` shows is what prints
    columns = width // 2 if line.big else width
    text = _CONTROL.sub(" ", line.text)[:columns]
    _style(out, align=line.align, bold=line.bold, big=line.big)
    out.textln(text)


def _barcode_module_width(data: str, width: int) -> int | None:
    """The widest bar module (3 or 2 dots) with which the Code128 fits the paper, or None.

    A printer silently skips a barcode wider than its paper, so we choose the width here.
    Code128 set B: start, one symbol per character, check and stop are 11 modules each, the
    stop two more.
    """
    modules = 11 * (len(data) + 3) + 2
    dots = width * _DOTS_PER_COLUMN
    for module in (3, 2):
        if modules * module <= dots:
            return module
    return None


def _barcode(out: Any, data: str, width: int) -> None:
    """A hardware Code128 (GS k, function B) centred, its text printed below it.

    Data a Code128 cannot hold (not printable ASCII) or too long for the paper is printed as
    a centred text line instead, so the slip still prints and the number can be typed.
    """
    module = _barcode_module_width(data, width)
    if not data or not data.isascii() or not data.isprintable() or module is None:
        log.warning("barcode %r cannot be printed on %d columns; printing it as text", data, width)
        _style(out, align="center")
        out.textln(_CONTROL.sub(" ", data)[:width])
        return
    _style(out, align="center")
    code = "{B" + data.replace("{", "{{")
    with _stdout_lock, contextlib.redirect_stdout(io.StringIO()):
        out.barcode(
            code,
            "CODE128",
            height=_BARCODE_HEIGHT_DOTS,
            width=module,
            pos="BELOW",
            font="A",
            align_ct=True,
            function_type="B",
        )


def _qr(out: Any, data: str) -> None:
    """A QR drawn by the printer itself (GS ( k), centred by the alignment set before it.

    ``qr(center=True)`` is not implemented for native codes in python-escpos; ESC a centres
    them on the printers we know.
    """
    _style(out, align="center")
    out.qr(data, native=True, size=_QR_MODULE_DOTS)
