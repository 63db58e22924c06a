"""The central's reports at a real central (issue 16): a store's day of sales, and a
terminal's figures kept at ingest.

The sales report is checked against what the tills themselves say of the same day (their
own ``o2pos report daily``), through the real push; the counters against the counts
recomputed from the stored rows, after batches sent twice, overlapping and at once; and an
existing central's database gains the counters (filled in) and the indexes when opened.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from peewee import Database, SqliteDatabase, fn

from o2pos.central import models as cm
from o2pos.central.ingest import ingest
from o2pos.central.reports import day_bounds, sales_day, stats
from o2pos.central.store import (
    CentralError,
    add_terminal,
    now,
    open_central,
    token_digest,
    upgrade,
)
from o2pos.core import models, payments, reports, returns, sales
from o2pos.core.journal import GENESIS_HASH
from o2pos.core.payments import Tender
from o2pos.sync.client import CentralClient
from o2pos.sync.orders import StoreOrders
from tests.events import next_event
from tests.sync.chain import Chain, sale_payload
from tests.sync.conftest import (
    BACKENDS,
    Central,
    Till,
    at,
    counters,
    o2pos_cmd,
    pg_in_schema,
    shop,
    store_of,
)

DAY = date(2026, 11, 20)  # the clocks start at 06:00 UTC that day: 11:30 in Kolkata
ZONE = "Asia/Kolkata"


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2 in one store, X in another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, X=there)


def tender(method: str, amount: int) -> Tender:
    """A tender, with the approval code a card or UPI payment asks for."""
    return Tender(method, amount, None if method == "cash" else f"OK{uuid.uuid4().hex[:6]}")


def sell(till: Till, tenders: list[tuple[str, int | None]], *codes: str) -> models.Sale:
    """A bill of ``codes`` paid with ``tenders`` ((method, amount); None: what is due)."""
    store = at(till).store
    sale_id = store.bill(*codes)
    due = sales.get(sale_id).total
    paid = [tender(method, due if amount is None else amount) for method, amount in tenders]
    return sales.checkout(store.ctx, sale_id, paid, store.cashier).sale


def on_account(till: Till, *codes: str) -> models.Sale:
    """A bill put on Lakshmi Rao's account in full: credit given, not money."""
    store = at(till).store
    sale_id = store.bill(*codes)
    customer = models.Customer.get(models.Customer.uuid == "c-local")
    sales.set_customer(store.ctx, sale_id, customer.id, store.cashier)
    due = sales.get(sale_id).total
    return sales.checkout(store.ctx, sale_id, [Tender("on_account", due)], store.cashier).sale


def saved_for_customer(till: Till, *codes: str) -> models.Sale:
    """An order saved unpaid for Lakshmi Rao (a named customer may pay part of it)."""
    store = at(till).store
    sale_id = store.bill(*codes)
    customer = models.Customer.get(models.Customer.uuid == "c-local")
    sales.set_customer(store.ctx, sale_id, customer.id, store.cashier)
    return sales.save_unpaid(store.ctx, sale_id, store.cashier)


def recomputed(central: Central, name: str) -> dict[str, int]:
    """A terminal's figures counted from the stored rows, the way stats once read them."""
    central.bind()
    sold = cm.Sale.select(
        fn.COUNT(cm.Sale.id), fn.COALESCE(fn.SUM(cm.Sale.total), 0), fn.SUM(cm.Sale.balance)
    ).where(cm.Sale.terminal == name)
    count, total, unpaid = sold.tuples()[0]
    events = cm.Event.select().where(cm.Event.terminal == name)
    return {
        "events": events.count(),
        "sales_count": int(count),
        "sales_total": int(total),
        "sales_unpaid": int(unpaid or 0),
        "flagged": events.where(cm.Event.flag.is_null(False)).count(),
    }


def shown(figures: dict[str, Any]) -> dict[str, int]:
    return {
        key: figures[key]
        for key in ("events", "sales_count", "sales_total", "sales_unpaid", "flagged")
    }


# --- a store's day --------------------------------------------------------------------------


