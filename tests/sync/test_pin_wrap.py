"""PIN verifiers reach a till sealed with its own key, and only its own store's (issue 12 §8).

A terminal token read off a screen, a log or a sniffed answer used to fetch every
employee's scrypt hash from ``/v1/master``; a 4-digit PIN then fell in under a minute.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from peewee import Database, SqliteDatabase

from o2pos.central import models as central_models
from o2pos.central.store import add_missing_columns, add_terminal, now, token_digest
from o2pos.core import auth, pinwrap
from o2pos.core.errors import ValidationError
from o2pos.core.journal import GENESIS_HASH
from o2pos.core.models import Employee
from o2pos.sync.client import CentralClient
from o2pos.sync.engine import SyncEngine
from tests.conftest import build_store
from tests.sync.conftest import (
    BACKENDS,
    Central,
    Till,
    free_port,
    make_till,
    o2pos_cmd,
    pg_in_schema,
    stop,
    wait_until_up,
)
from tests.sync.test_crashes import write_config


def central_cli(
    central_db: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        o2pos_cmd("central", *args, "--db", central_db), capture_output=True, text=True
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def employees_served(central: Central, token: str) -> dict[str, dict[str, object]]:
    """Every employee record ``/v1/master`` gives this token, by user code (all pages)."""
    found: dict[str, dict[str, object]] = {}
    since = 0
    while True:
        answer = httpx.get(
            f"{central.url}/v1/master",
            params={"since": since, "limit": 2000},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "scrypt$" not in answer.text  # no verifier in the clear, anywhere
        found.update({r["key"]: r["data"] for r in body["records"] if r["kind"] == "employee"})
        since = body["version"]
        if not body["more"]:
            return found


def test_a_token_without_its_key_reads_no_pin_verifier(tmp_path: Path, central: Central) -> None:
    till = make_till(tmp_path, central, store_name="wrap1")
    central_cli(
        central.db_url, "add-employee", "wrapmgr", "Wrap Manager", "store_manager",
        "--pin", "246810", "--store", "wrap1",
    )  # fmt: skip
    served = employees_served(central, till.token)["wrapmgr"]
    assert "pin_hash" not in served and isinstance(served["pin_wrapped"], str)
    # the terminal's own key opens it, and what is inside is the PIN's verifier
    key = central.key_of(till.name)
    opened = pinwrap.unwrap(key, till.name, "wrapmgr", served["pin_wrapped"])
    assert auth.check_pin("246810", opened)
    # another terminal's key, or this one's for another employee, does not
    _other, _ = central.register(store="wrap1")
    with pytest.raises(ValidationError, match="does not open with this till's"):
        pinwrap.unwrap(central.key_of(_other), till.name, "wrapmgr", served["pin_wrapped"])
    with pytest.raises(ValidationError, match="does not open"):
        pinwrap.unwrap(key, till.name, "cashier", served["pin_wrapped"])
    till.engine.client.close()


def test_a_till_with_a_wrong_key_refuses_the_page_cleanly(tmp_path: Path, central: Central) -> None:
    till = make_till(tmp_path, central, store_name="wrap2")
    central_cli(
        central.db_url, "add-employee", "wrap2mgr", "Wrong Key", "store_manager",
        "--pin", "135790", "--store", "wrap2",
    )  # fmt: skip
    other, _ = central.register(store="wrap2")
    engine = SyncEngine(
        till.ctx,
        CentralClient(central.url, till.token),
        lock_path=tmp_path / "sync.lock",
        key=central.key_of(other),
    )
    outcome = engine.run_once()
    assert outcome.state == "rejected"
    assert "wrap2mgr" in outcome.error and "[central] key" in outcome.error
    assert Employee.get_or_none(Employee.code == "wrap2mgr") is None
    assert till.summary()["alert"]
    engine.client.close()
    till.engine.client.close()


def test_a_terminal_of_another_store_gets_none_of_this_stores_employees(
    tmp_path: Path, central: Central
) -> None:
    north, north_token = central.register(store="north")
    _south, south_token = central.register(store="south")
    central_cli(
        central.db_url, "add-employee", "northie", "Nora North", "cashier",
        "--pin", "4321", "--store", "north",
    )  # fmt: skip
    central_cli(
        central.db_url, "add-employee", "roamer", "Ravi Roamer", "cashier",
        "--pin", "8765", "--store", "*",
    )  # fmt: skip
    assert "northie" in employees_served(central, north_token)
    south = employees_served(central, south_token)
    assert "northie" not in south and "roamer" in south
    # Nora moves south: the north's tills get her retired (no verifier), the south's get her
    central_cli(
        central.db_url, "add-employee", "northie", "Nora North", "cashier",
        "--pin", "4321", "--store", "south",
    )  # fmt: skip
    assert employees_served(central, north_token)["northie"] == {
        "name": "Nora North",
        "role": "cashier",
        "locations": [],
        "active": False,
        "pin_hash": "",
    }
    assert "pin_wrapped" in employees_served(central, south_token)["northie"]
    till = make_till(tmp_path, central, store_name="north")
    assert till.engine.pull().ok
    assert Employee.get(Employee.code == "northie").active is False
    with pytest.raises(auth.AuthError):
        auth.login(till.ctx, "northie", "4321")
    assert north  # registered in the north, as the till above
    till.engine.client.close()


def test_a_till_set_up_with_its_key_signs_in_offline(tmp_path: Path, central: Central) -> None:
    """As a store does it: add-terminal prints the token and the key, the till's config
    holds both, a pull brings the manager, who then signs in from the till's own database."""
    from o2pos.commands.common import context_of

    name = f"K{os.getpid() % 10000:04d}"
    printed = central_cli(central.db_url, "add-terminal", name, "--store", "east")
    token, key = printed.stdout.split()
    assert token.startswith(f"o2t_{name}_") and pinwrap.KEY_PATTERN.match(key)
    assert "[central] key" in printed.stderr
    central_cli(
        central.db_url, "add-employee", "eastmgr", "Esha East", "store_manager",
        "--pin", "975310", "--store", "east",
    )  # fmt: skip
    config = write_config(tmp_path, name, central.url, token, key)
    for args in (("init", "--admin-pin", "864200"), ("sync", "pull")):
        done = subprocess.run(o2pos_cmd(*args, "-c", str(config)), capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    ctx = context_of(config)  # the till's database; no central from here on
    assert auth.login(ctx, "eastmgr", "975310").name == "Esha East"
    with pytest.raises(auth.AuthError):
        auth.login(ctx, "eastmgr", "975311")
    ctx.db.close()


def test_add_employee_refuses_a_short_pin_for_a_role_that_approves(central: Central) -> None:
    refused = central_cli(
        central.db_url, "add-employee", "shortpin", "Short Pin", "store_manager",
        "--pin", "2222", check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "The store manager role needs a PIN of 6 to 8 digits" in refused.stderr
    central.bind()
    from o2pos.central import master

    assert master.get("employee", "shortpin") is None
    # a cashier approves nothing: four digits do
    central_cli(
        central.db_url, "add-employee", "shortcash", "Short Cash", "cashier", "--pin", "2222"
    )


# --- an existing central, from before stores and keys -----------------------------------


@pytest.fixture(params=BACKENDS)
def old_central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A central database laid out as before stores and keys: no ``store``, ``wrap_key``."""
    db: Database
    if request.param == "sqlite":
        db = SqliteDatabase(tmp_path / "old.db")
    else:
        schema = f"o2pos_migration_{os.getpid()}"
        db = pg_in_schema(schema)
        db.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        db.execute_sql(f"CREATE SCHEMA {schema}")
    central_models.central_db.initialize(db)
    db.create_tables(central_models.MODELS)
    central_models.Terminal.insert(
        name="OLD1",
        token_hash=token_digest("o2t_OLD1_secret"),
        created_at=now(),
        high_water_hash=GENESIS_HASH,
    ).execute()
    for column in ("store", "wrap_key"):
        db.execute_sql(f'ALTER TABLE "terminal" DROP COLUMN "{column}"')
    yield db
    if request.param == "postgres":
        db.execute_sql(f"DROP SCHEMA {schema} CASCADE")
    db.close()


def test_an_existing_central_gains_the_store_and_key_columns(old_central: Database) -> None:
    assert "store" not in {c.name for c in old_central.get_columns("terminal")}
    add_missing_columns(old_central)
    add_missing_columns(old_central)  # twice: nothing left to add, no error
    columns = {c.name for c in old_central.get_columns("terminal")}
    assert {"store", "wrap_key"} <= columns
    old = central_models.Terminal.get_by_id("OLD1")
    assert (old.store, old.wrap_key) == ("default", None)
    registration = add_terminal("OLD1")
    again = central_models.Terminal.get_by_id("OLD1")
    assert again.wrap_key == registration.key and again.store == "default"


def test_a_till_registered_before_keys_is_told_to_register_again(tmp_path: Path) -> None:
    """End to end on an old SQLite central: it opens, says why the old till gets no master
    data, and a re-registration (token and key) lets the till pull its employees."""
    db_path = tmp_path / "central.db"
    central_cli(str(db_path), "load-demo")
    central_cli(
        str(db_path), "add-employee", "oldmgr", "Olga Old", "store_manager", "--pin", "314159"
    )
    central_cli(str(db_path), "add-terminal", "OLD1")
    with sqlite3.connect(db_path) as con:
        con.execute('UPDATE terminal SET token_hash = ? WHERE name = "OLD1"', (token_digest("t"),))
        for column in ("store", "wrap_key"):
            con.execute(f'ALTER TABLE "terminal" DROP COLUMN "{column}"')
    con.close()
    port = free_port()
    proc = subprocess.Popen(
        o2pos_cmd("central", "serve", "--port", str(port), "--db", str(db_path)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc)
        old = httpx.get(f"{url}/v1/master", headers={"Authorization": "Bearer t"})
        assert old.status_code == 403 and old.json()["error"] == "no_key"
        assert "add-terminal OLD1" in old.json()["message"]
        token, key = central_cli(str(db_path), "add-terminal", "OLD1").stdout.split()
        store = build_store(tmp_path / "till", terminal_id="OLD1")
        till = Till(
            store,
            "OLD1",
            token,
            SyncEngine(
                store.ctx, CentralClient(url, token), lock_path=tmp_path / "s.lock", key=key
            ),
        )
        assert till.engine.pull().ok
        assert auth.login(till.ctx, "oldmgr", "314159").name == "Olga Old"
        till.engine.client.close()
    finally:
        stop(proc)
