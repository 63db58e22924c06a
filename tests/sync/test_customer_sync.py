"""Customers a till adds reach the central and every other till (issue 13).

A real central, real tills: a customer file imported on one till is pushed, published as
master data and pulled by the next till, where the cashier's F7 search finds it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.central import master
from o2pos.central import models as central_models
from o2pos.central.limits import check_payload
from o2pos.core import customers, importer, syncstate
from o2pos.core.journal import GENESIS_HASH
from o2pos.core.models import Customer, Journal, database

from .conftest import Central, Till, make_till

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
