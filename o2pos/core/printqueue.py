"""The print queue: slips waiting for the printer, kept in the till database.

A sale's slip is queued after the sale commits and printed by a worker, so a printer that
is jammed, out of paper or unplugged never blocks, slows or undoes a sale; the job waits
and prints when the printer is back. A job is marked printed once the printer took its
bytes, and is never sent again unless someone asks for a copy (a new job that says so).

A job is marked ``sending`` before its bytes go out. One still so at the next run was cut
off by a till that stopped (a crash, the power, leaving while it printed): the printer may
have printed it in whole, in part or not at all, so it prints again, marked as a copy
(``printing.slip.Slip.resent``).
"""

from __future__ import annotations

from typing import Any

from o2pos.core.context import Context
from o2pos.core.models import PrintJob


def enqueue(ctx: Context, kind: str, number: str, body: str, *, copy: bool = False) -> int:
    with ctx.write():
        return PrintJob.insert(
            created_at=ctx.now(), kind=kind, number=number, copy=copy, body=body
        ).execute()


# waiting for the printer: never sent, or cut off while it was sent
WAITING = ("pending", "sending")


def pending(limit: int = 20) -> list[PrintJob]:
    """Waiting jobs, oldest first: slips come out in the order they were made."""
    return list(
        PrintJob.select().where(PrintJob.status.in_(WAITING)).order_by(PrintJob.id).limit(limit)
    )


def mark_sending(ctx: Context, job_id: int) -> None:
    with ctx.write():
        PrintJob.update(status="sending").where(PrintJob.id == job_id).execute()


def resend_as(ctx: Context, job_id: int, body: str) -> None:
    """A job cut off while it was sent waits again, as ``body`` (the slip marked a copy)."""
    with ctx.write():
        PrintJob.update(status="pending", body=body, copy=True).where(
            PrintJob.id == job_id
        ).execute()


def mark_printed(ctx: Context, job_id: int) -> None:
    with ctx.write():
        PrintJob.update(status="printed", printed_at=ctx.now(), last_error="").where(
            PrintJob.id == job_id
        ).execute()


def mark_failed(ctx: Context, job_id: int, error: str, *, cut_off: bool = False) -> None:
    """The printer could not be reached, or refused the bytes: the job waits as it was.
    ``cut_off``: it failed once the job was under way (part may be printed, the drawer
    opened): the job stays ``sending``, to go again as a copy."""
    with ctx.write():
        PrintJob.update(
            status="sending" if cut_off else "pending",
            attempts=PrintJob.attempts + 1,
            last_error=error[:300],
        ).where(PrintJob.id == job_id).execute()


def mark_unprintable(ctx: Context, job_id: int, error: str) -> None:
    """A slip that cannot be drawn (a bug): set aside so the slips behind it still print."""
    with ctx.write():
        PrintJob.update(status="unprintable", last_error=error[:300]).where(
            PrintJob.id == job_id
        ).execute()


def state() -> dict[str, Any]:
    """What the status bar shows: how many slips wait, and why the oldest one does."""
    waiting = PrintJob.select().where(PrintJob.status.in_(WAITING))
    first = waiting.order_by(PrintJob.id).first()  # (first() limits the query it is run on)
    return {
        "waiting": PrintJob.select().where(PrintJob.status.in_(WAITING)).count(),
        "error": first.last_error if first is not None else "",
    }
