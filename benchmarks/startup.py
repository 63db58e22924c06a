"""Start-up as a user starts the till: ``o2pos run`` typed in a real terminal (tmux, 80×24),
from the command to its login screen drawn, and its peak memory, beside a bare Textual app
with the same widget types started the same way in the same run. Target (issue 16): ≤ 1.3×
both.

    python benchmarks/startup.py [--runs 7]

Why not in-process or headless: a user runs the console script, which imports typer and
everything ``o2pos/cli.py`` imports before the till's own modules, and the till then starts
Textual's terminal driver. Timing ``TillApp`` imported in-process and run headless skipped
all of that and reported 1.19× where the real command was 1.78× (issue 16). So each run
here starts a tmux server of its own (``tmux -L``) with one 80×24 pane running the command,
and polls ``capture-pane`` every few milliseconds for text only the drawn login screen
shows (the bare app: its own marker). The clock starts when the command is spawned: a tiny
wrapper process notes the time (``CLOCK_MONOTONIC``, shared by all processes) and the
child's pid, then waits for the child and writes its peak RSS (``RUSAGE_CHILDREN``). Once
the screen is drawn the child gets SIGTERM, so both are measured alike. Runs alternate
till / bare app, in an ``o2pos init --demo`` directory; figures are medians.

``run()`` returns this script's lines of the project's one table (``benchmarks/all.py``).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, init_demo, table

import o2pos

# what only the drawn login screen shows (o2pos/tui/screens/login.py)
TILL_MARKER = "Sign in to the till"
BARE_MARKER = "bare app drawn"

# the bare app: the widget types of the till's screens, no CSS, no o2pos
BARE = f"""
from textual.app import App
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Static

class Bare(App):
    def compose(self):
        yield Static("status")
        with Vertical():
            yield Static({BARE_MARKER!r})
            yield Input(placeholder="user")
            yield Input(placeholder="pin", password=True)
            with Horizontal():
                yield Static("x")
        yield DataTable()
        yield Footer()

Bare().run()
"""

# Spawns the command, notes when (CLOCK_MONOTONIC is one clock for every process) and its
# pid, waits for it and writes its peak RSS in KiB. It imports only the standard library
# and runs before the clock starts.
WRAPPER = """
import resource, subprocess, sys, time
out = sys.argv[1]
started = time.monotonic()
child = subprocess.Popen(sys.argv[2:])
with open(out + ".pid", "w") as f:
    f.write(f"{child.pid} {started!r}")
child.wait()
with open(out + ".tmp", "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
import os; os.replace(out + ".tmp", out)
"""

POLL = 0.005  # seconds between looks at the pane
TIMEOUT = 60.0


@dataclass(frozen=True)
class Sample:
    seconds: float  # the command spawned → its screen drawn
    rss_kib: int  # peak RSS of the command's process
    # CPU time its threads had run when the screen was seen drawn: on a busy machine, less
    # noisy than the clock (which also counts waiting for a CPU); 0 where Linux cannot say
    cpu_seconds: float = 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time the threads of ``pid`` have run, from Linux's scheduler statistics."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def o2pos_command() -> list[str]:
    """The venv's console script, as a user types ``o2pos run``."""
    script = Path(sys.executable).parent / "o2pos"
    if not script.exists():
        raise RuntimeError(f"no console script at {script} (pip install -e . makes it)")
    return [str(script), "run"]


def bare_command(directory: Path) -> list[str]:
    path = directory / "bare_app.py"
    if not path.exists():
        path.write_text(BARE, "utf-8")
    return [sys.executable, str(path)]


def measure(command: list[str], marker: str, cwd: Path) -> Sample:
    """``command`` started in an 80×24 tmux pane: seconds until ``marker`` is on the
    screen, and the process's peak RSS once it has been stopped there."""
    if not shutil.which("tmux"):
        raise RuntimeError("tmux is not installed (./scripts/test installs it)")
    name = f"o2pos-startup-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    out = cwd / f"{name}.rss"
    pid_file = Path(f"{out}.pid")
    wrapped = [sys.executable, "-I", "-S", "-c", WRAPPER, str(out), *command]
    tmux = ["tmux", "-L", name, "-f", "/dev/null"]
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "COLUMNS", "LINES")}
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "80", "-y", "24", shlex.join(wrapped)],
        cwd=cwd,
        env=env,
        check=True,
    )
    socket_path = ""
    try:
        socket_path = subprocess.run(
            [*tmux, "display", "-p", "#{socket_path}"], capture_output=True, text=True
        ).stdout.strip()
        deadline = time.monotonic() + TIMEOUT
        screen = ""
        while True:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
            now = time.monotonic()
            if marker in screen:
                break
            if now > deadline or out.exists():
                raise RuntimeError(f"{marker!r} never appeared; the screen:\n{screen}")
            time.sleep(POLL)
        pid_text, started_text = pid_file.read_text().split()
        seconds = now - float(started_text)
        cpu = cpu_seconds(int(pid_text))
        os.kill(int(pid_text), signal.SIGTERM)
        while not out.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not stop on SIGTERM")
            time.sleep(0.01)
        return Sample(seconds, int(out.read_text()), cpu)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        if socket_path.endswith(name):
            Path(socket_path).unlink(missing_ok=True)
        for path in (out, pid_file):
            path.unlink(missing_ok=True)


