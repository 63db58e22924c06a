"""Several tills of one store, each with its own database and terminal id, one central."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.sync.conftest import Central, o2pos_cmd
from tests.sync.test_crashes import write_config


def run(config: Path, *args: str) -> str:
    done = subprocess.run(
        o2pos_cmd(*args, "-c", str(config)), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_three_tills_sync_to_one_central_and_each_adds_up(tmp_path: Path, central: Central) -> None:
    tills = []
    for index in range(3):
        name, token = central.register()
        directory = tmp_path / name
        directory.mkdir()
        config = write_config(directory, name, central.url, token, central.key_of(name))
        run(config, "init", "--demo")
        run(config, "simulate", "--sales", str(10 + 5 * index), "--seed", str(index))
        tills.append((name, config))
    # the three push at the same time, as three shop counters would
    pushes = [
        subprocess.Popen(o2pos_cmd("sync", "push", "-c", str(config)), stdout=subprocess.PIPE)
        for _, config in tills
    ]
    assert [p.wait(timeout=120) for p in pushes] == [0, 0, 0]
    numbers = set()
    for index, (name, config) in enumerate(tills):
        status = json.loads(run(config, "sync", "status", "--json"))
        report = json.loads(run(config, "report", "x", "--json"))
        stats = central.stats(name)
        assert status["pending"] == 0
        assert stats["events"] == stats["high_water_seq"] == status["last_seq"]
        assert stats["sales_count"] == report["sales_count"] == 10 + 5 * index
        assert stats["sales_total"] == report["sales_total"]
        central.bind()
        from o2pos.central.models import Sale

        numbers |= {s.number for s in Sale.select().where(Sale.terminal == name)}
    # bill numbers carry the terminal id: no two tills ever issue the same number
    assert len(numbers) == 10 + 15 + 20
    # the back office reads each till and the store's total in one command
    lines = subprocess.run(
        o2pos_cmd("central", "stats", "--db", central.db_url),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    sales = {line.split()[0]: int(line.split("sales")[1].split()[0]) for line in lines}
    for name, _ in tills:
        assert sales[name] == central.stats(name)["sales_count"]
    assert sales["store"] == sum(count for till, count in sales.items() if till != "store")
