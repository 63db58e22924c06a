"""A journal damaged behind its triggers after events were acknowledged (issue 12, part 4).

The chain alone cannot see rows cut from its end, nor a journal emptied and written again:
what is left verifies. The till compares its journal with the anchor (what the central
acknowledged) and with its own checkpoint, refuses to push from a damaged journal, and says
so on every surface: ``journal verify``, ``sync push``, ``sync status --json``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from o2pos.core import integrity, journal, syncstate
from o2pos.core import simulate as sim
from o2pos.core.models import JournalCheckpoint
from tests.sync.conftest import Central, Till, free_port, make_till, o2pos_cmd


def till_config(till: Till, central: Central) -> Path:
    data = till.ctx.settings.terminal.data_dir
    config = data / "o2pos.toml"
    config.write_text(
        f'[terminal]\nid = "{till.name}"\ndata_dir = "{data}"\n'
        f'[central]\nurl = "{central.url}"\ntoken = "{till.token}"\n',
        encoding="utf-8",
    )
    return config


def o2pos(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        o2pos_cmd(*args, "--config", str(config)), capture_output=True, text=True, check=False
    )


def behind_the_triggers(till: Till, *statements: str) -> None:
    """What someone with the file (or a bad disk) can do: the triggers are in the file too."""
    con = sqlite3.connect(till.ctx.settings.terminal.db_path)
    con.execute("DROP TRIGGER journal_no_update")
    con.execute("DROP TRIGGER journal_no_delete")
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def assert_alert_everywhere(till: Till, central: Central, held: list, reason: str) -> None:
    config = till_config(till, central)
    verified = o2pos(config, "journal", "verify")
    assert verified.returncode == 1, verified.stdout
    assert "journal BROKEN at seq" in verified.stdout and reason in verified.stdout
    pushed = o2pos(config, "sync", "push", "--retries", "0")
    assert pushed.returncode == 1
    assert "damaged: The journal is damaged at seq" in pushed.stderr
    assert "sent 0 events" in pushed.stdout
    status = json.loads(o2pos(config, "sync", "status", "--json").stdout)
    assert (status["state"], status["alert"]) == ("damaged", True)
    assert reason in status["last_error"]
    assert central.events(till.name) == held  # nothing went from the damaged journal


def test_a_journal_emptied_after_it_was_acknowledged_stops_sync_with_an_alert(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 30, seed=1)
    assert till.engine.run_once(pull=False).ok
    acked = syncstate.acked(till.ctx)[0]
    held = central.events(till.name)
    behind_the_triggers(till, "DELETE FROM journal")
    sim.simulate(till.ctx, 20, seed=2)  # later sales: a valid chain from seq 1 again
    assert journal.verify(till.ctx).ok  # the chain alone sees nothing wrong
    assert journal.last_seq(till.ctx) < acked
    outcome = till.engine.run_once(pull=False)
    assert outcome.state == "damaged" and outcome.sent == 0
    assert_alert_everywhere(till, central, held, f"the central acknowledged seq {acked}")


def test_the_last_acknowledged_event_deleted_and_replaced_is_caught(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 5, seed=3)
    assert till.engine.run_once(pull=False).ok
    acked = syncstate.acked(till.ctx)[0]
    held = central.events(till.name)
    behind_the_triggers(till, f"DELETE FROM journal WHERE seq = {acked}")
    sim.simulate(till.ctx, 3, seed=4)  # its replacement takes the same seq
    assert journal.verify(till.ctx).ok
    assert till.engine.run_once(pull=False).state == "damaged"
    assert_alert_everywhere(
        till, central, held, f"seq {acked} is not the event the central acknowledged"
    )


def test_an_acknowledged_payload_edited_stops_push(till: Till, central: Central) -> None:
    sim.simulate(till.ctx, 5, seed=5)
    assert till.engine.run_once(pull=False).ok
    held = central.events(till.name)
    behind_the_triggers(
        till,
        "UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') "
        "WHERE seq = (SELECT min(seq) FROM journal WHERE event_type = 'sale.completed')",
    )
    sim.simulate(till.ctx, 2, seed=6)
    assert till.engine.run_once(pull=False).state == "damaged"
    assert_alert_everywhere(till, central, held, "hash does not match the row's content")


def test_the_check_before_each_push_reads_only_what_was_written_since(
    till: Till, central: Central
) -> None:
    sim.simulate(till.ctx, 40, seed=7)
    assert till.engine.run_once(pull=False).ok
    before = journal.last_seq(till.ctx)
    sim.simulate(till.ctx, 3, seed=8)
    new = journal.last_seq(till.ctx) - before
    config = till_config(till, central)
    quick = o2pos(config, "journal", "verify")
    assert quick.returncode == 0
    assert f"journal ok: {new} events since seq {before}, chain intact" in quick.stdout
    full = o2pos(config, "journal", "verify", "--full")
    assert f"journal ok: {before + new} events, chain intact" in full.stdout
    assert till.engine.run_once(pull=False).ok
    assert central.events(till.name)[-1][0] == journal.last_seq(till.ctx)


def test_rows_cut_from_the_end_before_they_were_sent_are_caught_by_the_checkpoint(
    till: Till, central: Central
) -> None:
    """No acknowledgement covers them yet; the checkpoint of the last check does."""
    sim.simulate(till.ctx, 3, seed=9)
    assert till.engine.run_once(pull=False).ok
    sim.simulate(till.ctx, 3, seed=10)
    assert integrity.check(till.ctx).ok  # the till checked them (e.g. at start-up)
    last = journal.last_seq(till.ctx)
    behind_the_triggers(till, f"DELETE FROM journal WHERE seq > {last - 2}")
    result = integrity.check(till.ctx)
    assert (result.ok, result.broken_seq) == (False, last)
    assert "is missing" in result.reason


def test_an_unsent_row_edited_further_on_stops_the_round_there(
    till: Till, central: Central
) -> None:
    """Each batch is checked while the one before it is on its way: the batches before the
    edited row, found intact, reach the central; the round then ends in ``damaged``, and
    nothing from the batch holding that row on leaves the till."""
    size = till.engine.batch_size
    sim.simulate(till.ctx, 4 * size, seed=11)
    edited = 2 * size + 5  # in the third batch
    behind_the_triggers(
        till,
        f"UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') "
        f"WHERE seq = {edited}",
    )
    outcome = till.engine.run_once(pull=False)
    assert (outcome.state, outcome.sent) == ("damaged", 2 * size)
    assert f"damaged at seq {edited}: hash does not match" in outcome.error
    assert [event[0] for event in central.events(till.name)] == list(range(1, 2 * size + 1))
    assert syncstate.acked(till.ctx)[0] == 2 * size
    again = till.engine.run_once(pull=False)  # and so every round after, until someone acts
    assert (again.state, again.sent) == ("damaged", 0)


def offline_till(tmp_path: Path, central: Central) -> Till:
    """A till whose central address answers nothing (no one listens there)."""
    return make_till(tmp_path / "offline", central, url=f"http://127.0.0.1:{free_port()}")


def test_damage_far_into_a_backlog_is_said_while_the_central_is_out_of_reach(
    tmp_path: Path, central: Central
) -> None:
    """A round that cannot push still checks the whole backlog, so the alert is up at
    once, not only when the network returns."""
    till = offline_till(tmp_path, central)
    size = till.engine.batch_size
    sim.simulate(till.ctx, 5 * size, seed=15)
    edited = 4 * size + 3  # well past the batch a round checks before its first push
    behind_the_triggers(
        till,
        f"UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') "
        f"WHERE seq = {edited}",
    )
    outcome = till.engine.run_once(pull=False)
    assert (outcome.state, outcome.online, outcome.sent) == ("damaged", False, 0)
    assert f"damaged at seq {edited}" in outcome.error


def test_rows_cut_from_an_unsent_backlog_while_offline_are_caught(
    tmp_path: Path, central: Central
) -> None:
    """An offline round leaves its checkpoint on the last row written, as a round that
    pushed does: rows cut from the end afterwards are found missing."""
    till = offline_till(tmp_path, central)
    size = till.engine.batch_size
    sim.simulate(till.ctx, 5 * size, seed=16)
    assert till.engine.run_once(pull=False).state == "offline"
    last = journal.last_seq(till.ctx)
    behind_the_triggers(till, f"DELETE FROM journal WHERE seq > {last - 3}")
    outcome = till.engine.run_once(pull=False)
    assert outcome.state == "damaged"
    assert f"damaged at seq {last}" in outcome.error and "missing" in outcome.error


def test_a_check_after_a_schema_change_walks_to_the_end_whatever_it_was_asked(
    till: Till, central: Central
) -> None:
    """A changed schema cookie sends the check back to seq 1; stopped at ``through`` it
    would set the checkpoint back and forget the row the old one vouched for."""
    sim.simulate(till.ctx, 30, seed=17)
    last = journal.last_seq(till.ctx)
    assert integrity.check(till.ctx).last_seq == last
    till.ctx.db.execute_sql("CREATE TABLE scratch (x)")  # any schema change moves the cookie
    till.ctx.db.execute_sql("DROP TABLE scratch")
    result = integrity.check(till.ctx, through=5)
    assert result.ok and result.last_seq == last
    mark = JournalCheckpoint.get(JournalCheckpoint.name == integrity.NAME)
    assert mark.seq == last