def till(cwd: Path) -> Sample:
    """``o2pos run`` in ``cwd`` (a till's directory) to its login screen."""
    return measure(o2pos_command(), TILL_MARKER, cwd)


def compile_o2pos() -> None:
    """pip compiles an installed package's bytecode, as Textual's was; an editable checkout
    under PYTHONDONTWRITEBYTECODE=1 would compile o2pos from source on every start (about
    110 ms here) and measure the checkout instead of the till."""
    compileall.compile_dir(Path(o2pos.__file__).parent, quiet=1)


@dataclass
class StartupResults:
    """Per run, the till's and the bare app's start-up."""

    till: list[Sample]
    bare: list[Sample]

    def medians(self) -> tuple[float, float, float, float]:
        """Till time, bare time, till RSS, bare RSS (KiB)."""
        return (
            statistics.median(s.seconds for s in self.till),
            statistics.median(s.seconds for s in self.bare),
            statistics.median(s.rss_kib for s in self.till),
            statistics.median(s.rss_kib for s in self.bare),
        )


def measure_runs(runs: int) -> StartupResults:
    """``runs`` starts of each, alternating, in an ``o2pos init --demo`` directory."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        init_demo(cwd)
        compile_o2pos()
        bare = bare_command(cwd)
        # one of each first, not counted: the files they read are then in the page cache
        till(cwd), measure(bare, BARE_MARKER, cwd)
        results = StartupResults([], [])
        for _ in range(runs):  # alternating, so load on the machine hits both alike
            results.till.append(till(cwd))
            results.bare.append(measure(bare, BARE_MARKER, cwd))
    return results


def detail(r: StartupResults) -> str:
    till_t, base_t, till_m, base_m = r.medians()
    rows = [
        ("o2pos run → login drawn", f"{till_t * 1000:.0f} ms", f"{till_m / 1024:.1f} MiB"),
        ("bare Textual app, same widgets", f"{base_t * 1000:.0f} ms", f"{base_m / 1024:.1f} MiB"),
        ("ratio (target ≤ 1.3×)", f"{till_t / base_t:.2f}×", f"{till_m / base_m:.2f}×"),
    ]
    header = ("real command, tmux 80×24", "start-up (median)", "peak RSS (median)")
    runs = " ".join(
        f"{a.seconds * 1000:.0f}/{b.seconds * 1000:.0f}"
        for a, b in zip(r.till, r.bare, strict=True)
    )
    pairs = sorted(a.seconds / b.seconds for a, b in zip(r.till, r.bare, strict=True))
    spread = (
        f"till/bare of each pair: median {statistics.median(pairs):.2f}×, "
        f"from {pairs[0]:.2f}× to {pairs[-1]:.2f}× (the spread is the machine's noise)"
    )
    till_cpu = statistics.median(s.cpu_seconds for s in r.till)
    bare_cpu = statistics.median(s.cpu_seconds for s in r.bare)
    cpu = (
        f"CPU time to the screen drawn (median): {till_cpu * 1000:.0f} ms vs "
        f"{bare_cpu * 1000:.0f} ms, {till_cpu / bare_cpu:.2f}×"
        if bare_cpu
        else ""
    )
    return f"{table(rows, header)}\n\neach run, till/bare (ms): {runs}\n{spread}\n{cpu}"


def rows(r: StartupResults) -> list[Row]:
    """The lines of the project's table (``all.py``): issue 16's ≤ 1.3× checked."""
    till_t, base_t, till_m, base_m = r.medians()
    runs = len(r.till)
    return [
        Row(
            "startup",
            f"cold start, o2pos run → login ready: the real command in tmux 80×24 "
            f"(median of {runs})",
            f"{till_t * 1000:.0f} ms: **{till_t / base_t:.2f}×**",
            f"bare Textual app, same widgets, same way: {base_t * 1000:.0f} ms",
            "≤ 1.3×",
            till_t / base_t <= 1.3,
        ),
        Row(
            "startup",
            f"peak RSS, o2pos run in tmux to login drawn (median of {runs})",
            f"{till_m / 1024:.1f} MiB: **{till_m / base_m:.2f}×**",
            f"bare Textual app: {base_m / 1024:.1f} MiB",
            "≤ 1.3×",
            till_m / base_m <= 1.3,
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
