"""The till and a real central on 127.0.0.1: exactly-once push, forks, gaps, tokens, transfer."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from o2pos.core import journal, reports, sales, syncstate
from o2pos.core import simulate as sim
from o2pos.core.models import Journal, Product, SyncCursor
from o2pos.core.payments import Tender
from o2pos.sync.client import CentralClient
from o2pos.sync.engine import SyncEngine
from o2pos.sync.export import export
from tests.sync.conftest import Central, Till, o2pos_cmd


def assert_central_matches(till: Till, central: Central) -> None:
    """Every local event is held once, with our hash; the central's figures are the till's."""
    local = [(r.seq, r.hash, r.event_id) for r in Journal.select().order_by(Journal.seq)]
    assert central.events(till.name) == local
    stats = central.stats(till.name)
    report = reports.x_report(till.ctx)
    assert stats["events"] == stats["high_water_seq"] == journal.last_seq(till.ctx)
    assert (stats["sales_count"], stats["sales_total"]) == (
        report["sales_count"],
        report["sales_total"],
    )


def test_push_sends_every_event_once_and_the_central_adds_up_to_the_till(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 25, seed=5)
    outcome = till.engine.run_once()
    assert outcome.ok, outcome
    summary = till.summary()
    assert summary["pending"] == 0 and summary["online"] and summary["state"] == "ok"
    assert summary["last_success_at"] is not None
    assert_central_matches(till, central)
    # a second push has nothing to send and changes nothing centrally
    again = till.engine.run_once()
    assert again.ok and again.sent == 0
    assert_central_matches(till, central)


def test_a_batch_goes_out_as_the_same_events_the_journal_holds(till: Till) -> None:
    """The push splices each payload's stored text into the body instead of parsing and
    serialising it again: what the central reads must be the very events, names with
    non-ASCII letters and the batch's bounds included."""
    sim.simulate(till.ctx, 8, seed=11)
    Product.update(name='Café Noir ₹ "special" \\ tab\t').where(Product.id == 1).execute()
    sim.simulate(till.ctx, 4, seed=12)
    last = journal.last_seq(till.ctx)
    batch = syncstate.pending_batch(till.ctx, 7, through=last)
    assert batch is not None
    events = json.loads(batch.events)
    assert events == syncstate.pending_events(till.ctx, 7)
    assert (batch.first_seq, batch.last_seq, batch.count) == (1, 7, 7)
    everything = syncstate.pending_batch(till.ctx, 1000, through=last)
    assert everything is not None and json.loads(everything.events) == syncstate.pending_events(
        till.ctx, 1000
    )
    assert any("Café Noir" in e.decode() for e in [everything.events])
    # nothing after what the integrity check found intact is sent
    short = syncstate.pending_batch(till.ctx, 1000, through=3)
    assert short is not None and short.last_seq == 3
    syncstate.record_ack(till.ctx, last, syncstate.hash_at(last) or "")
    assert syncstate.pending_batch(till.ctx, 1000, through=last) is None


def test_an_answer_lost_after_the_central_committed_is_resent_and_stored_once(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 5, seed=2)

    def crash(answer: dict) -> None:
        raise SystemExit("power cut between the central's answer and recording it")

    till.engine._before_ack = crash
    with pytest.raises(SystemExit):
        till.engine.flush()
    assert till.summary()["acked_seq"] == 0  # the acknowledgement was never recorded
    till.engine._before_ack = None
    outcome = till.engine.run_once(pull=False)
    assert outcome.ok
    assert_central_matches(till, central)


