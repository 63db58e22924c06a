"""Bad requests to a real central: always a 4xx with ``{"error", "message"}``, never a 5xx.

Every refusal leaves the terminal's events and figures exactly as they were, and the correct
push that follows still lands, once. Requests go out with plain ``httpx``.

To stay fast, one till per backend rings up a few sales; each test registers its own
terminal and gets those events re-stamped for it (its name, fresh event and sale ids, the
chain re-hashed), so tests share the server but no data.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from o2pos.core import syncstate
from o2pos.core.journal import GENESIS_HASH, compute_hash
from o2pos.core.simulate import simulate
from tests.sync.conftest import Central, make_till

Event = dict[str, Any]
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MiB = 1024 * 1024


# --- building events ------------------------------------------------------------------------


def seal(event: Event) -> Event:
    """The event with the hash its content calls for."""
    event["hash"] = compute_hash(**{k: v for k, v in event.items() if k != "hash"})
    return event


def rechain(events: list[Event], prev_hash: str | None = None) -> list[Event]:
    """Re-link and re-hash ``events`` in order, from ``prev_hash`` (or the first one's)."""
    prev = events[0]["prev_hash"] if prev_hash is None else prev_hash
    for event in events:
        event["prev_hash"] = prev
        prev = seal(event)["hash"]
    return events


def restamp(template: list[Event], terminal: str) -> list[Event]:
    """The till's events as ``terminal``'s own journal: seq from 1, fresh ids, a new chain."""
    events = copy.deepcopy(template)
    for seq, event in enumerate(events, start=1):
        event.update(seq=seq, terminal_id=terminal, event_id=str(uuid.uuid4()))
        if "uuid" in event["payload"]:  # a sale's id is unique across the whole central too
            event["payload"]["uuid"] = str(uuid.uuid4())
    return rechain(events, GENESIS_HASH)


def synthetic(terminal: str, count: int) -> list[Event]:
    """``count`` valid drawer openings from seq 1: a correct chain that needs no till."""
    events = [
        {
            "seq": seq,
            "event_id": str(uuid.uuid4()),
            "terminal_id": terminal,
            "event_type": "drawer.opened",
            "created_at": "2026-11-20T06:00:00.000000Z",
            "employee_id": "cashier",
            "approved_by": None,
            "payload": {"reason": "no sale"},
            "prev_hash": "",
        }
        for seq in range(1, count + 1)
    ]
    return rechain(events, GENESIS_HASH)


def batch(terminal: str, events: list[Event]) -> dict[str, Any]:
    return {"terminal_id": terminal, "events": events}


# --- a terminal of our own and its checks ---------------------------------------------------


@pytest.fixture(scope="module")
def template(central: Central, tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    """A real till's journal: staff, a register opening and three sales (9 events)."""
    till = make_till(tmp_path_factory.mktemp("template-till"), central)
    simulate(till.ctx, 3, seed=21)
    events = syncstate.pending_events(till.ctx, 500)
    till.engine.client.close()
    till.ctx.db.close()
    kinds = [e["event_type"] for e in events]
    assert len(kinds) == 9 and kinds[6:] == ["sale.completed"] * 3, kinds  # tests index these
    return events


@dataclass
class Terminal:
    central: Central
    http: httpx.Client
    name: str
    token: str
    events: list[Event]  # its whole journal, valid, not yet pushed

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def post(self, body: Any, token: str | None = None) -> httpx.Response:
        return self.http.post("/v1/journal", json=body, headers=self.auth(token))

    def push(self, events: list[Event]) -> httpx.Response:
        return self.post(batch(self.name, events))

    def raw(
        self, content: bytes | Iterator[bytes], content_type: str = "application/json"
    ) -> httpx.Response:
        headers = {**self.auth(), "Content-Type": content_type}
        return self.http.post("/v1/journal", content=content, headers=headers)

    def fresh(self) -> list[Event]:
        """A copy of the journal to spoil."""
        return copy.deepcopy(self.events)

    def state(self) -> tuple[list[tuple[int, str, str]], dict[str, Any]]:
        return self.central.events(self.name), self.central.stats(self.name)

    def head(self) -> tuple[int, str]:
        """The high-water mark, over HTTP: a cheap look between refusals."""
        answer = self.http.get("/v1/journal/head", headers=self.auth()).json()
        return answer["acked_seq"], answer["acked_hash"]

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """Nothing sent inside the block changes the events or figures held for us."""
        before = self.state()
        yield
        assert self.state() == before, "a refused request changed what the central holds"

    def refuses(
        self, send: Callable[[], httpx.Response], status: int, code: str | None, why: str = ""
    ) -> dict[str, Any]:
        """``send`` is answered ``status`` (and ``code``) and moves no mark; the body."""
        mark = self.head()
        body = refusal(send(), status, code, why)
        assert self.head() == mark, f"{why}: a refused request moved the high-water mark"
        return body

    def refused(
        self, send: Callable[[], httpx.Response], status: int, code: str | None = None
    ) -> dict[str, Any]:
        """One refusal, with the held events and figures compared before and after."""
        with self.unchanged():
            return self.refuses(send, status, code)

    def ok(self, events: list[Event]) -> dict[str, Any]:
        response = self.push(events)
        assert response.status_code == 200, response.text
        return response.json()

    def lands_once(self) -> None:
        """The correct push of the whole journal is taken, and only once."""
        held = {seq for seq, _, _ in self.central.events(self.name)}
        answer = self.ok(self.events)
        assert answer["stored"] == len(self.events) - len(held)
        assert answer["duplicates"] == len(held)
        assert (answer["acked_seq"], answer["acked_hash"]) == (
            self.events[-1]["seq"],
            self.events[-1]["hash"],
        )
        again = self.ok(self.events)
        assert (again["stored"], again["duplicates"]) == (0, len(self.events))
        assert self.central.events(self.name) == [
            (e["seq"], e["hash"], e["event_id"]) for e in self.events
        ]
        sales = [e["payload"] for e in self.events if e["event_type"] == "sale.completed"]
        stats = self.central.stats(self.name)
        assert stats["events"] == stats["high_water_seq"] == len(self.events)
        assert (stats["sales_count"], stats["sales_total"]) == (
            len(sales),
            sum(s["total"] for s in sales),
        )
        assert stats["flagged"] == 0


def refusal(
    response: httpx.Response, status: int, code: str | None = None, why: str = ""
) -> dict[str, Any]:
    """A refusal as the protocol promises: the status, a JSON code and a sentence."""
    assert response.status_code == status, (why, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), (why, response)
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], (why, body)
    assert isinstance(body.get("message"), str) and " " in body["message"].strip(), (why, body)
    if code is not None:
        assert body["error"] == code, (why, body)
    return body


@pytest.fixture(scope="module")
def http(central: Central) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=central.url, timeout=TIMEOUT) as client:
        yield client


