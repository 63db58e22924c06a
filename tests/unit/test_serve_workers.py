"""``serve_workers``: the parent of ``o2pos central serve --workers N`` (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PARENT = """
import os, signal, socket, sys, time
from o2pos.central import serving

marker = sys.argv[1]

def run_one(index):
    if index == 0 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)  # dies at once: the parent starts it again after its pause
    signal.pause()  # a worker serving until it is told to stop

def stop_during_the_pause(seconds):
    os.kill(os.getpid(), signal.SIGTERM)  # the operator's stop, while the parent waits

time.sleep = stop_during_the_pause
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen()
print("exit", serving.serve_workers(sock, 2, run_one), flush=True)
"""


def test_a_stop_during_a_restart_pause_starts_no_worker_and_the_parent_returns(
    tmp_path: Path,
) -> None:
    """Worker 0 dies at once; the stop comes while the parent pauses before starting it
    again. Before, the parent started it anyway, signalled only the workers it had, and
    waited for ever on the new one (the hang is caught by the timeout, never reached when
    the parent does what it should)."""
    done = subprocess.run(
        [sys.executable, "-c", PARENT, str(tmp_path / "died-once")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exit 0"
