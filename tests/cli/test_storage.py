"""Damaged storage and wrong paths, as a store meets them: real processes, real files.

Every case: an exit code from docs/cli.md, one message naming the file and what to do,
no traceback, and nothing half-written.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_commands import o2pos

COMMANDS = [
    ("init",),
    ("journal", "verify"),
    ("report", "x"),
    ("simulate", "--sales", "3"),
    ("sync", "status"),
    ("sync", "export", "out.json"),
    ("import", "customers", "customers.csv"),
    ("reprint", "--last"),
    ("employee", "unlock", "cashier"),
    ("run",),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a demo till with some sales (the WAL checkpointed into the file)."""
    cwd = tmp_path_factory.mktemp("pristine")
    o2pos(cwd, "init", "--demo")
    o2pos(cwd, "simulate", "--sales", "60")
    return (cwd / "data" / "o2pos.db").read_bytes()


@pytest.fixture
def till(tmp_path: Path, pristine: bytes) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "o2pos.db").write_bytes(pristine)
    (tmp_path / "customers.csv").write_text("name,phone\nAsha Rao,9845011111\n")
    return tmp_path


def refused(cwd: Path, *args: str, code: int) -> str:
    done = o2pos(cwd, *args, check=False)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    assert done.returncode == code, (args, done.returncode, done.stderr)
    return done.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_file_of_random_bytes_is_named_by_every_command(till: Path, args: tuple) -> None:
    db = till / "data" / "o2pos.db"
    db.write_bytes(bytes(range(256)) * 64)
    error = refused(till, *args, code=3)
    assert "data/o2pos.db is not an SQLite database" in error
    assert "restore the till database from a backup" in error
    assert db.read_bytes() == bytes(range(256)) * 64  # nothing written into it


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_file_cut_short_is_named_by_every_command(till: Path, args: tuple) -> None:
    db = till / "data" / "o2pos.db"
    half = db.read_bytes()[: db.stat().st_size // 2]
    db.write_bytes(half)
    error = refused(till, *args, code=3)
    assert "data/o2pos.db is cut short" in error
    assert db.read_bytes() == half


def test_verify_names_the_seq_where_damaged_pages_begin(till: Path) -> None:
    db = till / "data" / "o2pos.db"
    con = sqlite3.connect(db)
    (last,) = con.execute("SELECT max(seq) FROM journal").fetchone()
    (event_id,) = con.execute("SELECT event_id FROM journal WHERE seq = ?", (last // 2,)).fetchone()
    (page_size,) = con.execute("PRAGMA page_size").fetchone()
    con.close()
    data = bytearray(db.read_bytes())
    for hit in re.finditer(re.escape(event_id.encode()), bytes(data)):  # its row and its index
        page = hit.start() // page_size
        data[page * page_size : (page + 1) * page_size] = b"\xff" * page_size
    db.write_bytes(bytes(data))
    error = refused(till, "journal", "verify", code=3)
    match = re.search(r"data/o2pos.db cannot be read at seq (\d+) .*; seq 1 to (\d+) read", error)
    assert match is not None, error
    broken, intact = int(match[1]), int(match[2])
    assert broken == intact + 1 and 1 < broken <= last // 2
    assert "sqlite: " in error  # SQLite's own check of the file, run because it was asked
    # the other commands name the file instead of a traceback, wherever they meet the damage
    error = refused(till, "sync", "export", "events.json", "--all", code=3)
    assert "data/o2pos.db is damaged (database disk image is malformed)" in error


def test_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    for args in [("init", "--demo"), ("journal", "verify"), ("report", "x")]:
        error = refused(tmp_path, *args, code=3)
        assert "data ([terminal] data_dir) is a file, not a directory" in error
    assert (tmp_path / "data").read_text() == "not a directory"


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    # /proc takes no new directory, for root too (chmod would not stop root)
    (tmp_path / "o2pos.toml").write_text('[terminal]\ndata_dir = "/proc/o2pos-till/data"\n')
    error = refused(tmp_path, "init", "--demo", code=3)
    assert "cannot create /proc/o2pos-till/data ([terminal] data_dir)" in error


def test_a_full_disk_saves_nothing_half_and_says_so(till: Path) -> None:
    db = till / "data" / "o2pos.db"
    con = sqlite3.connect(db)
    con.execute("VACUUM")  # no free page left inside the file
    (pages,) = con.execute("PRAGMA page_count").fetchone()
    con.close()
    # the real command, with SQLite told the disk holds no more pages than the file has
    # now: a real SQLITE_FULL on the first sale that needs a page, without root or tmpfs
    full = (
        "import sys; from o2pos.core import db; "
        f"db.PRAGMAS['max_page_count'] = {pages}; "
        "from o2pos.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", full, "simulate", "--sales", "500"],
        cwd=till,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr and "rollback" not in done.stderr, done.stderr
    assert done.returncode == 4
    assert re.search(r"the disk is full \(\S*data/o2pos\.db\): nothing was saved", done.stderr)
    assert "journal ok" in o2pos(till, "journal", "verify").stdout
    con = sqlite3.connect(db)
    (events,) = con.execute(
        "SELECT count(*) FROM journal WHERE event_type = 'sale.completed'"
    ).fetchone()
    (sales,) = con.execute("SELECT count(*) FROM sale WHERE status = 'completed'").fetchone()
    assert events == sales < 60 + 500  # every sale saved whole, the failing one not at all


def test_a_missing_ca_bundle_is_named_by_sync_push(till: Path) -> None:
    (till / "o2pos.toml").write_text(
        '[central]\nurl = "https://127.0.0.1:9"\ntoken = "o2t_x"\nca_bundle = "certs/ca.pem"\n'
    )
    error = refused(till, "sync", "push", code=2)
    assert "o2pos.toml: [central] ca_bundle certs/ca.pem cannot be used" in error
    assert "No such file or directory" in error


def test_the_central_refuses_a_card_number_in_an_imported_customer(tmp_path: Path) -> None:
    """A customer imported at the central is published to every till: checked there too."""
    people = tmp_path / "customers.csv"
    people.write_text(
        "name,phone\nAsha,9845011111\nCard ４１１１ １１１１ １１１１ １１１１,9845011112\n",
        encoding="utf-8",
    )
    done = o2pos(
        tmp_path,
        "central",
        "import",
        "customers",
        "customers.csv",
        "--db",
        "sqlite:///c.db",
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "customers.csv:3: That looks like a card number" in done.stderr
    assert "1 created, 0 updated, 1 rejected" in done.stdout
    con = sqlite3.connect(tmp_path / "c.db")
    customers = con.execute("SELECT data FROM master_record WHERE kind = 'customer'").fetchall()
    assert len(customers) == 1 and "Asha" in customers[0][0]


def test_a_till_whose_terminal_id_was_changed_after_it_sold_refuses_to_write(
    till: Path,
) -> None:
    """The demo till sold as T1; its config now says T2 (a typo, or another till's config
    copied over). Its next events would carry T2 in T1's chain, which the central refuses
    under either id for good: every command and the till itself say so first, and nothing
    is written. With the id put back, it sells again."""
    db = till / "data" / "o2pos.db"
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM journal").fetchone()[0]
    (till / "o2pos.toml").write_text('[terminal]\nid = "T2"\n', encoding="utf-8")
    for args in (("simulate", "--sales", "1"), ("run",), ("report", "x")):
        message = refused(till, *args, code=2)
        assert "journal belongs to terminal T1, but [terminal] id is T2" in message
        assert 'Set id = "T1" again' in message
    assert sqlite3.connect(db).execute("SELECT count(*) FROM journal").fetchone()[0] == rows
    (till / "o2pos.toml").write_text('[terminal]\nid = "T1"\n', encoding="utf-8")
    assert "1 sales" in o2pos(till, "simulate", "--sales", "1").stdout


@pytest.mark.parametrize(
    "command",
    [
        ("import", "products"),
        ("central", "import", "products"),
        ("central", "import", "customers"),
        ("central", "import", "offers"),
        ("central", "import", "price-lists"),
    ],
    ids=" ".join,
)
def test_a_csv_with_a_field_too_large_to_parse_is_named_not_a_traceback(
    till: Path, command: tuple[str, ...]
) -> None:
    """Past the CSV parser's 128 KiB a field ended every import with `_csv.Error`'s
    traceback. Refused by line, nothing imported, on the till and at the central alike."""
    huge = till / "huge.csv"
    huge.write_text(f"sku,name,phone,price,tax_class\nA1,{'a' * 200_000},1,10,GST5\n")
    where = ("--db", str(till / "central.db")) if command[0] == "central" else ()
    message = refused(till, *command, str(huge), *where, code=1)
    assert "huge.csv:2: field larger than field limit (131072); nothing imported" in message


EXPORT = '{"format": "o2pos-journal-export/1", "terminal_id": "T1", "events": %s}'


@pytest.mark.parametrize(
    ("name", "text", "code", "said"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, 1, "nested more than 64 levels deep"),
        ("bad.json", EXPORT % '[{"seq": "x"}]', 1, "Event 1 of the export: seq: Input should"),
        ("empty.json", EXPORT % "[]", 0, "the export holds no events: nothing to store"),
    ],
    ids=["deep", "bad-event", "empty"],
)
def test_central_import_of_a_damaged_or_empty_export_says_it_in_one_line(
    tmp_path: Path, name: str, text: str, code: int, said: str
) -> None:
    """A file nested 100,000 deep ended in a RecursionError traceback; a bad event in a
    page of pydantic's; an empty export claimed a high-water seq of 0."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    done = o2pos(tmp_path, "central", "import", name, "--db", "c.db", check=False)
    assert "Traceback" not in done.stderr and done.returncode == code, done.stderr
    assert said in done.stderr + done.stdout
    assert len((done.stderr + done.stdout).strip().splitlines()) == 1


def test_central_import_of_a_csv_that_is_not_there_names_it(tmp_path: Path) -> None:
    """It said 'Give the products CSV file to import' for a file given but not there."""
    done = o2pos(tmp_path, "central", "import", "products", "nope.csv", "--db", "c.db", check=False)
    assert (done.returncode, done.stderr.strip()) == (2, "error: nope.csv does not exist")
