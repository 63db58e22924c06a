"""One place that decides what a failing handler shows the cashier.

A ``DomainError`` is the business saying no: its message is shown as it is. So is a
failure of the till's own storage (a full disk, a damaged file), which names the file;
the operation was rolled back whole, the till keeps running. Anything else
is a bug: it is logged with its traceback to ``<data_dir>/o2pos.log`` and the cashier sees
a short apology; the till keeps running, and the bill in progress is already saved.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from o2pos.core.errors import DomainError, PaymentError
from o2pos.core.storage import storage_error

log = logging.getLogger("o2pos.tui")
S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")


def report(widget: Any, error: BaseException) -> None:
    if isinstance(error, DomainError):
        widget.show_error(str(error))
        return
    problem = storage_error(error)
    if problem is not None:  # a full disk, a damaged file: the cashier can tell someone
        log.error("storage: %s", problem, exc_info=error)
        widget.show_error(str(problem))
        return
    log.exception("unexpected error in the till", exc_info=error)
    widget.show_error(
        f"Something went wrong ({type(error).__name__}); it was logged. The bill is saved."
    )


def guarded(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R | None]:
    """Wrap an event handler or action so no exception ever reaches the cashier's screen
    (it then returns None)."""

    @functools.wraps(method)
    def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:  # the till must keep running whatever happens
            report(self, error)
            return None

    return wrapper


# how a till gets the central's client (httpx): said wherever a till without it meets the central
SYNC_EXTRA = "pip install 'o2pos[sync]'"


def without_sync(what: str) -> DomainError:
    """The refusal shown where the central must be asked and this till was installed without
    its client (the ``sync`` extra): before, the import failed in the dialog's worker, which
    died unseen, and the dialog waited for an answer for ever."""
    return PaymentError(
        f"{what} are checked at the central, and this till was installed without its "
        f"client: {SYNC_EXTRA}"
    )
