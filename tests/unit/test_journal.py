import itertools
import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peewee import IntegrityError

from o2pos.core import journal, register
from o2pos.core.errors import StateError
from o2pos.core.models import Journal, RegisterSession
from tests.conftest import Store, build_store


def test_every_event_is_chained_and_verifies(store: Store) -> None:
    store.open_register()
    store.cash_sale("RICE1", "SOAP")
    rows = list(Journal.select().order_by(Journal.seq))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == journal.GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    assert all(journal.entry_hash(r) == r.hash for r in rows)
    result = journal.verify(store.ctx)
    assert result.ok and result.checked == len(rows)


def test_payload_is_canonical_json_without_floats(store: Store) -> None:
    with store.ctx.write():
        entry = journal.append(store.ctx, "customer.created", {"b": 2, "a": [1, "x"]})
    assert entry.payload == '{"a":[1,"x"],"b":2}'
    with pytest.raises(TypeError, match="float"), store.ctx.write():
        journal.append(store.ctx, "customer.created", {"amount": 1.5})
    assert journal.last_seq(store.ctx) == entry.seq


def test_a_till_under_another_terminal_id_cannot_open_its_register(store: Store) -> None:
    """One chain, one terminal: a context whose id is not the journal's (its config was
    changed) cannot open the cash register, or do anything else that is journalled; the
    whole operation rolls back."""
    store.open_register()
    store.cash_sale("RICE1")
    before = journal.last_seq(store.ctx)
    sessions = RegisterSession.select().count()
    other = replace(
        store.ctx,
        settings=replace(
            store.ctx.settings, terminal=replace(store.ctx.settings.terminal, id="T9")
        ),
    )
    with pytest.raises(
        StateError, match=re.escape("belongs to terminal T1, but [terminal] id is T9")
    ):
        register.open_session(other, store.people["cashier"], 200000)
    assert journal.last_seq(store.ctx) == before
    assert RegisterSession.select().count() == sessions


def test_append_outside_a_transaction_is_refused(store: Store) -> None:
    with pytest.raises(RuntimeError):
        journal.append(store.ctx, "customer.created", {})


def test_triggers_reject_update_and_delete(store: Store) -> None:
    store.open_register()
    with pytest.raises(IntegrityError, match="append-only"):
        Journal.update(payload="{}").where(Journal.seq == 1).execute()
    with pytest.raises(IntegrityError, match="append-only"):
        Journal.delete().where(Journal.seq == 1).execute()
    assert [e.event_type for e in Journal.select()][-1] == "register.opened"
    assert journal.verify(store.ctx).ok


def test_the_sqlite3_shell_cannot_edit_the_journal(store: Store) -> None:
    assert shutil.which("sqlite3"), "scripts/test installs the sqlite3 shell"
    store.open_register()
    path = str(store.ctx.settings.terminal.db_path)
    first = Journal.get(Journal.seq == 1)
    columns = "seq, event_id, terminal_id, event_type, created_at, payload, prev_hash, hash"
    row = f"'{first.terminal_id}', 'x', '2026', '{{}}', '{first.prev_hash}', '{first.hash}'"
    for statement in (
        "UPDATE journal SET payload = '{}' WHERE seq = 1;",
        "DELETE FROM journal;",
        # REPLACE deletes the row it collides with, and fires no DELETE trigger for it
        f"INSERT OR REPLACE INTO journal ({columns}) VALUES (1, 'new-id', {row});",
        f"REPLACE INTO journal ({columns}) VALUES (999, '{first.event_id}', {row});",
    ):
        done = subprocess.run(["sqlite3", path, statement], capture_output=True, text=True)
        assert done.returncode != 0, statement
        assert "append-only" in done.stderr
    assert Journal.get(Journal.seq == 1).payload == first.payload
    assert journal.verify(store.ctx).ok


def tamper(store: Store, seq: int, payload: str) -> None:
    """Change a row behind the triggers' back, as someone with the file could."""
    con = sqlite3.connect(store.ctx.settings.terminal.db_path)
    con.execute("DROP TRIGGER journal_no_update")
    con.execute("UPDATE journal SET payload = ? WHERE seq = ?", (payload, seq))
    con.commit()
    con.close()


def test_an_altered_payload_breaks_the_chain_at_that_seq(store: Store) -> None:
    store.open_register()
    store.cash_sale("RICE1")
    store.cash_sale("SOAP")
    completed = [
        r for r in Journal.select().order_by(Journal.seq) if r.event_type == "sale.completed"
    ]
    target = completed[0]
    payload = json.loads(target.payload)
    payload["total"] += 100
    tamper(store, target.seq, journal.canonical(payload))
    result = journal.verify(store.ctx)
    assert not result.ok
    assert result.broken_seq == target.seq
    assert result.checked == target.seq - 1


def test_a_payload_that_is_not_json_is_reported(store: Store) -> None:
    store.open_register()
    tamper(store, 1, "{not json")
    result = journal.verify(store.ctx)
    assert (result.ok, result.broken_seq) == (False, 1)