@pytest.fixture
def term(central: Central, http: httpx.Client, template: list[Event]) -> Terminal:
    name, token = central.register()
    return Terminal(central, http, name, token, restamp(template, name))


# --- malformed, not JSON, oversized ---------------------------------------------------------


def test_malformed_json_is_refused(term: Terminal) -> None:
    with term.unchanged():
        for why, content, status, code in [
            ("cut short", b'{"terminal_id": "X", "events": [', 422, "invalid_request"),
            ("trailing comma", b'{"terminal_id": "X", "events": [],}', 422, "invalid_request"),
            ("empty", b"", 422, "invalid_request"),
            ("not UTF-8", b'{"terminal_id": "\xff\xfe"}', 400, "http_error"),
            ("too deep", b"[" * 100_000 + b"]" * 100_000, 422, "too_deep"),
            ("a list", b"[]", 422, "invalid_request"),
            ("null", b"null", 422, "invalid_request"),
        ]:
            term.refuses(lambda c=content: term.raw(c), status, code, why)
    term.lands_once()


def test_a_body_that_is_not_json_is_refused(term: Terminal) -> None:
    valid = json.dumps(batch(term.name, term.events)).encode()
    with term.unchanged():
        for content, content_type in [
            (b"terminal_id=X&events=1", "application/x-www-form-urlencoded"),
            (b"hello central", "text/plain"),
            (valid, "text/plain"),  # even a correct batch, when it says it is not JSON
        ]:
            term.refuses(
                lambda c=content, t=content_type: term.raw(c, t),
                422,
                "invalid_request",
                content_type,
            )
    term.lands_once()


def test_more_than_500_events_in_a_batch_is_refused(term: Terminal) -> None:
    events = synthetic(term.name, 501)
    body = term.refused(lambda: term.push(events), 422, "invalid_request")
    assert "500" in body["message"]
    term.lands_once()


def test_a_body_over_16_mib_is_refused(term: Terminal) -> None:
    # httpx will not send fewer bytes than a Content-Length claims, so this is a real body
    content = b" " * (16 * MiB + 1)
    term.refused(lambda: term.raw(content), 413, "too_large")
    term.lands_once()


