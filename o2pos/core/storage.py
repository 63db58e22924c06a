"""The till's files as the operating system and SQLite see them: usable, damaged or full.

One place reads SQLite's and the OS's errors about storage, so the command line, the till
and every core function say the same thing, naming the file and what to do.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from peewee import DatabaseError

from o2pos.core.errors import DatabaseDamaged, DiskFull, StorageError, StorageUnavailable
from o2pos.core.models import database

SQLITE_HEADER = b"SQLite format 3\x00"
_DAMAGED_ADVICE = (
    "nothing was changed. Keep the file for support and restore the till database from a backup"
)


def check_place(path: Path) -> None:
    """Refuse a database path whose directory is a file or cannot be made or written.

    SQLite writes ``-wal`` and ``-shm`` files beside the database, so the directory itself
    must be writable, not only the file.
    """
    folder = path.parent
    where = f"{folder} ([terminal] data_dir)"
    if folder.exists() and not folder.is_dir():
        raise StorageUnavailable(
            str(folder),
            f"{where} is a file, not a directory: move it away, or point "
            "[terminal] data_dir at a directory",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailable(
            str(folder),
            f"cannot create {where}: {exc.strerror}. Create it, or point "
            "[terminal] data_dir at a directory the till's user can write in",
        ) from exc
    if path.is_dir():
        raise StorageUnavailable(
            str(path), f"{path} is a directory, not a till database: move it away"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageUnavailable(
            str(folder),
            f"cannot write in {where}: permission denied. Give the till's user "
            "write access to it, or point [terminal] data_dir elsewhere",
        )


def check_header(path: Path) -> None:
    """The cheap part of a health check, run at every open: 100 bytes and a stat.

    A file that is not SQLite, or shorter than its own header says (cut short by a copy or
    a full disk), is refused before any command works on it. ``PRAGMA quick_check`` would
    read every page, too slow at every start of a big till; ``journal verify`` reads them
    on demand.
    """
    try:
        with path.open("rb") as file:
            head = file.read(100)
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageUnavailable(
            str(path), f"cannot read {path}: {exc.strerror}. Give the till's user access to it"
        ) from exc
    if not head:
        return  # an empty file: SQLite makes it a database, init fills it
    if not head.startswith(SQLITE_HEADER):
        raise DatabaseDamaged(
            str(path),
            f"{path} is not an SQLite database (it does not start with SQLite's "
            f"header): {_DAMAGED_ADVICE}",
        )
    page_size = int.from_bytes(head[16:18], "big") if len(head) == 100 else 0
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    # the size in the header counts only when the two change counters agree (SQLite's rule)
    counted = len(head) == 100 and pages and head[24:28] == head[92:96]
    wal = path.with_name(path.name + "-wal")
    # with a WAL left by a crash the file may legitimately lag: SQLite recovers from it
    unrecovered = wal.exists() and wal.stat().st_size > 0
    if len(head) < 100 or (counted and not unrecovered and size < pages * page_size):
        raise DatabaseDamaged(
            str(path),
            f"{path} is cut short ({size} bytes, its header says "
            f"{pages * page_size}): {_DAMAGED_ADVICE}",
        )


_UNUSABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised from or while handling (a failed rollback hides
    the SQLITE_FULL that caused it)."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(seen) < 10 and current not in seen:
        seen.append(current)
        yield current
        current = current.__cause__ or current.__context__


def _bound_path() -> str | None:
    bound = database.obj
    return str(bound.database) if bound is not None else None


def _full(where: str | None) -> DiskFull:
    place = f" ({where})" if where else ""
    return DiskFull(
        where or "", f"the disk is full{place}: nothing was saved. Free some space and try again"
    )


def storage_error(error: BaseException, path: str | None = None) -> StorageError | None:
    """What a failure means for the till's files, or None if it is not about them.

    The one place that reads SQLite's and the OS's errors, so the command line and the till
    say the same thing. ``path`` defaults to the database the till's models are bound to;
    with none bound (a central command), a database error is left to its caller.
    """
    for cause in _chain(error):
        if isinstance(cause, StorageError):
            return cause
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return _full(str(cause.filename or path or _bound_path() or "") or None)
        if isinstance(cause, OSError) and cause.filename and cause.errno in _UNUSABLE:
            return StorageUnavailable(
                str(cause.filename),
                f"cannot use {cause.filename}: {cause.strerror}. Give the user running "
                "o2pos access to it, or change the path in its config",
            )
        if not isinstance(cause, DatabaseError | sqlite3.DatabaseError):
            continue
        text = str(cause).lower()
        where = path or _bound_path()
        if where is None:  # not the till's database (the central's, say): not ours to name
            return None
        if "database or disk is full" in text:
            return _full(where)
        if "not a database" in text or "malformed" in text:
            return DatabaseDamaged(
                where,
                f"{where} is damaged ({cause}): {_DAMAGED_ADVICE} ('o2pos journal "
                "verify' shows how far its journal can still be read)",
            )
        if "readonly" in text or "unable to open" in text or "disk i/o error" in text:
            return StorageUnavailable(
                where,
                f"cannot read or write {where} ({cause}): check that the disk is "
                "mounted and writable and the till's user may write in its directory",
            )
    return None