def central_import(central: Central, path: Path) -> subprocess.CompletedProcess[str]:
    """``o2pos central import`` of a manual-transfer file, as the back office runs it."""
    return subprocess.run(
        o2pos_cmd("central", "import", str(path), "--db", central.db_url),
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_central_far_ahead_of_the_acknowledgement_is_caught_up_in_one_round(
    till: Till, central: Central, tmp_path: Path
) -> None:
    """Events carried to the central by hand (``sync export``, ``central import``) before
    the network came back: the round's first batch learns the central's mark, many batches
    on, past every row the till has checked, and the round goes on from that mark to the
    end (it once stopped there, saying all was sent)."""
    size = till.engine.batch_size
    sim.simulate(till.ctx, 4 * size, seed=13)
    stick = tmp_path / "T.o2j"
    carried = export(till.ctx, stick)
    imported = central_import(central, stick)
    assert imported.returncode == 0, imported.stderr
    sim.simulate(till.ctx, size, seed=14)  # sold since
    assert carried > 3 * size and journal.last_seq(till.ctx) > carried + size // 2
    outcome = till.engine.run_once(pull=False)
    assert outcome.ok, outcome
    assert till.summary()["pending"] == 0
    assert_central_matches(till, central)


def test_a_gap_rewinds_to_the_seq_the_central_expects(till: Till, central: Central) -> None:
    sim.simulate(till.ctx, 6, seed=3)
    till.engine.batch_size = 4
    assert till.engine.flush().ok
    pushed = till.summary()["acked_seq"]
    sim.simulate(till.ctx, 6, seed=4)
    # the till believes more was acknowledged than the central holds (a restored central)
    ahead = pushed + 3
    SyncCursor.update(acked_seq=ahead, acked_hash=syncstate.hash_at(ahead)).execute()
    assert till.engine.run_once(pull=False).ok
    assert_central_matches(till, central)


def _forge(db_path: Path, seq: int) -> None:
    """Rewrite history from ``seq`` on, re-hashing the chain as a careful forger would."""
    con = sqlite3.connect(db_path)
    con.execute("DROP TRIGGER journal_no_update")
    rows = con.execute(
        "SELECT seq, event_id, terminal_id, event_type, created_at, employee_id, approved_by,"
        " payload, prev_hash FROM journal WHERE seq >= ? ORDER BY seq",
        (seq,),
    ).fetchall()
    prev = con.execute("SELECT hash FROM journal WHERE seq = ?", (seq - 1,)).fetchone()[0]
    for number, (s, eid, term, etype, created, emp, appr, payload, _) in enumerate(rows):
        data = json.loads(payload)
        if number == 0:
            data["forged"] = True
        digest = journal.compute_hash(
            seq=s,
            event_id=eid,
            terminal_id=term,
            event_type=etype,
            created_at=created,
            employee_id=emp,
            approved_by=appr,
            payload=data,
            prev_hash=prev,
        )
        con.execute(
            "UPDATE journal SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (journal.canonical(data), prev, digest, s),
        )
        prev = digest
    con.commit()
    con.close()


def clone_config(till: Till, central: Central, directory: Path) -> Path:
    """A second till on a copy of ``till``'s database, with its terminal id and token: a
    disk image restored onto another machine while the first one kept selling."""
    directory.mkdir()
    source = sqlite3.connect(till.ctx.settings.terminal.db_path)
    target = sqlite3.connect(directory / "o2pos.db")
    source.backup(target)
    source.close()
    target.close()
    config = directory / "o2pos.toml"
    config.write_text(
        f'[terminal]\nid = "{till.name}"\ndata_dir = "{directory}"\n'
        f'[central]\nurl = "{central.url}"\ntoken = "{till.token}"\n',
        encoding="utf-8",
    )
    return config


def test_a_clone_of_a_till_that_sells_on_its_own_is_refused_as_a_fork(
    till: Till, central: Central, tmp_path: Path
) -> None:
    sim.simulate(till.ctx, 4, seed=6)
    assert till.engine.run_once(pull=False).ok
    clone = clone_config(till, central, tmp_path / "clone")
    sim.simulate(till.ctx, 2, seed=7)
    assert till.engine.run_once(pull=False).ok
    held = central.events(till.name)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            o2pos_cmd(*args, "--config", str(clone)), capture_output=True, text=True, check=False
        )

    assert run("simulate", "--sales", "2", "--seed", "8").returncode == 0
    pushed = run("sync", "push", "--retries", "0")
    assert pushed.returncode == 1
    assert "fork" in pushed.stderr
    status = json.loads(run("sync", "status", "--json").stdout)
    assert status["alert"] and status["state"] == "fork"
    assert status["last_error"].startswith("Fork: seq")
    assert central.events(till.name) == held  # nothing from the clone went in