def test_a_chunked_body_without_a_length_is_refused(term: Terminal) -> None:
    """The size limit reads Content-Length, so a body must declare one."""

    def chunks() -> Iterator[bytes]:
        yield json.dumps(batch(term.name, term.events)).encode()

    term.refused(lambda: term.raw(chunks()), 411, "length_required")
    term.lands_once()


# --- bodies built to cost the central memory or time (issue 12) ----------------------------


def nested(levels: int, key: str = "k") -> Any:
    value: Any = 0
    for _ in range(levels):
        value = {key: value}
    return value


def test_nesting_past_the_limit_is_refused_before_it_is_parsed(term: Terminal) -> None:
    """940 levels under long keys once took the central to 7.3 GB; near Python's recursion
    limit the parser itself fails. Both are refused outright, and the central goes on."""
    events = term.fresh()
    events[0]["payload"]["deep"] = nested(940, "k" * 1000)
    deep_keys = json.dumps(batch(term.name, rechain(events))).encode()
    with term.unchanged():
        for why, content in [
            ("940 levels, 1,000-character keys", deep_keys),
            ("past the recursion limit", b'{"events": ' + b"[" * 990 + b"]" * 990 + b"}"),
            ("65 levels", b"[" * 65 + b"]" * 65),
        ]:
            body = term.refuses(lambda c=content: term.raw(c), 422, "too_deep", why)
            assert "64 levels" in body["message"]
    assert term.http.get("/v1/health").json()["status"] == "ok"
    term.lands_once()


def test_a_body_of_too_many_values_is_refused_before_it_is_parsed(term: Terminal) -> None:
    """Each parsed value is a Python object many times its two bytes of JSON."""
    content = b'{"terminal_id": "%s", "events": [' % term.name.encode()
    content += b",".join([b"{}"] * (512 * 1024)) + b"]}"
    body = term.refused(lambda: term.raw(content), 413, "too_large")
    assert "524288 JSON values" in body["message"]
    term.lands_once()


@pytest.mark.parametrize(
    ("why", "spoil", "message"),
    [
        ("33 levels", lambda p: p.update(deep=nested(32)), "payload.deep.k.k"),
        ("65,536 values and more", lambda p: p.update(many=[0] * 65_536), "65536 values"),
    ],
)
def test_a_payload_past_its_limits_is_refused_even_with_a_correct_hash(
    term: Terminal, why: str, spoil: Callable[[dict[str, Any]], None], message: str
) -> None:
    events = term.fresh()
    spoil(events[0]["payload"])
    body = term.refused(lambda: term.push(rechain(events)), 422, "invalid_request")
    assert message in body["message"], (why, body)
    term.lands_once()


def test_a_payload_just_within_the_limits_is_stored(term: Terminal) -> None:
    events = term.fresh()
    events[0]["payload"].update(deep=nested(31), many=[0] * 65_000)
    assert term.ok(rechain(events))["acked_seq"] == len(events)


# --- wrong types, missing and unknown fields, floats ----------------------------------------

WRONG_SHAPES: dict[str, Callable[[Event], Any]] = {
    "seq as a string": lambda e: e.update(seq="1"),
    "seq as a bool": lambda e: e.update(seq=True),
    "seq zero": lambda e: e.update(seq=0),
    "payload as a list": lambda e: e.update(payload=[1, 2]),
    "payload as a string": lambda e: e.update(payload="{}"),
    "employee as a number": lambda e: e.update(employee_id=7),
    "event id not a uuid": lambda e: e.update(event_id="not-a-uuid"),
    "hash not hex": lambda e: e.update(hash="ABC"),
    "missing created_at": lambda e: e.pop("created_at"),
    "missing hash": lambda e: e.pop("hash"),
    "unknown field": lambda e: e.update(smuggled="extra"),
}

FLOATS: dict[str, Callable[[Event], Any]] = {
    "seq as a float": lambda e: e.update(seq=1.0),
    "total 123.5": lambda e: e["payload"].update(total=123.5),
    "total 100.0": lambda e: e["payload"].update(total=100.0),
    "a float in a line": lambda e: e["payload"]["lines"][0].update(qty_milli=1000.0),
}


@pytest.mark.parametrize("table", [WRONG_SHAPES, FLOATS], ids=["wrong-types", "floats"])
def test_an_event_of_the_wrong_shape_is_refused(
    term: Terminal, table: dict[str, Callable[[Event], Any]]
) -> None:
    sale = next(i for i, e in enumerate(term.events) if e["event_type"] == "sale.completed")
    with term.unchanged():
        for why, spoil in table.items():
            events = term.fresh()
            spoil(events[sale])
            body = term.refuses(lambda ev=events: term.push(ev), 422, "invalid_request", why)
            assert body["message"].startswith(f"body.events.{sale}"), (why, body)
    term.lands_once()