def test_a_stores_day_adds_up_to_what_its_tills_say_of_it(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2, x = tills["T1"], tills["T2"], tills["X"]
    cash = sell(t1, [("cash", None)], "RICE1")
    card = sell(t1, [("card", None)], "SOAP", "COLA")
    bill = t1.store.bill("TRIM")
    due = sales.get(bill).total
    split = sales.checkout(
        t1.ctx, bill, [tender("cash", 1000), tender("upi", due - 1000)], t1.store.cashier
    ).sale
    order = saved_for_customer(t1, "RICE1", "RICE1")
    t1.push_until_done()
    # T2 takes part of T1's order (claimed at the central), sells on UPI and on account
    lookup = StoreOrders(CentralClient(central.url, t2.token, timeout=5.0))
    claimed = lookup.claim(lookup.find(order.number))
    payments.collect_remote(at(t2).ctx, t2.store.cashier, [claimed], [Tender("cash", 5000)])
    upi = sell(t2, [("upi", None)], "COLA")
    credit = on_account(t2, "SOAP")
    # half an hour later T1 takes back the rice, in cash
    t1.store.clock.advance(minutes=30)
    line = models.SaleLine.get(models.SaleLine.sale == cash.id)
    back = returns.create(
        at(t1).ctx, t1.store.manager, cash.number, [returns.ReturnItem(line.id, 1000)], "cash"
    )
    # 23:30 in Kolkata is still the day; midnight is the next one's
    t1.store.clock.advance(hours=11, minutes=30)  # 18:00 UTC
    late = sell(t1, [("cash", None)], "COLA")
    t1.store.clock.advance(minutes=30)  # 18:30 UTC
    after_midnight = sell(t1, [("cash", None)], "SOAP")
    elsewhere = sell(x, [("cash", None)], "TRIM")  # another store's
    for till in (t1, t2, x):
        at(till).push_until_done()

    central.bind()
    store = store_of(central, t1)
    day = sales_day(store, DAY, ZONE)
    bills = [cash, card, split, order, late, upi, credit]
    assert (day["store"], day["day"], day["timezone"]) == (store, "2026-11-20", ZONE)
    assert (day["from_utc"], day["to_utc"]) == ("2026-11-19T18:30:00", "2026-11-20T18:30:00")
    assert day["sales_count"] == len(bills)
    assert day["sales_total"] == sum(s.total for s in bills)
    assert day["gross_total"] == sum(s.subtotal for s in bills)
    assert day["discount_total"] == sum(s.discount_total for s in bills)
    assert day["tax_total"] == sum(s.tax_total for s in bills)
    assert day["round_off_total"] == sum(s.round_off for s in bills)
    assert (day["returns_count"], day["returns_total"]) == (1, back.total)
    assert day["net_sales"] == day["sales_total"] - back.total
    # the order less what T2 took for it, and the bill on account
    assert day["unpaid_total"] == order.total - 5000 + credit.total
    assert day["refunds"] == [{"method": "cash", "count": 1, "amount": back.total}]
    money = {p["method"]: (p["kind"], p["count"], p["amount"]) for p in day["payments"]}
    assert money == {
        "cash": ("cash", 4, cash.total + 1000 + 5000 + late.total),
        "card": ("card", 1, card.total),
        "upi": ("upi", 2, split.total - 1000 + upi.total),
    }
    assert day["received_total"] == sum(amount for _, _, amount in money.values())
    assert day["received_by_receipts"] == 5000
    assert day["on_account_total"] == credit.total
    assert [t["terminal"] for t in day["terminals"]] == sorted([t1.name, t2.name])
    assert sum(t["sales_total"] for t in day["terminals"]) == day["sales_total"]

    # each till's share is what that till's own daily report says of the day
    for till in (t1, t2):
        own = reports.daily_report(at(till).ctx, DAY)
        mine = next(t for t in day["terminals"] if t["terminal"] == till.name)
        for key in ("sales_count", "sales_total", "returns_count", "returns_total", "net_sales"):
            assert mine[key] == own[key], (till.name, key)
        assert mine["received_total"] == own["received_total"], till.name

    central.bind()
    following = sales_day(store, date(2026, 11, 21), ZONE)
    assert (following["sales_count"], following["sales_total"]) == (1, after_midnight.total)
    mine = next(t for t in following["terminals"] if t["terminal"] == t1.name)
    assert (mine["sales_count"], mine["received_total"]) == (1, after_midnight.total)
    # in UTC both late bills are the 20th's
    utc = sales_day(store, DAY, "UTC")
    assert utc["sales_count"] == len(bills) + 1
    # the other store's day has only its own bill
    there = sales_day(store_of(central, x), DAY, ZONE)
    assert (there["sales_count"], there["sales_total"]) == (1, elsewhere.total)


def test_a_day_is_the_stores_local_calendar_day_in_utc_bounds() -> None:
    assert day_bounds(DAY, ZONE) == ("2026-11-19T18:30:00", "2026-11-20T18:30:00")
    # a day the clocks go back is 25 hours long
    assert day_bounds(date(2026, 10, 25), "Europe/London") == (
        "2026-10-24T23:00:00",
        "2026-10-26T00:00:00",
    )
    start, end = day_bounds(DAY, ZONE)
    stamps = {
        "2026-11-19T18:29:59.999999Z": False,
        "2026-11-19T18:30:00.000000Z": True,
        "2026-11-20T18:00:00.000000Z": True,
        "2026-11-20T18:29:59.999999Z": True,
        "2026-11-20T18:30:00.000000Z": False,
    }
    assert {s: start <= s < end for s in stamps} == stamps


def test_an_unknown_store_is_named_in_a_clear_message(central: Central, tmp_path: Path) -> None:
    central.bind()
    with pytest.raises(CentralError, match="No store named nosuch-store: no terminal stands in it"):
        sales_day("nosuch-store", DAY, ZONE)
    done = subprocess.run(
        o2pos_cmd(
            "central",
            "report",
            "sales",
            "--store",
            "nosuch-store",
            "--day",
            "2026-11-20",
            "--db",
            central.db_url,
        ),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "No store named nosuch-store" in done.stderr
    for bad, why in (
        (["--day", "20-11-2026"], "--day is a day, YYYY-MM-DD"),
        (["--tz", "Mars/Olympus"], "Unknown time zone Mars/Olympus"),
        (["--store", "Not A Store!"], "A store name is 1 to 32 letters"),
    ):
        args = ["--store", "x", "--day", "2026-11-20", *bad]
        done = subprocess.run(
            o2pos_cmd("central", "report", "sales", *args, "--db", central.db_url),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and why in done.stderr, done.stderr


def test_the_report_and_stats_commands_print_what_the_functions_read(
    central: Central, tmp_path: Path
) -> None:
    store = shop()
    name, token = central.register(store=store)
    with httpx.Client(base_url=central.url, timeout=30) as http:
        chain = Chain(central, http, name, token)
        chain.stored([chain.event("sale.completed", sale_payload(total=12345, paid=12000))])
    central.bind()
    args = ["--store", store, "--day", "2026-12-01", "--tz", ZONE, "--db", central.db_url]
    done = subprocess.run(
        o2pos_cmd("central", "report", "sales", *args, "--json"), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == sales_day(store, date(2026, 12, 1), ZONE)
    assert json.loads(done.stdout)["unpaid_total"] == 345
    text = subprocess.run(
        o2pos_cmd("central", "report", "sales", *args), capture_output=True, text=True
    ).stdout
    assert f"{store} 2026-12-01 ({ZONE}" in text and "123.45" in text and "net sales" in text

    done = subprocess.run(
        o2pos_cmd("central", "stats", "--terminal", name.lower(), "--json", "--db", central.db_url),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    one = json.loads(done.stdout)
    central.bind()
    assert list(one) == [name] and one == stats(name)
    assert one[name]["sales_total"] == 12345 and one[name]["sales_unpaid"] == 345
    text = subprocess.run(
        o2pos_cmd("central", "stats", "--terminal", name, "--db", central.db_url),
        capture_output=True,
        text=True,
    ).stdout
    assert text.startswith(name) and "store" not in text  # one till: no store line
    done = subprocess.run(
        o2pos_cmd("central", "stats", "--terminal", "NOSUCH", "--db", central.db_url),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "No terminal named NOSUCH" in done.stderr


# --- the counters -----------------------------------------------------------------------------


def test_the_counters_equal_the_recomputed_counts_after_retries_and_overlaps(
    central: Central,
) -> None:
    name, token = central.register()
    with httpx.Client(base_url=central.url, timeout=30) as http:
        chain = Chain(central, http, name, token)
        unpaid = sale_payload(total=5000, paid=0)
        first = [
            chain.event("sale.completed", sale_payload(total=100)),
            chain.event("sale.completed", unpaid),
            chain.event("sale.completed", sale_payload(total=250)),
        ]
        chain.stored(first)
        again = chain.post(first)  # the answer was lost: the till sends the batch again
        assert again.status_code == 200 and again.json()["stored"] == 0
        # overlapping: the last two again, and two new behind them
        repeat = sale_payload(total=700)
        more = [chain.event("sale.completed", repeat), chain.event("drawer.opened", {})]
        overlap = chain.post([*first[1:], *more])
        assert overlap.status_code == 200 and overlap.json()["stored"] == 2
        # the same bill sent again under a new event (flagged, not counted twice), a payload
        # the central cannot read (flagged, not projected), a receipt for the unpaid bill
        paying = {
            "receipt": "R-9",
            "receipt_uuid": str(uuid.uuid4()),
            "payments": [
                {
                    "method": "cash",
                    "kind": "cash",
                    "tendered": 2000,
                    "amount": 2000,
                    "reference": None,
                }
            ],
            "allocations": [{"sale_uuid": unpaid["uuid"], "amount": 2000}],
        }
        odd = chain.post(
            [
                chain.event("sale.completed", repeat),
                chain.event("sale.completed", sale_payload(uuid=["not", "a", "uuid"])),
                chain.event("receipt.recorded", paying),
            ]
        )
        assert odd.status_code == 200 and len(odd.json()["flagged"]) == 2, odd.text
        # the same batch from four connections at once: stored once
        last = [chain.event("sale.completed", sale_payload(total=333)) for _ in range(3)]
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: chain.post(last), range(4)))
        assert all(a.status_code in (200, 409, 503) for a in answers), [a.text for a in answers]
        assert sum(a.json().get("stored", 0) for a in answers if a.status_code == 200) == 3
        assert any(a.status_code == 200 for a in answers)

    expected = recomputed(central, name)
    assert expected == {
        "events": 11,
        "sales_count": 7,
        "sales_total": 100 + 5000 + 250 + 700 + 3 * 333,
        "sales_unpaid": 3000,
        "flagged": 2,
    }
    assert shown(stats(name)[name]) == expected
    assert shown(stats()[name]) == expected
    assert stats(name)[name]["high_water_seq"] == 11


def test_the_counters_of_tills_that_sold_through_the_real_push_equal_the_rows(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    for _ in range(3):
        sell(t1, [("cash", None)], "RICE1")
    order = sales.save_unpaid(at(t1).ctx, t1.store.bill("TRIM"), t1.store.cashier)
    on_account(t2, "SOAP")
    at(t1).push_until_done()
    at(t2).push_until_done()
    lookup = StoreOrders(CentralClient(central.url, t2.token, timeout=5.0))
    payments.collect_remote(
        at(t2).ctx,
        t2.store.cashier,
        [lookup.claim(lookup.find(order.number))],
        [Tender("cash", order.total)],
    )
    at(t2).push_until_done()
    for till in (t1, t2):
        assert shown(central.stats(till.name)) == recomputed(central, till.name)
    assert central.stats(t1.name)["sales_unpaid"] == 0  # T2 paid it


# --- an existing central ------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def old_central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A central with history, laid out as before the counters and the report's indexes."""
    db: Database
    schema = f"o2pos_reports_migration_{os.getpid()}"
    if request.param == "sqlite":
        db = SqliteDatabase(tmp_path / "old.db", pragmas={"foreign_keys": 1})
    else:
        db = pg_in_schema(schema)
        db.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        db.execute_sql(f"CREATE SCHEMA {schema}")
    cm.central_db.initialize(db)
    db.create_tables(cm.MODELS)
    for name in ("OLD1", "OLD2"):
        cm.Terminal.insert(
            name=name,
            token_hash=token_digest(f"o2t_{name}_secret"),
            created_at=now(),
            high_water_hash=GENESIS_HASH,
        ).execute()
        head, events = GENESIS_HASH, []
        for seq, total in enumerate((100, 200, 300, 400), start=1):
            paid = 0 if total == 300 else total
            event = next_event(
                name, seq, head, "sale.completed", sale_payload(total=total, paid=paid)
            )
            head = event["hash"]
            events.append(event)
        ingest(name, events)
    db.execute_sql('UPDATE "event" SET "flag" = \'odd\' WHERE "seq" = 2')
    for column in ("event_count", "sales_count", "sales_total"):
        db.execute_sql(f'ALTER TABLE "terminal" DROP COLUMN "{column}"')
    for index in ("event_terminal_created_at", "event_flagged", "sale_unpaid"):
        db.execute_sql(f'DROP INDEX "{index}"')
    db.execute_sql('CREATE INDEX "event_terminal" ON "event" ("terminal")')
    yield db
    if request.param == "postgres":
        db.execute_sql(f"DROP SCHEMA {schema} CASCADE")
    db.close()


def test_an_existing_central_gains_its_counters_filled_in_and_the_reports_indexes(
    old_central: Database,
) -> None:
    db = old_central
    assert "event_count" not in {c.name for c in db.get_columns("terminal")}
    upgrade(db)
    upgrade(db)  # twice: nothing left to do, no error
    indexes = {i.name for table in ("event", "sale") for i in db.get_indexes(table)}
    assert {"event_terminal_created_at", "event_flagged", "sale_unpaid"} <= indexes
    assert "event_terminal" not in indexes
    for name in ("OLD1", "OLD2"):
        figures = stats(name)[name]
        assert shown(figures) == {
            "events": 4,
            "sales_count": 4,
            "sales_total": 1000,
            "sales_unpaid": 300,
            "flagged": 1,
        }
    # and ingest goes on counting from there
    head = cm.Terminal.get_by_id("OLD1").high_water_hash
    ingest("OLD1", [next_event("OLD1", 5, head, "sale.completed", sale_payload(total=5))])
    assert (stats("OLD1")["OLD1"]["events"], stats("OLD1")["OLD1"]["sales_total"]) == (5, 1005)
    # a store's day reads through the new index
    cm.Terminal.update(store="oldshop").execute()
    day = sales_day("oldshop", date(2026, 12, 1), ZONE)
    assert (day["sales_count"], day["sales_total"], day["unpaid_total"]) == (9, 2005, 600)


def test_an_existing_sqlite_central_is_upgraded_when_a_command_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    open_central(path)
    add_terminal("OLD1")
    head, events = GENESIS_HASH, []
    for seq in (1, 2):
        event = next_event("OLD1", seq, head, "sale.completed", sale_payload(total=50))
        head = event["hash"]
        events.append(event)
    ingest("OLD1", events)
    cm.central_db.obj.close()
    import sqlite3

    with sqlite3.connect(path) as con:
        for column in ("event_count", "sales_count", "sales_total"):
            con.execute(f'ALTER TABLE "terminal" DROP COLUMN "{column}"')
        con.execute('DROP INDEX "event_terminal_created_at"')
    con.close()
    done = subprocess.run(
        o2pos_cmd("central", "stats", "--json", "--db", str(path)), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)["OLD1"]
    assert (figures["events"], figures["sales_count"], figures["sales_total"]) == (2, 2, 100)
    with sqlite3.connect(path) as con:
        names = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    assert "event_terminal_created_at" in names
