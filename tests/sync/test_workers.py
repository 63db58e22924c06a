"""Several central workers (``serve --workers 2`` on PostgreSQL, as the session's central
runs there): a till's retries that land on different workers at once are stored once.

On SQLite the central is one worker (``--workers`` above 1 is refused, see
``tests/cli/test_central_serve.py``): the same concurrent retries must hold there as well.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from o2pos.core import syncstate
from o2pos.core.simulate import simulate
from tests.sync.conftest import Central, Till, free_port, o2pos_cmd, stop, wait_until_up

SENDERS = 6


def _send_at_once(url: str, token: str, body: dict[str, Any]) -> list[tuple[int, str | None, Any]]:
    """``SENDERS`` connections post the same batch, released together by a barrier."""
    barrier = threading.Barrier(SENDERS)
    answers: list[tuple[int, str | None, Any]] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            barrier.wait()
            answer = client.post(
                "/v1/journal", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        with lock:
            answers.append(
                (answer.status_code, answer.headers.get("x-o2pos-worker"), answer.json())
            )

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_the_same_batches_sent_at_once_over_many_connections_are_stored_once(
    till: Till, central: Central
) -> None:
    sold = simulate(till.ctx, 12, seed=5)
    events = syncstate.pending_events(till.ctx, 500)
    last = events[-1]["seq"]
    workers_seen: set[str | None] = set()
    # in batches of 10, each sent six times at once: a till's retries after timeouts
    for start in range(0, len(events), 10):
        batch = events[start : start + 10]
        answers = _send_at_once(
            central.url, till.token, {"terminal_id": till.name, "events": batch}
        )
        assert [status for status, _, _ in answers] == [200] * SENDERS, answers
        assert {body["acked_seq"] for _, _, body in answers} == {batch[-1]["seq"]}
        workers_seen |= {worker for _, worker, _ in answers}
    if central.backend == "postgres":
        # the kernel hands each connection to whichever worker accepts first: resend the
        # last batch (acknowledged again, stored no more) until both have answered
        for _ in range(100):
            if len(workers_seen) > 1:
                break
            answers = _send_at_once(
                central.url, till.token, {"terminal_id": till.name, "events": events[-10:]}
            )
            assert {body["acked_seq"] for _, _, body in answers} == {last}
            workers_seen |= {worker for _, worker, _ in answers}
    stored = central.events(till.name)
    assert [seq for seq, _, _ in stored] == list(range(1, last + 1))
    assert [h for _, h, _ in stored] == [event["hash"] for event in events]
    stats = central.stats(till.name)
    assert stats["sales_count"] == sold.sales
    assert stats["sales_total"] == sold.total
    if central.backend == "postgres":
        assert workers_seen == {"0", "1"}, workers_seen
    else:
        assert workers_seen == {None}


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in text.split()}


def test_workers_on_this_backend(central: Central, tmp_path: Path) -> None:
    """PostgreSQL: a worker killed outright is started again while the other answers, and
    SIGTERM stops them all. SQLite: more than one worker is refused, saying why."""
    port = free_port()
    command = o2pos_cmd(
        "central", "serve", "--port", str(port), "--db", central.db_url, "--workers", "2"
    )
    if central.backend != "postgres":
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1
        assert "--workers 2 needs a PostgreSQL central" in done.stderr
        return
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc)
        first = _children(proc.pid)
        assert len(first) == 2
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # the parent starts another in its place; meanwhile the survivor answers
        for _ in range(600):
            now = _children(proc.pid)
            if len(now) == 2 and victim not in now:
                break
            assert httpx.get(f"{url}/v1/health", timeout=10).status_code == 200
            time.sleep(0.05)
        assert len(now) == 2 and victim not in now, now
        wait_until_up(url, proc)
        answered = {
            httpx.get(f"{url}/v1/health", timeout=10).headers["x-o2pos-worker"] for _ in range(5)
        }
        assert answered <= {"0", "1"}
    finally:
        children = _children(proc.pid) if proc.poll() is None else set()
        stop(proc)
    assert proc.returncode == 0, log.read_text()
    for child in children:  # none is left behind
        assert (
            not Path(f"/proc/{child}").exists()
            or "zombie" in Path(f"/proc/{child}/status").read_text()
        )
    assert "worker 0 exited" in log.read_text() or "worker 1 exited" in log.read_text()
