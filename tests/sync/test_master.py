"""Master data from a central's own database to a till's, every kind, in process."""

from __future__ import annotations

import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from o2pos.central import master
from o2pos.central.models import Terminal, central_db
from o2pos.central.store import add_terminal, open_central, write
from o2pos.core import auth, masterdata, pinwrap, syncstate
from o2pos.core.errors import ValidationError
from o2pos.core.models import Coupon, Customer, Employee, Product, QuickButton, TaxClass
from tests.conftest import Store
from tests.sync.conftest import Central, o2pos_cmd


def terminal_of(store: Store) -> Terminal:
    """The store's till as the central knows it, registered on first use."""
    name = store.ctx.terminal_id
    if Terminal.get_or_none(Terminal.name == name) is None:
        add_terminal(name)
    return Terminal.get_by_id(name)


def pull_all(store: Store) -> int:
    """What a till's pull does, without HTTP: page through changes and apply each page."""
    since, applied = syncstate.master_version(store.ctx), 0
    terminal = terminal_of(store)
    while True:
        records, version, more, reset = master.changes(since, 100, terminal)
        records = pinwrap.unwrap_records(records, str(terminal.wrap_key), terminal.name)
        masterdata.apply(store.ctx, records, version, reset=reset)
        applied += len(records)
        since = version
        if not more:
            return applied


def test_the_demo_store_on_a_central_reaches_a_till_kind_by_kind(
    tmp_path: Path, store: Store
) -> None:
    db = tmp_path / "central.db"
    done = subprocess.run(
        o2pos_cmd("central", "load-demo", "--db", str(db)), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Loaded 240 products." in done.stdout
    open_central(db)
    master.add_employee("shift2", "Second Shift", "cashier", "5678")
    before = Product.select().count()
    assert pull_all(store) > 300
    assert Product.select().count() == before + 240
    assert Customer.select().count() >= 50
    assert Coupon.get(Coupon.code == "WELCOME10").value == 1000
    assert QuickButton.select().count() > 0
    assert TaxClass.get(TaxClass.code == "GST18").rate_bp == 1800
    # a PIN set centrally works at the till; only its scrypt hash travelled
    assert Employee.get(Employee.code == "shift2").pin_hash.startswith("scrypt$")
    assert auth.login(store.ctx, "shift2", "5678").name == "Second Shift"
    # nothing new: a second pull applies nothing and journals nothing
    assert pull_all(store) == 0


def test_a_central_restored_from_an_older_backup_makes_tills_resend_from_scratch(
    tmp_path: Path, store: Store
) -> None:
    open_central(tmp_path / "central.db")
    pull_all(store)
    ahead = master.current_version() + 50  # the till saw versions this central never had
    records, version, _more, reset = master.changes(ahead, 100, terminal_of(store))
    assert reset and records and records[0]["version"] == 1
    masterdata.apply(store.ctx, records, version, reset=True)
    assert syncstate.master_version(store.ctx) == version


def test_a_malformed_record_is_refused_whole_and_changes_nothing(store: Store) -> None:
    good = {
        "kind": "tax_class",
        "key": "GST40",
        "version": 7,
        "data": {"name": "GST 40%", "rate_bp": 4000},
    }
    bad = {"kind": "product", "key": "X1", "version": 8, "data": {"name": "No price"}}
    with pytest.raises(ValidationError, match=r"product X1: .* is missing or of the wrong type"):
        masterdata.apply(store.ctx, [good, bad], 8)
    assert TaxClass.get_or_none(TaxClass.code == "GST40") is None
    floaty = {**good, "data": {"name": "GST 40%", "rate_bp": 40.0}}
    with pytest.raises(ValidationError):
        masterdata.apply(store.ctx, [floaty], 7)


def test_a_central_from_before_unlock_gives_its_manager_roles_the_permission(
    tmp_path: Path, store: Store
) -> None:
    """A central that stored the default roles before ``unlock_employees`` existed adds it
    (the role's only change) when opened, and tills pull it like any role change."""
    import json

    from o2pos.central.models import MasterRecord

    db = tmp_path / "central.db"
    open_central(db)
    for code in ("administrator", "store_manager"):
        data = master.get("role", code)
        assert data is not None and auth.Perm.UNLOCK_EMPLOYEES in data["permissions"]
        older = [p for p in data["permissions"] if p != auth.Perm.UNLOCK_EMPLOYEES]
        MasterRecord.update(data=json.dumps({**data, "permissions": older})).where(
            MasterRecord.kind == "role", MasterRecord.key == code
        ).execute()
    before = master.current_version()
    open_central(db)
    assert master.current_version() == before + 2
    for code in ("administrator", "store_manager"):
        assert auth.Perm.UNLOCK_EMPLOYEES in master.get("role", code)["permissions"]  # type: ignore[index]
    cashier = master.get("role", "cashier")
    assert cashier is not None and auth.Perm.UNLOCK_EMPLOYEES not in cashier["permissions"]
    open_central(db)  # nothing more to add: no new version
    assert master.current_version() == before + 2
    pull_all(store)
    assert auth.has_permission(Employee.get(Employee.code == "manager"), auth.Perm.UNLOCK_EMPLOYEES)


def test_a_page_is_read_at_one_moment_so_a_version_written_meanwhile_is_not_skipped(
    central: Central, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker commits a record after the page's rows were read and before its
    version is said: the page must not claim that version, or the till's cursor passes it
    and the record (a price, a customer, an employee) never reaches that till."""
    central.bind()
    name, _ = central.register()
    terminal = Terminal.get_by_id(name)
    since = master.current_version()
    counted = master.current_version
    reads = []
    late = f"L{uuid.uuid4().hex[:6].upper()}"  # a location of its own in the shared central

    def written_meanwhile() -> int:
        reads.append(1)
        if len(reads) == 2:  # the page is read, its version not yet: another connection
            thread = threading.Thread(target=put_location)
            thread.start()
            thread.join()
        return counted()

    def put_location() -> None:
        try:
            with write():
                master.put("location", late, {"name": "Late branch", "store": "main"})
        finally:
            central_db.obj.close()  # this thread's own connection

    monkeypatch.setattr(master, "current_version", written_meanwhile)
    records, version, _more, _reset = master.changes(since, 100, terminal)
    assert len(reads) == 2 and records == [] and version == since
    monkeypatch.undo()
    records, version, _more, _reset = master.changes(version, 100, terminal)
    assert [(r["kind"], r["key"]) for r in records] == [("location", late)]
    assert version == master.current_version()
