"""Cold start of the till to its login screen, and peak memory, beside a minimal Textual
app with the same widget types measured in the same run. Target (issue 3): ≤ 1.5× both.

    python benchmarks/startup.py [--runs 7]

``run()`` returns this script's lines of the project's one table (``benchmarks/all.py``).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, init_demo, table

import o2pos

TILL = """
import time
from o2pos.commands.common import config_of, context_of  # as `o2pos run` does
from o2pos.tui.app import TillApp, setup_logging
from o2pos.tui.screens.login import LoginScreen
config = config_of(None)
ctx = context_of(None)
setup_logging(config.settings.terminal.data_dir)
app = TillApp(ctx, config)

async def ready(pilot):
    while not isinstance(app.screen, LoginScreen) or not app.screen.query("#user"):
        await pilot.pause()
    await pilot.pause()
    print("READY", flush=True)
    app.exit()

app.run(headless=True, size=(80, 24), auto_pilot=ready)
"""

MINIMAL = """
from textual.app import App
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Static

class Minimal(App):
    def compose(self):
        yield Static("status")
        with Vertical():
            yield Static("title")
            yield Input(placeholder="user")
            yield Input(placeholder="pin", password=True)
            with Horizontal():
                yield Static("x")
        yield DataTable()
        yield Footer()

app = Minimal()

async def ready(pilot):
    await pilot.pause()
    await pilot.pause()
    print("READY", flush=True)
    app.exit()

app.run(headless=True, size=(80, 24), auto_pilot=ready)
"""


def measure(code: str, cwd: Path) -> tuple[float, int]:
    """Seconds from process start to READY, and the child's peak RSS in KiB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    _, status, usage = os.wait4(child.pid, 0)
    if "READY" not in line or status != 0:
        raise RuntimeError(f"child failed: {line!r} {child.stderr.read() if child.stderr else ''}")
    return elapsed, usage.ru_maxrss


@dataclass
class StartupResults:
    """Per run: seconds to the login screen and peak RSS in KiB, for the till and the app."""

    till: list[tuple[float, int]]
    minimal: list[tuple[float, int]]

    def medians(self) -> tuple[float, float, float, float]:
        """Till time, minimal time, till RSS, minimal RSS (KiB)."""
        return (
            statistics.median(t for t, _ in self.till),
            statistics.median(t for t, _ in self.minimal),
            statistics.median(m for _, m in self.till),
            statistics.median(m for _, m in self.minimal),
        )


def measure_runs(runs: int) -> StartupResults:
    """``runs`` cold starts of each, interleaved, in an ``o2pos init --demo`` directory."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        init_demo(cwd)
        # pip compiles an installed package's bytecode, as Textual's was; an editable
        # checkout under PYTHONDONTWRITEBYTECODE=1 would compile o2pos from source on every
        # start (about 110 ms here) and measure the checkout instead of the till
        compileall.compile_dir(Path(o2pos.__file__).parent, quiet=1)
        results = StartupResults([], [])
        for _ in range(runs):  # interleaved, so load on the machine hits both alike
            results.till.append(measure(TILL, cwd))
            results.minimal.append(measure(MINIMAL, cwd))
    return results


def detail(r: StartupResults) -> str:
    till_t, base_t, till_m, base_m = r.medians()
    rows = [
        ("o2pos run → login ready", f"{till_t * 1000:.0f} ms", f"{till_m / 1024:.1f} MiB"),
        (
            "minimal Textual app, same widgets",
            f"{base_t * 1000:.0f} ms",
            f"{base_m / 1024:.1f} MiB",
        ),
        ("ratio (target ≤ 1.5×)", f"{till_t / base_t:.2f}×", f"{till_m / base_m:.2f}×"),
    ]
    return table(rows, ("measure", "cold start (median)", "peak RSS (median)"))


def rows(r: StartupResults) -> list[Row]:
    """The lines of the project's table (``all.py``): issue 3's ≤ 1.5× checked."""
    till_t, base_t, till_m, base_m = r.medians()
    runs = len(r.till)
    return [
        Row(
            "startup",
            f"cold start, o2pos run → login ready (median of {runs})",
            f"{till_t * 1000:.0f} ms: **{till_t / base_t:.2f}×**",
            f"bare Textual app, same widgets: {base_t * 1000:.0f} ms",
            "≤ 1.5×",
            till_t / base_t <= 1.5,
        ),
        Row(
            "startup",
            f"peak RSS (median of {runs})",
            f"{till_m / 1024:.1f} MiB: **{till_m / base_m:.2f}×**",
            f"bare Textual app: {base_m / 1024:.1f} MiB",
            "≤ 1.5×",
            till_m / base_m <= 1.5,
        ),
    ]


def run(runs: int = 7) -> list[Row]:
    return rows(measure_runs(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(detail(measure_runs(args.runs)))


if __name__ == "__main__":
    main()
