"""Secrets out of every message a person or a log file sees.

A terminal token or a database password ends up inside text o2pos does not write itself:
httpx's "Illegal header value b'Bearer o2t_...'", a driver's error naming its DSN, a URL
printed back to the user. Every boundary where text leaves the program (the sync status
row, CLI errors, log files, the till's F12) passes it through ``redact``, so a new message
with a secret in it is covered without anyone remembering to.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # a terminal token (``o2t_<terminal>_<random>``, see central.store.add_terminal)
    (re.compile(r"o2t_[A-Za-z0-9_\-]+"), f"o2t_{MASK}"),
    # whatever follows "Bearer" in a header, an o2pos token or any other
    (re.compile(r"(?i)\b(bearer)\s+[^\s'\"]+"), rf"\1 {MASK}"),
    # the password in a URL: scheme://user:password@host (up to the last @ before the path)
    (
        re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@]*):[^\s/]*@"),
        rf"\g<head>:{MASK}@",
    ),
    # libpq's key=value form: password=secret or password='se cret'
    (re.compile(r"(?i)\b(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)"), rf"\1{MASK}"),
)


def redact(text: str) -> str:
    """``text`` with tokens, bearer credentials and passwords replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter: the whole record, traceback included, is redacted."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def redact_handlers(*loggers: logging.Logger) -> None:
    """Make every handler of ``loggers`` write through ``redact``."""
    for logger in loggers:
        for handler in logger.handlers:
            if not isinstance(handler.formatter, RedactingFormatter):
                handler.setFormatter(RedactingFormatter(handler.formatter))
