"""Customers a till adds reach the central and every other till (issue 13).

A real central, real tills: a customer file imported on one till is pushed, published as
master data and pulled by the next till, where the cashier's F7 search finds it.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.central import master
from o2pos.central import models as central_models
from o2pos.central.limits import check_payload
from o2pos.core import customers, importer, syncstate
from o2pos.core.journal import GENESIS_HASH
from o2pos.core.models import Customer, Journal, database

from .conftest import Central, Till, crossed, ingesting, make_till

_stores = itertools.count(1)
_prefixes = itertools.count(1)


def _phone_prefix() -> str:
    """Phones no other test on the shared central uses: 9 then a per-test block."""
    return f"9{next(_prefixes) + 300:03d}"


@pytest.fixture
def two_tills(tmp_path: Path, central: Central) -> Iterator[tuple[Till, Till]]:
    store = f"cust{next(_stores)}"
    pair = (
        make_till(tmp_path / "t1", central, store_name=store),
        make_till(tmp_path / "t2", central, store_name=store),
    )
    yield pair
    for till in pair:
        till.engine.client.close()
        till.ctx.db.close()


def on(till: Till) -> Till:
    """Point the till models at ``till``'s database: one process plays several tills here,
    and the models of a till process are bound to its one database."""
    database.initialize(till.ctx.db)
    return till


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("name,phone\n" + "".join(f"{name},{phone}\n" for name, phone in rows))
    return path


def _flags(central: Central, terminal: str) -> list[str]:
    central.bind()
    event = central_models.Event
    query = event.select(event.flag).where(event.terminal == terminal, event.flag.is_null(False))
    return [row.flag for row in query]


def test_customers_imported_on_one_till_are_found_by_phone_on_the_others(
    two_tills: tuple[Till, Till], central: Central, tmp_path: Path
) -> None:
    t1, t2 = two_tills
    prefix = _phone_prefix()
    people = [(f"Imported Person {i}", f"{prefix}{i:06d}") for i in range(3)]
    report = importer.import_customers(on(t1).ctx, _csv(tmp_path / "people.csv", people))
    assert report.created == 3
    t1.push_until_done()
    mine = {c.phone: c.uuid for c in Customer.select()}

    assert on(t2).engine.run_once().ok
    for name, phone in people:
        found = customers.search(t2.ctx, phone)
        assert [c.name for c in found] == [name]
        # one customer under one id on both tills: a sale on T2 names the one T1 added
        assert [c.uuid for c in found] == [mine[phone]]
    # customers are the company's: a till of another store finds them too
    other = make_till(tmp_path / "t3", central, store_name="elsewhere")
    try:
        assert on(other).engine.run_once().ok
        assert [c.name for c in customers.search(other.ctx, people[0][1])] == [people[0][0]]
    finally:
        other.engine.client.close()
        other.ctx.db.close()
    assert _flags(central, t1.name) == []

    # resent whole (a till that lost its acknowledgement): still one record each, unchanged
    central.bind()
    version = master.current_version()
    syncstate.rewind(on(t1).ctx, 0, GENESIS_HASH)
    t1.push_until_done()
    central.bind()
    assert master.current_version() == version
    record = central_models.MasterRecord
    phones = [phone for _, phone in people]
    assert record.select().where(record.alt_key.in_(phones)).count() == 3


def test_a_phone_the_central_knows_keeps_its_customer_and_the_import_is_flagged(
    two_tills: tuple[Till, Till], central: Central, tmp_path: Path
) -> None:
    t1, t2 = two_tills
    prefix = _phone_prefix()
    known, new = f"{prefix}000001", f"{prefix}000002"
    # T2 adds a customer at F7 and sends it; T1 has not pulled since
    first = customers.create(on(t2).ctx, t2.store.manager, "Asha Devi", known)
    t2.push_until_done()

    file = _csv(tmp_path / "people.csv", [("Asha D. (typo)", known), ("Ravi Kumar", new)])
    importer.import_customers(on(t1).ctx, file)
    t1.push_until_done()

    flags = _flags(central, t1.name)
    assert len(flags) == 1
    assert f"customer phone {known} already belongs to customer {first.uuid}" in flags[0]
    central.bind()
    record = central_models.MasterRecord
    held = list(record.select().where(record.kind == "customer", record.alt_key.in_([known, new])))
    assert sorted(json.loads(r.data)["name"] for r in held) == ["Asha Devi", "Ravi Kumar"]

    # the existing customer wins on T1 as well, once it pulls; the new one reaches T2
    assert on(t1).engine.run_once().ok
    assert [(c.uuid, c.name) for c in customers.search(t1.ctx, known)] == [
        (first.uuid, "Asha Devi")
    ]
    assert on(t2).engine.run_once().ok
    assert [c.name for c in customers.search(t2.ctx, new)] == ["Ravi Kumar"]


def test_a_5000_row_import_goes_in_several_events_and_arrives_whole(
    two_tills: tuple[Till, Till], central: Central, tmp_path: Path
) -> None:
    t1, t2 = two_tills
    prefix = _phone_prefix()
    people = [(f"Bulk Customer {i}", f"{prefix}{i:06d}") for i in range(5000)]
    report = importer.import_customers(on(t1).ctx, _csv(tmp_path / "bulk.csv", people))
    assert report.created == 5000

    t1.push_until_done()
    assert on(t2).engine.run_once().ok
    query = Customer.select().where(Customer.phone.startswith(prefix))
    arrived = {c.phone: c.name for c in query}
    assert arrived == {phone: name for name, phone in people}
    assert _flags(central, t1.name) == []

    # several events, each within the central's per-payload limit, together carrying all
    on(t1)
    events = list(Journal.select().where(Journal.event_type == "customers.imported"))
    assert len(events) >= 3
    for event in events:
        check_payload(json.loads(event.payload))  # raises past 65,536 values
    carried = [row for e in events for row in json.loads(e.payload).get("customers", [])]
    assert sorted(row["phone"] for row in carried) == sorted(phone for _, phone in people)


def test_a_customer_changed_by_a_later_import_changes_on_the_other_tills(
    two_tills: tuple[Till, Till], central: Central, tmp_path: Path
) -> None:
    # the till edits customers only by importing a file again: a known phone is updated
    t1, t2 = two_tills
    phone = f"{_phone_prefix()}000001"
    importer.import_customers(on(t1).ctx, _csv(tmp_path / "one.csv", [("Meena Iyer", phone)]))
    t1.push_until_done()
    assert on(t2).engine.run_once().ok
    assert [c.name for c in customers.search(t2.ctx, phone)] == ["Meena Iyer"]

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(f"name,phone,email\nMeena S. Iyer,{phone},meena@example.in\n")
    assert importer.import_customers(on(t1).ctx, fixed).updated == 1
    t1.push_until_done()
    assert on(t2).engine.run_once().ok
    found = customers.search(t2.ctx, phone)
    assert [(c.name, c.email) for c in found] == [("Meena S. Iyer", "meena@example.in")]
    assert _flags(central, t1.name) == []


def test_one_new_phone_added_at_two_tills_at_once_is_one_customer(
    two_tills: tuple[Till, Till], central: Central, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cashiers add the same new customer, one phone, at two tills, and the batches
    arrive together. Each read the phone before the other's customer was committed: on
    PostgreSQL both were published, two customers with one phone. The phone is now read
    under the master counter: the second batch finds the first's customer and keeps it."""
    t1, t2 = two_tills
    phone = f"{_phone_prefix()}000001"
    first = customers.create(on(t1).ctx, t1.store.manager, "Asha Rao", phone).uuid
    customers.create(on(t2).ctx, t2.store.manager, "Asha R", phone)
    held, release = threading.Event(), threading.Event()
    publish = master.customers_from_till

    def from_till(rows: list[dict[str, object]]) -> list[str]:
        notes = publish(rows)
        if rows[0]["name"] == "Asha Rao" and central.backend == "postgres":
            held.set()  # T1's customer published, not yet committed
            release.wait(timeout=60)
        return notes

    monkeypatch.setattr(master, "customers_from_till", from_till)
    errors = crossed(central, ingesting(t1), ingesting(t2), held, release)
    assert errors == []
    central.bind()
    record = central_models.MasterRecord
    held_by_phone = record.select().where(record.kind == "customer", record.alt_key == phone)
    assert [json.loads(r.data)["name"] for r in held_by_phone] == ["Asha Rao"]
    assert _flags(central, t2.name) == [
        f"customer phone {phone} already belongs to customer {first}"
    ]