@pytest.mark.parametrize(
    "text",
    ['{"b": 1, "a": 2}', '{"a":1.5}', "[1]", '{"a":1},"event_type":"x"', '{"a":"\\u00e9"}'],
    ids=["spaced and unsorted", "a float", "not an object", "spliced keys", "escaped"],
)
def test_a_row_hashed_over_other_than_canonical_text_is_reported(store: Store, text: str) -> None:
    """A row added past the till (an INSERT is allowed: it is how the journal grows) with a
    hash computed over its own odd text: the chain holds, but the central re-hashes the
    canonical form and refuses it, so verify must say so before a push is stuck on it."""
    store.open_register()
    last = Journal.select().order_by(Journal.seq.desc()).get()
    fields = {
        "seq": last.seq + 1,
        "event_id": "odd-1",
        "terminal_id": last.terminal_id,
        "event_type": "drawer.opened",
        "created_at": last.created_at,
        "employee_id": None,
        "approved_by": None,
        "prev_hash": last.hash,
    }
    digest = journal._digest(text, **fields)
    con = sqlite3.connect(store.ctx.settings.terminal.db_path)
    con.execute(
        f"INSERT INTO journal ({', '.join(fields)}, payload, hash) VALUES "
        f"({', '.join('?' * (len(fields) + 2))})",
        (*fields.values(), text, digest),
    )
    con.commit()
    con.close()
    result = journal.verify(store.ctx)
    assert (result.ok, result.broken_seq) == (False, last.seq + 1)
    assert "canonical" in (result.reason or "")


def test_an_unknown_event_type_is_refused_before_it_reaches_the_journal(store: Store) -> None:
    before = journal.last_seq(store.ctx)
    with store.ctx.write(), pytest.raises(ValueError, match="unknown journal event type"):
        journal.append(store.ctx, "sale.compelted", {})
    assert journal.last_seq(store.ctx) == before


def test_a_schema_6_database_gets_a_checkpoint_and_checks_from_seq_1_once(store: Store) -> None:
    """Schema 6 -> 7: the journal_checkpoint table. The first check walks every row and
    sets the checkpoint; the next reads only what was written since."""
    from o2pos.core import db as schema
    from o2pos.core import integrity

    database = store.ctx.db
    store.open_register()
    store.cash_sale("RICE1")
    database.execute_sql("DROP TABLE journal_checkpoint")
    database.execute_sql("PRAGMA user_version = 6")
    schema.create_schema(database)
    assert database.execute_sql("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    first = integrity.check(store.ctx)
    assert (first.ok, first.start, first.checked) == (True, 0, journal.last_seq(store.ctx))
    store.cash_sale("SOAP")
    second = integrity.check(store.ctx)
    assert (second.ok, second.start) == (True, first.last_seq)
    assert second.checked == journal.last_seq(store.ctx) - first.last_seq


def test_a_dropped_trigger_sends_the_next_quick_check_back_to_seq_1(store: Store) -> None:
    """Editing an old row means getting past a trigger, which changes the schema cookie."""
    from o2pos.core import integrity

    store.open_register()
    store.cash_sale("RICE1")
    assert integrity.check(store.ctx).ok
    tamper(store, 1, journal.canonical({"edited": True}))
    result = integrity.check(store.ctx)
    assert (result.ok, result.broken_seq, result.start) == (False, 1, 0)


JSON_TEXTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    value=JSON_TEXTS,
    spelling=st.sampled_from(["canonical", "spaced", "unsorted", "big", "raw"]),
    raw=st.text(max_size=30),
)
def test_the_canonical_check_in_c_says_what_the_walk_says(
    value: object, spelling: str, raw: str
) -> None:
    """A till with msgspec parses each payload refusing floats in C; without it, the value
    is walked in Python. Whatever the text, both give the same answer."""
    if spelling == "raw":
        text = raw
    elif spelling == "big":
        text = '{"a":' + str(2**70 + len(raw)) + "}"
    else:
        text = json.dumps(
            value,
            sort_keys=spelling != "unsorted",
            separators=(",", ":") if spelling != "spaced" else (", ", ": "),
            ensure_ascii=False,
        )
    assert journal._floatless() is not None  # msgspec is there: the C reading
    with_c = journal._is_canonical(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(journal, "_floatless", lambda: None)
        assert with_c == journal._is_canonical(text), text


def test_a_whole_number_past_64_bits_is_canonical_either_way() -> None:
    """``append`` writes it whole; orjson alone would read it as a float and call the row
    damaged."""
    text = '{"a":' + str(2**70) + "}"
    assert journal._is_canonical(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(journal, "_floatless", lambda: None)
        assert journal._is_canonical(text)


def test_a_journal_of_a_lower_case_id_goes_on_under_the_same_id_upper_case(
    tmp_path: Path,
) -> None:
    """Ids are read upper-case from the config now; a till whose journal says "t1" is the
    same till as T1, not another terminal to refuse."""
    store = build_store(tmp_path, terminal_id="t1")
    store.open_register()
    assert journal.owner() == "t1"
    upper = replace(
        store.ctx,
        settings=replace(
            store.ctx.settings, terminal=replace(store.ctx.settings.terminal, id="T1")
        ),
    )
    with upper.write():
        journal.append(upper, "customer.created", {"uuid": "c1"})
    assert journal.last_seq(upper) > 1
