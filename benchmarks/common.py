"""Shared set-up for benchmarks: a till database with a generated catalog."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from o2pos.core import auth
from o2pos.core.bootstrap import ensure_reference_data
from o2pos.core.context import Context
from o2pos.core.db import create_schema, open_database
from o2pos.core.demo import catalog_rows, write_products_csv
from o2pos.core.importer import import_products
from o2pos.core.settings import SecuritySettings, Settings, TerminalSettings


def make_store(directory: Path, products: int) -> tuple[Context, float]:
    """A till with ``products`` generated products and a cashier; returns import seconds."""
    settings = Settings(
        terminal=TerminalSettings(data_dir=directory),
        security=SecuritySettings(scrypt_n=2**10),
    )
    db = open_database(settings.terminal.db_path)
    create_schema(db)
    ctx = Context(db=db, settings=settings)
    ensure_reference_data(ctx)
    csv_path = directory / "catalog.csv"
    write_products_csv(csv_path, catalog_rows(products, seed=3))
    started = time.perf_counter()
    report = import_products(ctx, csv_path)
    seconds = time.perf_counter() - started
    assert report.created == products, report.errors[:3]
    with ctx.write():
        auth.create_employee(ctx, "cashier", "Cashier", "cashier", "1111")
    return ctx, seconds


def plain_barcodes() -> list[str]:
    """Barcodes of products a scan adds without a lot or serial question."""
    from o2pos.core.models import Product

    query = Product.select(Product.barcode).where(
        Product.barcode.is_null(False),
        Product.lot_tracked == False,
        Product.serial_tracked == False,
    )
    return [barcode for (barcode,) in query.tuples()]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 99)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)
