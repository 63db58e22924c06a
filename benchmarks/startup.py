"""Cold start of the till to its login screen, and peak memory, beside a minimal Textual
app with the same widget types measured in the same run. Target (issue 3): ≤ 1.5× both.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "o2pos", "init", "--demo"],
            cwd=cwd,
            check=True,
            capture_output=True,
        )
        results: dict[str, list[tuple[float, int]]] = {"till": [], "minimal": []}
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            results["till"].append(measure(TILL, cwd))
            results["minimal"].append(measure(MINIMAL, cwd))
    till_t = statistics.median(t for t, _ in results["till"])
    base_t = statistics.median(t for t, _ in results["minimal"])
    till_m = statistics.median(m for _, m in results["till"])
    base_m = statistics.median(m for _, m in results["minimal"])
    rows = [
        ("o2pos run → login ready", f"{till_t * 1000:.0f} ms", f"{till_m / 1024:.1f} MiB"),
        (
            "minimal Textual app, same widgets",
            f"{base_t * 1000:.0f} ms",
            f"{base_m / 1024:.1f} MiB",
        ),
        ("ratio (target ≤ 1.5×)", f"{till_t / base_t:.2f}×", f"{till_m / base_m:.2f}×"),
    ]
    print(table(rows, ("measure", "cold start (median)", "peak RSS (median)")))


if __name__ == "__main__":
    main()