def test_a_journal_altered_after_it_was_sent_is_caught_on_the_till(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 4, seed=6)
    assert till.engine.run_once(pull=False).ok
    held = central.events(till.name)
    sim.simulate(till.ctx, 2, seed=7)
    _forge(till.ctx.settings.terminal.db_path, seq=3)  # re-hashed: the chain itself holds
    outcome = till.engine.run_once(pull=False)
    assert outcome.state == "damaged", outcome
    summary = till.summary()
    assert summary["alert"] and summary["state"] == "damaged"
    assert summary["last_error"].startswith("The journal is damaged at seq")
    assert summary["pending"] > 0
    assert central.events(till.name) == held  # nothing from the forged chain went in


def test_an_unsent_event_altered_without_its_hash_is_not_sent(till: Till, central: Central) -> None:
    sim.simulate(till.ctx, 3, seed=8)
    con = sqlite3.connect(till.ctx.settings.terminal.db_path)
    con.execute("DROP TRIGGER journal_no_update")
    con.execute("UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') ")
    con.commit()
    con.close()
    outcome = till.engine.run_once(pull=False)
    assert outcome.state == "damaged"
    assert "hash does not match the row's content" in outcome.error
    assert till.summary()["alert"]
    assert central.events(till.name) == []


def test_a_revoked_token_stops_sync_loses_nothing_and_resumes_after_re_registering(
    till: Till, central: Central, tmp_path: Path
) -> None:
    sim.simulate(till.ctx, 3, seed=9)
    assert till.engine.run_once(pull=False).ok
    central.bind()
    from o2pos.central.store import add_terminal, revoke_terminal

    revoke_terminal(till.name)
    sim.simulate(till.ctx, 3, seed=10)
    waiting = till.summary()["pending"]
    outcome = till.engine.run_once(pull=False)
    assert outcome.state == "unauthorized"
    assert "revoked" in outcome.error
    summary = till.summary()
    assert summary["alert"] and summary["pending"] == waiting
    token = add_terminal(till.name).token
    engine = SyncEngine(
        till.ctx, CentralClient(central.url, token), lock_path=tmp_path / "sync.lock"
    )
    assert engine.run_once(pull=False).ok
    assert not till.summary()["alert"]
    assert_central_matches(till, central)


def test_a_manual_export_imported_centrally_then_pushed_is_stored_once(
    till: Till, central: Central, tmp_path: Path
) -> None:
    sim.simulate(till.ctx, 8, seed=11)
    stick = tmp_path / "T.o2j"
    count = export(till.ctx, stick)
    assert count == journal.last_seq(till.ctx)
    result = central_import(central, stick)
    assert result.returncode == 0, result.stderr
    assert f"stored {count} events" in result.stdout
    # importing the same file again stores nothing
    again = central_import(central, stick)
    assert "stored 0 events" in again.stdout
    sim.simulate(till.ctx, 2, seed=12)
    outcome = till.engine.run_once(pull=False)
    assert outcome.ok
    assert_central_matches(till, central)


def test_an_export_from_a_forked_till_is_refused_by_the_central(
    till: Till, central: Central, tmp_path: Path
) -> None:
    sim.simulate(till.ctx, 3, seed=13)
    assert till.engine.run_once(pull=False).ok
    held = central.events(till.name)
    _forge(till.ctx.settings.terminal.db_path, seq=2)
    stick = tmp_path / "forked.o2j"
    export(till.ctx, stick, everything=True)
    result = central_import(central, stick)
    assert result.returncode == 1
    assert "differs from the event the central holds" in result.stderr
    assert central.events(till.name) == held


