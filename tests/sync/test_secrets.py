"""A token pasted with a space: the till syncs, and no message shows the token (issue 12, 7)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from o2pos.core import simulate as sim
from o2pos.sync.client import CentralClient
from o2pos.sync.engine import SyncEngine
from tests.conftest import build_store
from tests.sync.conftest import Central, o2pos_cmd


def test_a_token_pasted_with_a_trailing_space_still_syncs(tmp_path: Path, central: Central) -> None:
    name, token = central.register()
    store = build_store(tmp_path, terminal_id=name)
    sim.simulate(store.ctx, 3, seed=1)
    store.ctx.db.close()
    config = tmp_path / "o2pos.toml"
    config.write_text(
        f'[terminal]\nid = "{name}"\ndata_dir = "{tmp_path}"\n'
        f'[central]\nurl = "{central.url}"\ntoken = "{token} "\nkey = "{central.key_of(name)}"\n',
        encoding="utf-8",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            o2pos_cmd(*args, "--config", str(config)), capture_output=True, text=True, check=False
        )

    pushed = run("sync", "push", "--retries", "0")
    assert pushed.returncode == 0, pushed.stderr
    status = json.loads(run("sync", "status", "--json").stdout)
    assert status["pending"] == 0 and status["state"] == "ok"
    assert central.stats(name)["high_water_seq"] == status["last_seq"]


def test_an_illegal_token_never_reaches_the_status_row(tmp_path: Path, central: Central) -> None:
    """A client given the token as it was (not through the config) fails in httpx, whose
    message quotes the header: what the till stores and shows is redacted."""
    name, token = central.register()
    store = build_store(tmp_path, terminal_id=name)
    sim.simulate(store.ctx, 1, seed=2)
    engine = SyncEngine(
        store.ctx, CentralClient(central.url, token + " "), lock_path=tmp_path / "sync.lock"
    )
    outcome = engine.run_once(pull=False)
    assert not outcome.ok
    secret = token.split("_", 2)[2]
    config = tmp_path / "o2pos.toml"
    config.write_text(f'[terminal]\nid = "{name}"\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    shown = subprocess.run(
        o2pos_cmd("sync", "status", "--json", "--config", str(config)),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert secret not in shown
    assert "Illegal header value b'Bearer ***" in json.loads(shown)["last_error"]
