"""The worst requests a holder of a valid token can send: peak memory and time of the central.

    python benchmarks/hostile.py [--mib 16]

Each body is built to be as expensive as possible at ``--mib`` MiB (the central's limit is
16): nesting 940 levels deep under 17,000-character keys (what took the central to 7.3 GB
before ``limits.py``), nesting as deep as the bytes allow, one object with as many keys as
the limits let through, arrays of short values (``0``, ``1000``, ``{}``, short strings) as
long as they let through, and batches of 500 hash-correct events within the limits, which
are stored: short strings, or long texts.
Each is sent to a fresh ``o2pos central serve`` (a subprocess, SQLite) so that its peak
resident memory (VmHWM, from ``/proc``) is that request's alone; after it, ``/v1/health``
must still answer. Target (issue 12): peak ≤ 200 MB for a 16 MB body.

``run()`` returns this script's lines of the project's one table (``benchmarks/all.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, free_port, healthy, serving, table

from o2pos.central.limits import MAX_VALUES
from o2pos.core.journal import GENESIS_HASH, compute_hash

MiB = 1024 * 1024
TARGET_MB = 200
TERMINAL = "H1"


@dataclass
class Result:
    name: str
    size: int
    status: int
    seconds: float
    idle_mb: float
    peak_mb: float
    alive: bool


# --- the central ----------------------------------------------------------------------------
def o2pos(*args: str) -> list[str]:
    return [sys.executable, "-m", "o2pos", *args]


@contextmanager
def central(directory: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """A fresh ``o2pos central serve`` on 127.0.0.1; yields (process, URL, H1's token)."""
    db = str(directory / "central.db")
    token = subprocess.run(
        o2pos("central", "add-terminal", TERMINAL, "--db", db),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[0]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = o2pos("central", "serve", "--port", str(port), "--db", db)
    with serving(command, url, directory / "serve.log") as proc:
        yield proc, url, token


def peak_mb(pid: int) -> float:
    """The process's peak resident set since it started (VmHWM), in MB (10⁶ bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmHWM in /proc: Linux only")


# --- the bodies -----------------------------------------------------------------------------
def event(seq: int, payload: Any, prev: str = GENESIS_HASH) -> dict[str, Any]:
    fields = {
        "seq": seq,
        "event_id": str(uuid.uuid4()),
        "terminal_id": TERMINAL,
        "event_type": "drawer.opened",
        "created_at": "2026-11-20T06:00:00.000000Z",
        "employee_id": "cashier",
        "approved_by": None,
        "payload": payload,
        "prev_hash": prev,
    }
    return {**fields, "hash": compute_hash(**fields)}


def envelope(payload_json: bytes) -> bytes:
    """One event whose payload is ``payload_json`` as given (the hash is not checked first)."""
    head = json.dumps({"terminal_id": TERMINAL, "events": [event(1, {"x": 0})]})
    return head.replace('{"x": 0}', "\x00").encode().replace(b"\x00", payload_json)


def fill(size: int, unit: bytes, head: bytes = b'{"x":[', tail: bytes = b"]}") -> bytes:
    """A payload of ``unit`` repeated (comma-separated) to about ``size`` bytes, or as many as
    the central's value limit lets through to its parser."""
    count = min((size - len(head) - len(tail)) // (len(unit) + 1), MAX_VALUES - 100)
    return head + b",".join([unit] * count) + tail


def deep_long_keys(size: int) -> bytes:
    levels = 940
    key = b"k" * ((size - 600) // levels - 6)
    return envelope((b'{"' + key + b'":') * levels + b"0" + b"}" * levels)


def deepest(size: int) -> bytes:
    """Refused before parsing: what the depth check costs on a whole 16 MiB."""
    half = (size - 600) // 2
    return envelope(b"[" * half + b"]" * half)


def wide_object(size: int) -> bytes:
    count = min((size - 600) // 14, MAX_VALUES - 100)
    return envelope(b"{" + b",".join(b'"k%08d":0' % i for i in range(count)) + b"}")


def many_events(size: int) -> bytes:
    """500 hash-correct events of short unique strings, just within the central's limits."""
    per_event = min(size // 500 // 21, MAX_VALUES // 500 - 30)  # just under MAX_VALUES
    events, prev = [], GENESIS_HASH
    for seq in range(1, 501):
        words = [f"{seq:03d}{i:05d}wwwwwwww" for i in range(per_event)]
        events.append(event(seq, {"reason": "no sale", "words": words}, prev))
        prev = events[-1]["hash"]
    body = {"terminal_id": TERMINAL, "events": events}
    return json.dumps(body, separators=(",", ":")).encode()


def long_texts(size: int) -> bytes:
    """500 hash-correct events, each one long text: the most bytes a batch can store."""
    text = "t" * (size // 500 - 400)
    events, prev = [], GENESIS_HASH
    for seq in range(1, 501):
        events.append(event(seq, {"reason": text}, prev))
        prev = events[-1]["hash"]
    body = {"terminal_id": TERMINAL, "events": events}
    return json.dumps(body, separators=(",", ":")).encode()


BODIES: dict[str, Callable[[int], bytes]] = {
    "940 levels, 17,000-character keys": deep_long_keys,
    "nested as deep as the bytes allow": deepest,
    "one object, as many keys as the limits let through": wide_object,
    "array of 0": lambda size: envelope(fill(size, b"0")),
    "array of 1000": lambda size: envelope(fill(size, b"1000")),
    "array of {}": lambda size: envelope(fill(size, b"{}")),
    "array of 12-character strings": lambda size: envelope(fill(size, b'"abcdefghijkl"')),
    "500 hash-correct events of short strings, stored": many_events,
    "500 hash-correct events of 33 KB text, stored": long_texts,
}


def measure(mib: float) -> list[Result]:
    size = int(mib * MiB) - 4096  # headroom for the envelope: each body is within the limit
    results = []
    for name, build in BODIES.items():
        body = build(size)
        with (
            tempfile.TemporaryDirectory(prefix="o2pos-bench-hostile-") as tmp,
            central(Path(tmp)) as (proc, url, token),
        ):
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            idle = peak_mb(proc.pid)
            started = time.perf_counter()
            try:
                status = httpx.post(
                    f"{url}/v1/journal", content=body, headers=headers, timeout=600
                ).status_code
            except httpx.HTTPError:
                status = 0
            seconds = time.perf_counter() - started
            alive = healthy(url)
            results.append(Result(name, len(body), status, seconds, idle, peak_mb(proc.pid), alive))
    return results


def rows(results: list[Result]) -> list[Row]:
    """This script's lines of the project's table: one per body, the worst first."""
    out = []
    for r in sorted(results, key=lambda r: -r.peak_mb):
        answer = f"{r.status}" if r.status else "no answer"
        out.append(
            Row(
                "hostile",
                f"{r.name}, {r.size / MiB:.1f} MiB → {answer}",
                f"peak RSS **{r.peak_mb:.0f} MB**, {r.seconds * 1000:,.0f} ms"
                + ("" if r.alive else "; central no longer answers"),
                f"idle central: {r.idle_mb:.0f} MB",
                f"≤ {TARGET_MB} MB",
                r.alive and r.peak_mb <= TARGET_MB,
            )
        )
    return out


def run(mib: float = 16) -> list[Row]:
    return rows(measure(mib))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=float, default=16, help="body size (the limit is 16)")
    results = measure(parser.parse_args().mib)
    print(
        table(
            [
                (
                    r.name,
                    f"{r.size:,}",
                    str(r.status or "no answer"),
                    f"{r.seconds * 1000:,.0f}",
                    f"{r.idle_mb:.0f}",
                    f"{r.peak_mb:.0f}",
                    "yes" if r.alive else "NO",
                )
                for r in results
            ],
            ("body", "bytes", "status", "ms", "idle MB", "peak MB", "alive after"),
        )
    )


if __name__ == "__main__":
    main()
