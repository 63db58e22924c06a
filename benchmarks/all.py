"""Every benchmark of the project, one table: the one command the README names.

    python benchmarks/all.py [--quick] [--write] [--pg URL] [--products N] [--idle S] ...

Runs, each in a process of its own (one that fails or hangs costs only its own rows, which
then say ``failed: why``): start-up time and peak RSS beside a minimal Textual app
(``startup.py``), scan-to-render on a big catalog (``tui.py``), barcode and stock lookup, name
search and a sale's commit beside the raw-sqlite3 floor (``core.py``), flush beside the plain-httpx
floor and central ingest (``sync.py``; on PostgreSQL only with ``--pg``, never by
default: it drops the central's tables in that database), another till's order and a
gift voucher looked up at a local central (``orders.py``), a store's day of sales and a
terminal's stats at a central of ten million events beside a small one
(``central_reports.py``; its generated central is kept between runs, and on PostgreSQL
only with ``--pg``, in a schema of its own), the central's peak memory on the
worst bodies a token holder can send (``hostile.py``), idle CPU (``tui.py``) and the
bytes an SSH session carries, idle and per sale (``ssh.py``; on the wire too where an
OpenSSH server can be used). The sizes are each script's documented defaults (100,000
products, …); ``--quick`` shrinks them to keep the command working in the test suite, not
to give figures.

It prints one table; ``--write`` also puts it, with the machine it ran on, between the
``<!-- all.py:begin -->`` and ``<!-- all.py:end -->`` markers of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, dump_rows, load_rows, machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- all.py:begin -->", "<!-- all.py:end -->"
PG_SKIPPED = "skipped (no --pg)"

# option: (each script's documented default, --quick)
SIZES: dict[str, tuple[float, float]] = {
    "products": (100_000, 1_000),  # core.py and tui.py's catalog
    "sales": (300, 5),  # core.py: checkouts timed
    "simulate": (200, 5),  # core.py: whole sales through o2pos.core.simulate
    "runs": (7, 2),  # startup.py: cold starts of each
    "scans": (100, 5),  # tui.py
    "idle": (60, 3),  # tui.py's idle CPU and ssh.py's idle bytes, seconds
    "ssh_sales": (10, 1),  # ssh.py: cash sales typed into the till
    "events": (10_000, 60),  # sync.py: events flushed
    "batch": (200, 20),  # sync.py
    "terminals": (20, 2),  # sync.py: terminals pushing at once
    "per_terminal": (500, 30),  # sync.py: events each
    "mib": (16, 1),  # hostile.py: size of each hostile body
    "orders": (2000, 20),  # orders.py: open orders at the central
    "lookups": (300, 5),  # orders.py: lookups of each kind
    "carts": (10, 1),  # offers.py: 50-line carts scanned, offers evaluated after each scan
    "shift_sales": (1000, 4),  # shift.py: cash sales through the screens
    "history_events": (1_000_000, 1_500),  # history.py: journal events of the old till
    "report_events": (10_000_000, 2_000),  # central_reports.py: events at the big central
    "report_runs": (20, 3),  # central_reports.py: reports timed on each central
}

# the order of the table: the issue's, then what else the scripts measure
AREAS = [
    "startup",
    "scan",
    "lookup",
    "stock lookup",
    "search",
    "sale commit",
    "catalog import",
    "simulate",
    "flush",
    "ingest",
    "store lookup",
    "central reports",
    "hostile",
    "idle CPU",
    "shift",
    "long history",
    "SSH idle",
    "SSH per sale",
    "offers",
]


@dataclass(frozen=True)
class Part:
    """A benchmark run in a child process, and the rows it stands for if it fails."""

    name: str
    title: str
    rows: tuple[tuple[str, str], ...]  # (area, measure) of each row it reports


PARTS = [
    Part(
        "startup",
        "startup.py: cold start and peak RSS",
        (("startup", "cold start, o2pos run → login ready"), ("startup", "peak RSS")),
    ),
    Part("scan", "tui.py: scan → rendered", (("scan", "scan → cart line rendered"),)),
    Part(
        "core",
        "core.py: lookup, stock lookup, search, sale commit",
        (
            ("lookup", "barcode lookup"),
            ("stock lookup", "stock lookup, scan → on hand here"),
            ("search", "FTS name search"),
            ("sale commit", "5-line cash sale, checkout"),
            ("catalog import", "catalog import"),
            ("simulate", "whole sales through the core"),
        ),
    ),
    Part(
        "sync",
        "sync.py: flush and ingest (SQLite)",
        (("flush", "SyncEngine.flush() → central (SQLite)"), ("ingest", "central on SQLite")),
    ),
    Part(
        "pg",
        "sync.py: ingest (PostgreSQL, 1 and 2 workers)",
        (
            ("ingest", "central on PostgreSQL, 1 worker"),
            ("ingest", "central on PostgreSQL, 2 workers"),
        ),
    ),
    Part(
        "orders",
        "orders.py: another till's order and a voucher, looked up at the central",
        (
            ("store lookup", "another till's order by number (F3)"),
            ("store lookup", "a gift voucher by code (payment dialog)"),
            ("store lookup", "F3's list of the store's open bills"),
            ("store lookup", "F3's search of open bills by customer name"),
        ),
    ),
    Part(
        "reports",
        "central_reports.py: a store's day and a till's stats, ten million events (SQLite)",
        (
            ("central reports", "a store's day of sales (report sales), SQLite"),
            ("central reports", "one terminal's stats (stats --terminal), SQLite"),
            ("central reports", "every terminal's stats, SQLite"),
        ),
    ),
    Part(
        "reports_pg",
        "central_reports.py: the same on PostgreSQL",
        (
            ("central reports", "a store's day of sales (report sales), PostgreSQL"),
            ("central reports", "one terminal's stats (stats --terminal), PostgreSQL"),
            ("central reports", "every terminal's stats, PostgreSQL"),
        ),
    ),
    Part(
        "hostile",
        "hostile.py: the worst bodies, peak memory of the central",
        (("hostile", "worst bodies a token holder can send"),),
    ),
    Part("idle", "tui.py: idle CPU", (("idle CPU", "logged-in till in tmux"),)),
    Part(
        "history",
        "history.py: a till of a million events beside a new one",
        (
            ("long history", "start-up, till → login ready"),
            ("long history", "pending count (status bar)"),
            ("long history", "sale commit, 5-line cash sale"),
            ("long history", "report x, the open session"),
            ("long history", "journal verify, incremental (1 new sale)"),
            ("long history", "journal verify --full"),
        ),
    ),
    Part(
        "shift",
        "shift.py: an open till's memory over a long shift",
        (("shift", "peak RSS of an open till after"),),
    ),
    Part(
        "ssh",
        "ssh.py: bytes to the terminal, idle and per sale",
        (
            ("SSH idle", "bytes to the terminal, logged-in till left alone"),
            ("SSH per sale", "bytes to the terminal per cash sale"),
            ("SSH idle", "on the wire, sshd → ssh"),
            ("SSH per sale", "on the wire per cash sale, sshd → ssh"),
        ),
    ),
    Part(
        "offers",
        "offers.py: 200 active offers and a price list, after each scan",
        (("offers", "200 active offers and a 2,000-product customer price list"),),
    ),
]


def run_part(name: str, args: argparse.Namespace) -> list[Row]:
    """One part, in this (child) process: the script's own function at the given sizes."""
    if name == "startup":
        import startup

        return startup.run(int(args.runs))
    if name == "scan":
        import tui

        return tui.run_scan(int(args.products), int(args.scans))
    if name == "core":
        import core

        return core.run(int(args.products), int(args.sales), int(args.simulate))
    if name == "sync":
        import sync

        results = sync.measure(
            int(args.events), int(args.batch), int(args.terminals), int(args.per_terminal)
        )
        return sync.rows(results, pg_note=None)  # PostgreSQL is a part of its own
    if name == "pg":
        import sync

        return sync.run_pg(int(args.batch), int(args.terminals), int(args.per_terminal), args.pg)
    if name == "orders":
        import orders

        return orders.run(int(args.orders), int(args.lookups))
    if name in ("reports", "reports_pg"):
        import central_reports

        events = int(args.report_events)
        baseline = min(10_000, max(1_000, events // 10))
        pg = args.pg if name == "reports_pg" else ""
        return central_reports.run(events, baseline, int(args.report_runs), pg)
    if name == "hostile":
        import hostile

        return hostile.run(float(args.mib))
    if name == "idle":
        import tui

        return tui.run_idle(float(args.idle))
    if name == "history":
        import history

        quick = args.history_events < 10_000
        return history.run(
            int(args.history_events),
            100 if quick else 1000,
            3 if quick else 100,
            1 if quick else 5,
        )
    if name == "shift":
        import shift

        return shift.run(int(args.shift_sales))
    if name == "ssh":
        import ssh

        local, wire, why_not = ssh.measure(
            float(args.idle), int(args.ssh_sales), not args.no_ssh, "not measured (--no-ssh)"
        )
        return ssh.rows(local, wire, why_not)
    if name == "offers":
        import offers

        return offers.run(int(args.products), 200, int(args.carts))
    raise ValueError(f"no part {name!r}")


def size_args(args: argparse.Namespace) -> list[str]:
    out = []
    for name in SIZES:
        out += [f"--{name.replace('_', '-')}", f"{getattr(args, name):g}"]
    if args.pg:
        out += ["--pg", args.pg]
    if args.no_ssh:
        out.append("--no-ssh")
    return out


EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def last_words(text: str) -> str:
    """The line of a child's output that says why it failed: the traceback's exception line
    (a message may go on for lines, a screen dump for one), else the last line."""
    lines = [line for line in text.splitlines() if line.strip()]
    said = [line for line in lines if EXCEPTION.match(line)]
    return (said or lines or ["no output"])[-1].strip()[:200]


def child(part: Part, args: argparse.Namespace, timeout: float) -> list[Row]:
    """Run ``part`` in a child process; its rows, or one "failed" row per row it stands for."""
    with tempfile.TemporaryDirectory(prefix="o2pos-all-") as tmp:
        out = Path(tmp) / "rows.json"
        command = [sys.executable, __file__, "--part", part.name, "--out", str(out)]
        env = {k: v for k, v in os.environ.items() if k != "O2POS_CONFIG"}  # demo tills only
        proc = subprocess.Popen(
            [*command, *size_args(args)],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            reason = f"failed: no result in {timeout:.0f} s"
        except BaseException:  # this process told to stop: the child must not outlive it
            stop(proc)
            raise
        else:
            if proc.returncode == 0 and out.exists():
                return load_rows(out)
            reason = f"failed: {last_words(output)}"
    return [Row(area, measure, reason) for area, measure in part.rows]


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM first: the child unwinds, and its tmux, sshd and centrals go with it."""
    proc.terminate()
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def markdown(rows: list[Row]) -> str:
    """The table as Markdown, its columns padded so that it reads in a terminal too."""
    header = ("area", "measure", "result", "beside it (floor / baseline)", "target", "met")
    cells: list[tuple[str, ...]] = [header]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        values = (r.area, r.measure, r.result, r.beside, r.target, met)
        cells.append(tuple(value.replace("|", "\\|") for value in values))
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        padded = (v.ljust(w) for v, w in zip(values, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(c) for c in cells[1:])])


def took(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def report(rows: list[Row], args: argparse.Namespace, seconds: float) -> str:
    """The machine, the sizes and the table: what --write puts in docs/benchmarks.md."""
    facts = machine()
    where = ", ".join(f"{k} {v}" if k != "CPU" else v for k, v in facts.items() if k != "date")
    sizes = ", ".join(f"{name.replace('_', '-')} {getattr(args, name):g}" for name in SIZES)
    lines = [
        f"Measured {facts['date']} by `.venv/bin/python benchmarks/all.py` in "
        f"{took(seconds)}, on: {where}.",
        "",
        f"Sizes: {sizes}.",
        "",
    ]
    if args.quick:
        lines[0:0] = ["**A `--quick` run: sizes far too small for these figures to mean much.**"]
        lines.insert(1, "")
    return "\n".join([*lines, markdown(rows)])


def write_doc(path: Path, text: str) -> None:
    """Replace what lies between the markers, keeping the rest of the page as it is."""
    doc = path.read_text(encoding="utf-8")
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has no {BEGIN} … {END} section to replace")
    note = "<!-- written by benchmarks/all.py --write: edits between the markers are lost -->"
    section = f"{BEGIN}\n{note}\n\n{text}\n\n"
    path.write_text(doc[:start] + section + doc[end:], encoding="utf-8")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: the command works")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page --write updates")
    parser.add_argument(
        "--pg",
        default="",
        help="PostgreSQL URL for the ingest row; the central's tables in it are DROPPED",
    )
    parser.add_argument("--no-ssh", action="store_true", help="do not start sshd for the wire rows")
    parser.add_argument("--timeout", type=float, help="seconds per part (default 3600; 300)")
    for name, (full, _) in SIZES.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, help=f"default {full:g}")
    parser.add_argument("--part", help=argparse.SUPPRESS)  # in a child: run this part only
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.timeout is None:
        args.timeout = 300 if args.quick else 3600
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    # a plain `kill` still stops the tmux servers, sshd and centrals: unwind on SIGTERM
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.part:
        dump_rows(run_part(args.part, args), args.out)
        return
    started = time.monotonic()
    rows: list[Row] = []
    for n, part in enumerate(PARTS, 1):
        if part.name in ("pg", "reports_pg") and not args.pg:
            if part.name == "pg":
                per = f"{args.terminals:g} terminals × {args.per_terminal:g} events at once"
                rows.append(Row("ingest", f"{per}, central on PostgreSQL", PG_SKIPPED))
            else:
                rows += [Row(area, measure, PG_SKIPPED) for area, measure in part.rows]
            print(f"[{n}/{len(PARTS)}] {part.title}: {PG_SKIPPED}", file=sys.stderr)
            continue
        print(f"[{n}/{len(PARTS)}] {part.title} …", file=sys.stderr, flush=True)
        part_started = time.monotonic()
        got = child(part, args, args.timeout)
        failed = sum(row.result.startswith("failed") for row in got)
        spent = took(time.monotonic() - part_started)
        print(f"      {spent}" + (f", {failed} failed" if failed else ""), file=sys.stderr)
        rows += got
    rows.sort(key=lambda row: AREAS.index(row.area) if row.area in AREAS else len(AREAS))
    text = report(rows, args, time.monotonic() - started)
    print(text)
    if args.write:
        write_doc(args.doc, text)
        print(f"\nwritten to {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
