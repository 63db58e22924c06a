"""A SQLite central copies its write-ahead log into the database file from a thread of its
own (``store.Checkpointer``), right after each write, rather than in every thousandth
page's commit, which made that push wait for the copy."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from o2pos.central.api import create_app
from o2pos.central.models import Terminal
from o2pos.central.store import Checkpointer, add_terminal, open_central


def names_in_the_file_alone(path: Path, copy: Path) -> list[str]:
    """What a copy of the database file without its ``-wal`` holds: a backup taken by
    copying the one file sees only what was checkpointed into it."""
    shutil.copyfile(path, copy)
    con = sqlite3.connect(copy)
    try:
        return [name for (name,) in con.execute("SELECT name FROM terminal ORDER BY name")]
    finally:
        con.close()


def test_each_write_reaches_the_database_file_while_serving(tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    db = open_central(path)
    try:
        with TestClient(create_app()):  # serving: the app's lifespan runs the checkpointer
            (checkpointer,) = Checkpointer._running
            for name in ("T1", "T2", "T3"):
                add_terminal(name)
                assert checkpointer.settle(timeout=60)
                held = names_in_the_file_alone(path, tmp_path / f"copy-{name}.db")
                assert held[-1] == name
            wal = path.with_name(path.name + "-wal")
            assert wal.exists()  # still in WAL mode: the copy is the checkpointer's
        assert checkpointer not in Checkpointer._running  # stopped with the app
        assert Terminal.select().count() == 3
    finally:
        db.close()


def test_without_the_app_a_write_stays_in_the_wal_until_the_writer_checkpoints(
    tmp_path: Path,
) -> None:
    """The contrast that shows the thread does the copying: outside ``serve`` (a CLI
    command, say), the writer's own checkpoint comes only after ``AUTOCHECKPOINT`` pages."""
    path = tmp_path / "central.db"
    db = open_central(path)
    try:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the tables, in the file
        add_terminal("T1")
        assert "T1" not in names_in_the_file_alone(path, tmp_path / "copy.db")
    finally:
        db.close()