def test_master_data_flows_to_the_till_and_an_open_bill_keeps_its_prices(
    till: Till, central: Central, tmp_path: Path
) -> None:
    ctx, cashier = till.ctx, till.store.cashier
    bill = sales.new(ctx, cashier).id
    sales.add_item(ctx, bill, "8901234567890", cashier)  # rice at 189.00
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "sku,barcode,name,price,tax_class\n"
        "RICE1,8901234567890,Basmati Rice 1 kg,199.00,GST5\n"
        "DAL1,8900000000081,Toor Dal 1 kg,140.00,GST5\n"
        "BAD1,,Broken row,12.x0,GST5\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        o2pos_cmd("central", "import", "products", str(prices), "--db", central.db_url),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1  # one row rejected, the rest imported
    assert "prices.csv:4:" in result.stderr
    assert till.engine.pull().ok
    assert Product.get(Product.sku == "RICE1").price == 19900
    assert Product.get(Product.sku == "DAL1").price == 14000
    # the line rung up before the change keeps 189.00, even after its quantity changes
    line = sales.lines_of(sales.get(bill))[0]
    sales.set_qty(ctx, bill, line.id, 2000, cashier)
    sales.add_item(ctx, bill, "8900000000081", cashier)
    views = [(v.name, v.unit_price) for v in sales.line_views(bill)]
    assert views == [("Basmati Rice 1 kg", 18900), ("Toor Dal 1 kg", 14000)]
    due = sales.get(bill).total
    assert due == 2 * 18900 + 14000
    sales.checkout(ctx, bill, [Tender("cash", due)], cashier)
    # the pull itself is journaled, and a later pull with nothing new changes nothing
    applied = Journal.select().where(Journal.event_type == "master.applied").count()
    assert applied >= 1
    assert till.engine.pull().pulled == 0
    assert Journal.select().where(Journal.event_type == "master.applied").count() == applied


def test_only_one_process_flushes_a_till_and_a_killed_holder_frees_the_lock(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 2, seed=14)
    lock = till.ctx.settings.terminal.data_dir / "sync.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            " from o2pos.core.filelock import ProcessLock;"
            f" ProcessLock(Path({str(lock)!r})).acquire() or sys.exit(3);"
            " print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    busy = till.engine.run_once(pull=False)
    assert busy.state == "busy" and busy.busy_pid == holder.pid
    assert till.summary()["acked_seq"] == 0
    holder.kill()  # kill -9: no chance to release anything
    holder.wait()
    assert till.engine.run_once(pull=False).ok
    assert_central_matches(till, central)


def test_lockouts_and_unlocks_reach_the_central_as_they_were_journaled(
    till: Till, central: Central
) -> None:
    """login.failed for an unknown code (no employee named) and employee.unlocked: accepted,
    stored as sent, flagged never."""
    from o2pos.core import auth
    from o2pos.core.errors import AuthError

    for code in ("cashier", "nobody"):
        for _ in range(5):
            with pytest.raises(AuthError):
                auth.login(till.ctx, code, "0000")
    auth.unlock(till.ctx, "cashier", approval=till.store.approval(auth.Perm.UNLOCK_EMPLOYEES))
    assert till.engine.run_once(pull=False).ok
    assert_central_matches(till, central)
    central.bind()
    from o2pos.central import models as cm

    rows = list(
        cm.Event.select()
        .where(
            cm.Event.terminal == till.name,
            cm.Event.event_type.in_(["login.failed", "employee.unlocked"]),
        )
        .order_by(cm.Event.seq)
    )
    assert [(r.event_type, r.employee_id, r.flag) for r in rows] == [
        *[("login.failed", "cashier", None)] * 5,
        *[("login.failed", None, None)] * 5,
        ("employee.unlocked", "manager", None),
    ]
    assert json.loads(rows[-1].payload) == {
        "employee": "cashier",
        "via": "till",
        "was_locked": True,
        "failed_attempts": 5,
    }
    assert json.loads(rows[5].payload) == {"employee": None, "attempt": 1, "locked": False}
