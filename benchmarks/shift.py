"""An open till over a long shift: does its memory grow with the sales it has rung up?

    python benchmarks/shift.py [--sales 1000]

The demo store in a temporary directory; the real ``TillApp`` at 80×24 (Textual's headless
driver: what is measured is the till's own objects, not a terminal's), a cashier signed in,
then ``--sales`` cash sales through the screens as a cashier rings them: a barcode typed
and Enter, F10, Enter (exact cash; each sale opens the payment dialog and closes it). The
process's peak RSS is read after the first 100 sales (the screens, caches and SQLite's page
cache are warm by then; after a tenth of them when fewer than 1,000, as ``all.py --quick``
runs it) and after the last. Target (issue 16): within 10 %.

``run()`` returns the lines of the project's one table (``benchmarks/all.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, init_demo, plain_barcodes, table

from o2pos.commands.common import config_of, context_of
from o2pos.core.models import Sale
from o2pos.tui.app import TillApp

WARM = 100


def warm_after(count: int) -> int:
    return WARM if count >= 1000 else max(1, count // 10)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def shift(directory: Path, count: int) -> tuple[float, float, float, int]:
    """(peak RSS after WARM sales, after ``count``, seconds, sales completed)."""
    init_demo(directory)
    os.chdir(directory)  # as `o2pos run` is started there
    config = config_of(None)
    ctx = context_of(None)
    codes = plain_barcodes()
    rng = random.Random(16)
    app = TillApp(ctx, config)
    warm = 0.0
    started = time.perf_counter()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in [*"cashier", "tab", *"1111", "enter"]:
            await pilot.press(key)
        await pilot.pause()
        for key in [*"2000", "enter"]:  # the opening float
            await pilot.press(key)
        await pilot.pause()
        for done in range(1, count + 1):
            box = app.screen.query_one("#item")
            box.value = rng.choice(codes)  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("f10")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            if done == warm_after(count):
                gc.collect()
                warm = peak_mib()
        gc.collect()
        last = peak_mib()
    completed = Sale.select().where(Sale.status == "completed").count()
    return warm, last, time.perf_counter() - started, completed


def rows(warm: float, last: float, count: int, completed: int) -> list[Row]:
    growth = last / warm if warm else float("nan")
    return [
        Row(
            "shift",
            f"peak RSS of an open till after {count:,} sales through the screens",
            f"{last:.1f} MiB: **{growth:.2f}×**",
            f"after the first {warm_after(count)}: {warm:.1f} MiB ({completed:,} sales completed)",
            "≤ 1.10×",
            "yes" if growth <= 1.10 and completed == count else "no",
        )
    ]


def run(count: int = 1000) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="o2pos-shift-") as tmp:
        warm, last, _seconds, completed = asyncio.run(shift(Path(tmp), count))
    return rows(warm, last, count, completed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1000)
    args = parser.parse_args()
    if args.sales < 2:
        parser.error("--sales must be at least 2")
    with tempfile.TemporaryDirectory(prefix="o2pos-shift-") as tmp:
        warm, last, seconds, completed = asyncio.run(shift(Path(tmp), args.sales))
    print(f"{completed} sales in {seconds:.0f} s")
    row = rows(warm, last, args.sales, completed)[0]
    print(
        table(
            [(row.measure, row.result, row.beside, row.target)],
            ("measure", "peak RSS", "warm", "target"),
        )
    )


if __name__ == "__main__":
    main()
