"""Shared set-up for benchmarks: a till database with a generated catalog, the row every
benchmark reports to ``all.py``, and the machine it ran on. (The till in a real terminal,
tmux and sshd, is ``tests/terminal.py``: the tests and the benchmarks drive it alike.)"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from o2pos.core import auth
from o2pos.core.bootstrap import ensure_reference_data
from o2pos.core.context import Context
from o2pos.core.db import create_schema, open_database
from o2pos.core.demo import catalog_rows, write_products_csv
from o2pos.core.importer import import_products
from o2pos.core.settings import SecuritySettings, Settings, TerminalSettings


def init_demo(directory: Path) -> None:
    """An ``o2pos init --demo`` store in ``directory``, made the way a new user makes one."""
    subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo"],
        cwd=directory,
        check=True,
        capture_output=True,
    )


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


def timed_checkouts(ctx: Context, cashier: Any, rng: random.Random, count: int) -> list[float]:
    """Seconds of each of ``count`` 5-line cash sales' checkout (the commit), rung up first
    from the plain barcodes: the sale-commit figure of core.py and history.py alike."""
    from o2pos.core import sales
    from o2pos.core.payments import Tender

    plain = plain_barcodes()
    times = []
    for _ in range(count):
        sale = sales.new(ctx, cashier)
        for code in rng.sample(plain, 5):
            sales.add_item(ctx, sale.id, code, cashier)
        due = sales.get(sale.id).total
        started = time.perf_counter()
        sales.checkout(ctx, sale.id, [Tender("cash", due)], cashier)
        times.append(time.perf_counter() - started)
    return times


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


# --- the project's one benchmark table (benchmarks/all.py) ------------------------------------
@dataclass
class Row:
    """One line of the table ``benchmarks/all.py`` prints: each script says what it measured
    in these terms, so one table can hold every benchmark and say which targets are met."""

    area: str  # what the issue calls it: "startup", "scan", "sale commit", "SSH idle", ...
    measure: str
    result: str
    beside: str = ""  # the floor or baseline measured in the same run, if there is one
    target: str = ""
    met: bool | None = None  # None: no target, or nothing measured


def dump_rows(rows: list[Row], path: Path) -> None:
    """Rows as JSON, for the parent process of ``all.py`` (each part runs in a child)."""
    path.write_text(json.dumps([asdict(row) for row in rows], ensure_ascii=False), "utf-8")


def load_rows(path: Path) -> list[Row]:
    return [Row(**fields) for fields in json.loads(path.read_text("utf-8"))]


def machine() -> dict[str, str]:
    """What the figures were measured on: they mean little without it."""
    cpu, count = platform.processor() or platform.machine(), os.cpu_count() or 0
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        if models:
            cpu, count = models[0], len(models)
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    try:
        textual = importlib.metadata.version("textual")
    except importlib.metadata.PackageNotFoundError:
        textual = "?"
    return {
        "CPU": f"{count} × {cpu}",
        "RAM": ram or "?",
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "Textual": textual,
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(command: list[str], url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A central started by ``command`` (its output in ``log``), once ``url`` answers
    /v1/health; stopped on exit, killed if it will not stop."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"central exited with {proc.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"central did not come up:\n{log.read_text()}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