def test_a_phone_the_central_imports_while_a_till_adds_it_is_one_customer(
    two_tills: tuple[Till, Till],
    central: Central,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The back office imports a customer file while a till's batch adds a customer with
    one of its phones. The import read the phone before the till's customer was committed
    and then added a second customer with it; it now reads under the master counter too,
    finds the till's customer and changes it, as it changes any customer it knows."""
    t1, _ = two_tills
    phone = f"{_phone_prefix()}000001"
    added = customers.create(on(t1).ctx, t1.store.manager, "Ravi Kumar", phone).uuid
    held, release = threading.Event(), threading.Event()
    publish = master.customers_from_till

    def from_till(rows: list[dict[str, object]]) -> list[str]:
        notes = publish(rows)
        if central.backend == "postgres":
            held.set()  # the till's customer published, not yet committed
            release.wait(timeout=60)
        return notes

    monkeypatch.setattr(master, "customers_from_till", from_till)
    sheet = _csv(tmp_path / "office.csv", [("Ravi K", phone)])
    errors = crossed(
        central, ingesting(t1), lambda: master.import_csv("customers", sheet), held, release
    )
    assert errors == []
    central.bind()
    record = central_models.MasterRecord
    held_by_phone = record.select().where(record.kind == "customer", record.alt_key == phone)
    assert [(r.key, json.loads(r.data)["name"]) for r in held_by_phone] == [(added, "Ravi K")]
