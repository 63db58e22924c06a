"""A small, fully known store for tests: every price and tax class is chosen by hand."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from o2pos.core import auth, register, sales
from o2pos.core.bootstrap import ensure_reference_data
from o2pos.core.context import Context
from o2pos.core.db import create_schema, open_database
from o2pos.core.models import (
    Coupon,
    Customer,
    Employee,
    Lot,
    Product,
    SerialNumber,
    Stock,
    Voucher,
)
from o2pos.core.payments import Tender
from o2pos.core.settings import SecuritySettings, Settings, StoreSettings, TerminalSettings

START = datetime(2026, 11, 20, 6, 0, 0)  # 11:30 in Kolkata


def _worker_database() -> None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own: the session's
    central drops and recreates its tables, which two workers must not do to one database.
    Runs when this module is imported, before any other conftest or test module (they all
    import it), so whatever reads ``O2POS_TEST_PG`` sees the worker's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = os.environ.get("O2POS_TEST_PG", "")
    if base == "none":  # as ./scripts/test takes it: the central's tests on SQLite only
        os.environ["O2POS_TEST_PG"] = base = ""
    if not worker or not base:
        return
    import psycopg2  # the central extra

    name = f"{base.rsplit('/', 1)[1]}_{worker}"
    conn = psycopg2.connect(base)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    except psycopg2.Error as exc:
        raise RuntimeError(
            f"a database per test worker needs CREATEDB for {base!r}'s role: {exc}"
        ) from exc
    finally:
        conn.close()
    os.environ["O2POS_TEST_PG"] = f"{base.rsplit('/', 1)[0]}/{name}"


_worker_database()


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: int) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Store:
    ctx: Context
    clock: Clock
    people: dict[str, Employee] = field(default_factory=dict)

    @property
    def cashier(self) -> Employee:
        return self.people["cashier"]

    @property
    def manager(self) -> Employee:
        return self.people["manager"]

    def approval(
        self, permission: str, code: str = "manager", pin: str = "222222"
    ) -> auth.Approval:
        return auth.approve(self.ctx, code, pin, permission)

    def open_register(self, amount: int = 200000) -> None:
        register.open_session(self.ctx, self.cashier, amount)

    def bill(self, *codes: str, actor: Employee | None = None) -> int:
        actor = actor or self.cashier
        sale = sales.new(self.ctx, actor)
        for code in codes:
            sales.add_item(self.ctx, sale.id, code, actor)
        return sale.id

    def cash_sale(self, *codes: str, tendered: int | None = None) -> sales.CheckoutResult:
        sale_id = self.bill(*codes)
        due = sales.get(sale_id).total
        return sales.checkout(self.ctx, sale_id, [Tender("cash", tendered or due)], self.cashier)


PRODUCTS = [
    # sku, barcode, name, price, tax, includes tax, extra
    ("RICE1", "8901234567890", "Basmati Rice 1 kg", 18900, "GST5", True, {}),
    ("SOAP", "8900000000012", "Neem Soap 100 g", 4000, "GST18", True, {}),
    ("COLA", "8900000000029", "Cola 750 ml", 4000, "GST28", True, {}),
    ("MILK", "8900000000036", "Toned Milk 1 l", 5400, "GST0", True, {"lot_tracked": True}),
    ("PHONE", "8900000000043", "Earbuds", 149900, "GST18", True, {"serial_tracked": True}),
    ("TRIM", "8900000000050", "Beard Trimmer", 100000, "GST18", False, {}),
    (
        "ONION",
        None,
        "Onion (loose)",
        3800,
        "GST0",
        True,
        {"weighed": True, "plu": "10001", "unit": "kg"},
    ),
    ("OLD", "8900000000067", "Discontinued Tea", 10000, "GST5", True, {"active": False}),
    ("UPC1", "0036000291452", "Imported Tissue", 25000, "GST12", True, {}),
]

# HSN codes of the products above: a bill to a customer with a GSTIN needs them (core.gst)
HSN_CODES = {
    "RICE1": "1006",
    "SOAP": "3401",
    "COLA": "22021010",
    "MILK": "0401",
    "PHONE": "851830",
    "TRIM": "8510",
    "ONION": "0703",
    "OLD": "0902",
    "UPC1": "4818",
}


def build_store(
    directory: Path, clock: Clock | None = None, terminal_id: str = "T1", **settings_kw: object
) -> Store:
    clock = clock or Clock()
    settings = Settings(
        store=StoreSettings(name="Test Mart", state_code="29", round_off=True),
        terminal=TerminalSettings(id=terminal_id, data_dir=directory),
        security=SecuritySettings(scrypt_n=2**8, max_pin_attempts=5, lockout_minutes=15),
        **settings_kw,  # type: ignore[arg-type]
    )
    db = open_database(settings.terminal.db_path)
    create_schema(db)
    ctx = Context(db=db, settings=settings, clock=clock)
    ensure_reference_data(ctx)
    store = Store(ctx, clock)
    with ctx.write():
        for code, role, pin in [
            ("admin", "administrator", "123456"),
            ("manager", "store_manager", "222222"),
            ("cashier", "cashier", "1111"),
            ("billing", "billing_employee", "3333"),
            ("stock", "inventory", "4444"),
        ]:
            store.people[code] = auth.create_employee(ctx, code, code.title(), role, pin)
        for sku, barcode, name, price, tax, incl, extra in PRODUCTS:
            product = Product.create(
                sku=sku,
                barcode=barcode,
                name=name,
                price=price,
                tax_class=tax,
                price_includes_tax=incl,
                hsn=HSN_CODES.get(sku),
                **extra,
            )
            Stock.create(product=product, location="MAIN", qty_milli=50_000)
        milk = Product.get(Product.sku == "MILK")
        Lot.create(
            product=milk,
            location="MAIN",
            lot_no="OLD",
            received_at=datetime(2026, 11, 1),
            qty_milli=2000,
        )
        Lot.create(
            product=milk,
            location="MAIN",
            lot_no="NEW",
            received_at=datetime(2026, 11, 10),
            qty_milli=5000,
        )
        phone = Product.get(Product.sku == "PHONE")
        for serial in ("SN1", "SN2"):
            SerialNumber.create(product=phone, serial=serial)
        Customer.create(
            uuid="c-local",
            name="Lakshmi Rao",
            phone="9845000001",
            state_code="29",
            created_at=START,
        )
        Customer.create(
            uuid="c-tn",
            name="Tamil Traders",
            phone="9845000002",
            gstin="33AACCK2008G1Z8",
            state_code="33",
            created_at=START,
        )
        Coupon.create(code="TEN", kind="percent", value=1000, min_cart=50000, max_discount=20000)
        Coupon.create(code="FLAT50", kind="amount", value=5000, min_cart=30000)
        Coupon.create(code="ONCE", kind="amount", value=1000, usage_limit=1)
        Coupon.create(code="OLDCOUPON", kind="percent", value=1500, valid_to=date(2024, 11, 5))
        Voucher.create(
            kind="gift_voucher", code="GV-1", amount=50000, balance=50000, created_at=START
        )
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = build_store(tmp_path)
    yield s
    s.ctx.db.close()