def test_a_float_for_money_is_named_in_the_refusal(term: Terminal) -> None:
    events = term.fresh()
    next(e for e in events if e["event_type"] == "sale.completed")["payload"]["total"] = 100.0
    body = term.refused(lambda: term.push(events), 422, "invalid_request")
    assert "payload.total is a float" in body["message"]
    term.lands_once()


def test_a_batch_of_the_wrong_shape_is_refused(term: Terminal) -> None:
    spoilers: dict[str, Callable[[dict[str, Any]], Any]] = {
        "no terminal": lambda b: b.pop("terminal_id"),
        "no events key": lambda b: b.pop("events"),
        "no events": lambda b: b.update(events=[]),
        "events as an object": lambda b: b.update(events={}),
        "terminal as a number": lambda b: b.update(terminal_id=42),
        "terminal not a name": lambda b: b.update(terminal_id="lower case"),
        "unknown field": lambda b: b.update(since=0),
    }
    with term.unchanged():
        for why, spoil in spoilers.items():
            body = batch(term.name, term.fresh())
            spoil(body)
            term.refuses(lambda b=body: term.post(b), 422, "invalid_request", why)
    term.lands_once()


def test_an_unknown_event_type_is_refused_even_with_a_correct_hash(term: Terminal) -> None:
    events = term.fresh()
    events[6]["event_type"] = "sale.teleported"
    rechain(events)  # every hash right: only the type is wrong
    body = term.refused(lambda: term.push(events), 422, "invalid_request")
    assert "sale.teleported" in body["message"]
    term.lands_once()


def test_a_nul_character_in_a_stored_text_field_is_refused(term: Terminal) -> None:
    """PostgreSQL cannot store NUL in text: refused alike on every backend, never a 500."""
    with term.unchanged():
        for field in ("created_at", "employee_id", "approved_by"):
            events = term.fresh()
            events[6][field] = "cash\x00ier"
            rechain(events)
            body = term.refuses(lambda ev=events: term.push(ev), 422, "invalid_request", field)
            assert field in body["message"], body
    term.lands_once()


# --- batches that do not hold together, or do not fit what the central holds ---------------


def test_a_hash_that_does_not_match_the_content_is_refused(term: Terminal) -> None:
    events = term.fresh()
    events[2]["payload"]["code"] = "intruder"  # altered after hashing
    body = term.refused(lambda: term.push(events), 422, "hash_mismatch")
    assert body["seq"] == 3
    term.lands_once()


def test_a_broken_chain_inside_a_batch_is_refused(term: Terminal) -> None:
    events = term.fresh()
    events[3]["prev_hash"] = "f" * 64
    seal(events[3])  # its own hash is right; it just does not follow seq 3
    term.refused(lambda: term.push(events), 422, "broken_chain")
    term.lands_once()


def test_seqs_that_skip_inside_a_batch_are_refused(term: Terminal) -> None:
    events = term.fresh()
    del events[4]
    rechain(events)  # a perfect chain, but seq 4 is followed by seq 6
    body = term.refused(lambda: term.push(events), 422, "not_contiguous")
    assert "Seq 6" in body["message"]
    term.lands_once()


def test_an_event_of_another_terminal_inside_the_batch_is_refused(
    term: Terminal, central: Central
) -> None:
    other, _ = central.register()
    events = term.fresh()
    events[1]["terminal_id"] = other
    rechain(events)
    body = term.refused(lambda: term.push(events), 422, "wrong_terminal")
    assert body["seq"] == 2
    term.lands_once()


def test_a_batch_beyond_the_high_water_mark_is_a_gap(term: Terminal) -> None:
    body = term.refused(lambda: term.push(term.events[1:]), 409, "gap")
    assert (body["expected_seq"], body["acked_seq"]) == (1, 0)
    term.ok(term.events[:3])
    body = term.refused(lambda: term.push(term.events[5:]), 409, "gap")
    assert body["expected_seq"] == 4
    assert (body["acked_seq"], body["acked_hash"]) == (3, term.events[2]["hash"])
    term.lands_once()


