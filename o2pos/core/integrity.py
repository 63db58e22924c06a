"""Is the journal still what this till wrote, and what the central acknowledged?

The hash chain alone cannot see rows cut from its end, nor a journal emptied and written
again from seq 1: what is left is a valid chain. Two marks kept outside the journal can. The
sync cursor holds the last seq and hash the central acknowledged (the *anchor*); the
checkpoint holds the last seq and hash a check found intact. The journal must still hold
both rows, unchanged, or events are missing that nobody will ever send again.

The check is incremental so it can run before every push: it re-reads the checkpoint's row,
the anchor's row and the rows written since the checkpoint, so it costs what was written
since the last check. An older row can only be edited past the triggers (an UPDATE, a
DELETE and an INSERT taking an existing seq or event id are refused), and dropping one
changes SQLite's schema cookie; a cookie other than the checkpoint's sends the check back to
seq 1. ``full=True`` (``o2pos journal verify --full``) always walks every row.
"""

from __future__ import annotations

from peewee import DatabaseError

from o2pos.core import journal, syncstate
from o2pos.core.context import Context
from o2pos.core.journal import GENESIS_HASH, VerifyResult
from o2pos.core.models import Journal, JournalCheckpoint, sql

NAME = "journal"


def _schema_cookie() -> int:
    return int(sql("PRAGMA main.schema_version").fetchone()[0])


def _row_problem(seq: int, digest: str) -> str:
    """'' when the journal holds row ``seq`` with ``digest`` (and content matching it)."""
    if seq == 0:
        return ""
    row = Journal.get_or_none(Journal.seq == seq)
    if row is None:
        return "missing"
    try:
        intact = row.hash == digest and journal.entry_hash(row) == digest
    except (ValueError, TypeError):
        intact = False
    return "" if intact else "changed"


def check(ctx: Context, *, full: bool = False, through: int | None = None) -> VerifyResult:
    """The chain from the checkpoint (or from seq 1) to seq ``through`` (None: the last),
    then both marks; moves the checkpoint.

    ``through`` lets a flush check a batch's worth of rows ahead of what it sends, while the
    batch before is on its way, rather than the whole backlog before the first push; it
    is not applied past a checkpoint the check cannot resume from."""
    result: VerifyResult | None = None
    try:
        with ctx.db.atomic():  # one snapshot: a sale written meanwhile is for the next check
            cookie = _schema_cookie()
            mark = JournalCheckpoint.get_or_none(JournalCheckpoint.name == NAME)
            resume = not full and mark is not None and mark.schema_version == cookie
            if resume and mark is not None:
                result = journal.verify(ctx, (mark.seq, mark.hash or GENESIS_HASH), through)
            else:
                # from seq 1; past a checkpoint the schema has changed under (or for
                # ``full``), to the end: a walk stopped short would set the checkpoint back,
                # and the marks check would no longer read the old one's row
                result = journal.verify(ctx, through=through if mark is None else None)
            if result.damaged:
                return result
            if result.ok or resume:
                marks = _marks_problem(ctx, result, mark)
                if marks is not None:
                    return marks
            if not result.ok:
                return result
    except DatabaseError:
        # SQLite ends the transaction itself when it meets a page it cannot read, so
        # closing it fails too; what the walk found is the answer
        if result is not None and result.damaged:
            return result
        raise
    if mark is None or (mark.seq, mark.hash, mark.schema_version) != (
        result.last_seq,
        result.last_hash,
        cookie,
    ):
        with ctx.write():
            JournalCheckpoint.insert(
                name=NAME,
                seq=result.last_seq,
                hash=result.last_hash,
                schema_version=cookie,
                verified_at=ctx.now(),
            ).on_conflict_replace().execute()
    return result


def _marks_problem(
    ctx: Context, result: VerifyResult, mark: JournalCheckpoint | None
) -> VerifyResult | None:
    """The anchor first (what the central holds tells the store most), then the checkpoint."""
    acked_seq, acked_hash = syncstate.acked(ctx)
    problem = _row_problem(acked_seq, acked_hash)
    if problem == "missing":
        reason = (
            f"rows were removed: the central acknowledged seq {acked_seq}, the journal "
            f"ends at seq {journal.last_seq(ctx)}"
        )
    elif problem:
        reason = f"seq {acked_seq} is not the event the central acknowledged"
    elif mark is not None and (problem := _row_problem(mark.seq, mark.hash or GENESIS_HASH)):
        acked_seq = mark.seq
        reason = f"seq {mark.seq}, found intact by an earlier check, is {problem}"
    else:
        return None
    return VerifyResult(False, result.checked, acked_seq, reason, result.start)


def describe(result: VerifyResult) -> str:
    """The alert a damaged journal raises (status bar, F12, ``o2pos sync push``)."""
    return (
        f"The journal is damaged at seq {result.broken_seq}: {result.reason}. Nothing more "
        "is sent to the central; keep the database file and see docs/journal.md "
        "(A damaged journal)"
    )