def test_a_stored_event_id_on_a_new_event_is_refused(term: Terminal, central: Central) -> None:
    term.ok(term.events[:4])
    events = term.fresh()[4:]
    events[0]["event_id"] = term.events[1]["event_id"]  # seq 2's id, now on seq 5
    rechain(events)
    body = term.refused(lambda: term.push(events), 409, "event_id_reused")
    assert body["event_id"] == term.events[1]["event_id"]
    assert body["acked_seq"] == 4
    # an id another terminal already used is just as taken
    other, token = central.register()
    theirs = synthetic(other, 1)
    taken = term.http.post("/v1/journal", json=batch(other, theirs), headers=term.auth(token))
    assert taken.status_code == 200, taken.text
    events[0]["event_id"] = theirs[0]["event_id"]
    rechain(events)
    term.refused(lambda: term.push(events), 409, "event_id_reused")
    term.lands_once()


def test_one_event_id_twice_in_a_batch_is_refused(term: Terminal) -> None:
    events = term.fresh()
    events[6]["event_id"] = events[5]["event_id"]
    rechain(events)
    body = term.refused(lambda: term.push(events), 422, "duplicate_event_id")
    assert body["seq"] == 7
    term.lands_once()


def test_a_resent_event_with_a_different_body_is_a_fork(term: Terminal) -> None:
    term.ok(term.events[:4])
    events = term.fresh()
    events[2]["payload"]["name"] = "Someone Else"
    rechain(events)
    body = term.refused(lambda: term.push(events), 409, "fork")
    assert (body["seq"], body["expected_hash"]) == (3, term.events[2]["hash"])
    term.lands_once()


def test_a_payload_number_too_big_for_a_column_is_stored_and_flagged(term: Terminal) -> None:
    """Projection flags what it cannot read rather than refusing it, and never answers 500."""
    events = synthetic(term.name, 2)
    events[0].update(
        event_type="register.opened", payload={"session_id": 1, "opening_float": 10**20}
    )
    events[1].update(
        event_type="register.opened", payload={"session_id": 2**40, "opening_float": 1}
    )
    rechain(events, GENESIS_HASH)
    answer = term.ok(events)
    assert answer["stored"] == 2 and 1 in answer["flagged"]
    assert term.central.events(term.name) == [(e["seq"], e["hash"], e["event_id"]) for e in events]
    assert term.central.stats(term.name)["flagged"] == len(answer["flagged"])


# --- who may push ---------------------------------------------------------------------------


def test_no_token_is_refused(term: Terminal) -> None:
    body = batch(term.name, term.events)
    with term.unchanged():
        for why, headers in [
            ("no header", {}),
            ("not bearer", {"Authorization": f"Basic {term.token}"}),
            ("bearer without a token", {"Authorization": "Bearer"}),
        ]:
            term.refuses(
                lambda h=headers: term.http.post("/v1/journal", json=body, headers=h),
                401,
                "no_token",
                why,
            )
        term.refuses(lambda: term.http.get("/v1/journal/head"), 401, "no_token", "head")
        term.refuses(lambda: term.http.get("/v1/master"), 401, "no_token", "master")
    term.lands_once()


def test_a_wrong_token_is_refused(term: Terminal) -> None:
    wrong = term.token[:-4] + "XXXX"
    term.refused(lambda: term.post(batch(term.name, term.events), token=wrong), 401, "bad_token")
    term.lands_once()


def test_a_token_cannot_push_another_terminals_events(term: Terminal, central: Central) -> None:
    other, token = central.register()
    theirs = central.events(other), central.stats(other)
    body = term.refused(
        lambda: term.post(batch(term.name, term.events), token=token), 403, "wrong_terminal"
    )
    assert other in body["message"] and term.name in body["message"]
    assert (central.events(other), central.stats(other)) == theirs
    term.lands_once()


# --- master data, other routes, the documentation -------------------------------------------


def test_master_data_paging_out_of_range_is_refused(term: Terminal) -> None:
    with term.unchanged():
        for query in ["since=-1", "limit=0", "limit=100000", "since=abc", f"since={10**30}"]:
            term.refuses(
                lambda q=query: term.http.get(f"/v1/master?{q}", headers=term.auth()),
                422,
                "invalid_request",
                query,
            )
    assert term.http.get("/v1/master?since=0&limit=1", headers=term.auth()).status_code == 200
    term.lands_once()


def test_an_unknown_route_or_method_is_a_json_refusal(term: Terminal) -> None:
    with term.unchanged():
        term.refuses(lambda: term.http.get("/v1/nowhere", headers=term.auth()), 404, None)
        term.refuses(lambda: term.http.put("/v1/journal", headers=term.auth()), 405, None)


def test_the_openapi_document_describes_every_route(http: httpx.Client) -> None:
    response = http.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/v1/journal", "/v1/journal/head", "/v1/master", "/v1/health"):
        assert path in paths, sorted(paths)
    assert "post" in paths["/v1/journal"] and "get" in paths["/v1/master"]
