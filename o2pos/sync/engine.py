"""Flush the journal, pull master data, and decide when to try again.

The flusher sends contiguous batches after the acknowledged seq, one at a time, and moves
the cursor only with the central's answer in hand; if the answer is lost (a dropped
connection after the central committed), the same batch is sent again and the central
acknowledges it without storing it twice. Transient failures back off exponentially with
full jitter, at least as long as the central's Retry-After; a fork, a revoked token or a
refused batch stop and stay on screen until a push succeeds.

Two more alerts: ``damaged``, when the journal no longer holds what was written or what the
central acknowledged (``core.integrity``, checked before every push: nothing is sent from
such a chain), and ``stuck``, when the central has answered with an error round after round,
which backoff alone would retry silently for ever.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o2pos.core import integrity, masterdata, pinwrap, syncstate
from o2pos.core.context import Context
from o2pos.core.errors import DomainError
from o2pos.core.filelock import ProcessLock
from o2pos.threads import spawn

from .client import CentralClient, SyncError

TRANSIENT = frozenset({"offline", "busy"})
# Rounds in a row the central answers with an error (5xx, 429/503, an unreadable answer)
# before the till says ``stuck`` instead of "offline". With backoff from 1 s doubling (full
# jitter), the eighth round comes about a minute after the first (two at most): longer than
# a central restarting behind a proxy that answers 502 meanwhile, or an overload that clears
# within a Retry-After or two, whereas a batch the central cannot take fails the same way
# every time and blocks every sale behind it. A false alarm clears at the next good push.
STUCK_AFTER = 8


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter (delay drawn from 0 .. base·2^n)."""

    base: float = 1.0
    cap: float = 120.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next(self, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        delay = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, 3600.0))
        return delay

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class Outcome:
    """What one round did; ``state`` is what the status bar and F12 show."""

    state: str
    online: bool
    sent: int = 0
    pulled: int = 0
    error: str = ""
    retry_after: float | None = None
    busy_pid: int | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


class Wire:
    """The push's requests, each in a thread of its own while the round reads the next batch.

    Daemon threads, so a till that is closing never waits for an answer: a central that
    holds a request unanswered held the closed till for the request's whole timeout. What
    was in flight is sent again next time, and the central stores it once. Within a run,
    ``settle`` keeps one batch in flight across rounds too."""

    def __init__(self) -> None:
        self._last: Future[dict[str, Any]] | None = None

    def submit(
        self, push: Callable[[str, bytes], dict[str, Any]], terminal: str, events: bytes
    ) -> Future[dict[str, Any]]:
        self._last, _ = spawn("o2pos-push", push, terminal, events)
        return self._last

    def settle(self) -> None:
        """Wait for the request still in flight, if any (its answer is not needed)."""
        if self._last is not None:
            self._last.exception()


class SyncEngine:
    def __init__(
        self,
        ctx: Context,
        client: CentralClient,
        *,
        lock_path: Path,
        batch_size: int = 200,
        interval: float = 5.0,
        rng: random.Random | None = None,
        before_ack: Callable[[dict], None] | None = None,
        key: str = "",
    ) -> None:
        self.ctx = ctx
        self.client = client
        # opens the PIN verifiers the central seals for this terminal ([central] key)
        self.key = key
        self.lock = ProcessLock(lock_path)
        self.batch_size = batch_size
        self.interval = interval
        self.backoff = Backoff(rng=rng or random.Random())
        self.server_errors = 0  # rounds in a row the central answered with an error
        # a hook between the central's answer and recording it: tests use it to crash there
        self._before_ack = before_ack

    # --- pushing ---------------------------------------------------------------------
    def flush(self) -> Outcome:
        """Send everything pending, batch by batch; stops at the first failure."""
        if not self.lock.acquire():
            return Outcome("busy", False, busy_pid=self.lock.holder())
        try:
            return self._flush()
        finally:
            self.lock.release()

    def _flush(self) -> Outcome:
        """Push batch after batch. While one is on its way (the request runs in a thread),
        the next is checked (``integrity.check`` through its last row) and read, so the
        till's share of a flush hides behind the central's: one batch is still in flight
        at a time, and a row goes out only once a check has found it intact."""
        size = self.batch_size
        health = integrity.check(self.ctx, through=syncstate.acked(self.ctx)[0] + size)
        if not health.ok:
            return Outcome("damaged", False, error=integrity.describe(health))
        wire = Wire()
        try:
            outcome = self._push_all(wire, health)
        finally:
            wire.settle()
        if outcome.state not in ("ok", "damaged"):
            # the round stopped before its checks reached the end of the journal (the
            # central is out of reach, say): finish them, so that damage is said at once,
            # offline too, and the checkpoint covers every row written (rows cut from the
            # end are caught by it)
            whole = integrity.check(self.ctx)
            if not whole.ok:
                error = integrity.describe(whole)
                return Outcome("damaged", outcome.online, outcome.sent, error=error)
        return outcome

    def _push_all(self, wire: Wire, health: integrity.VerifyResult) -> Outcome:
        sent = 0
        rewinds = 0
        size = self.batch_size
        terminal = self.ctx.terminal_id

        def send(batch: syncstate.Batch | None) -> Future[dict[str, Any]] | None:
            return None if batch is None else wire.submit(self.client.push, terminal, batch.events)

        # only rows a check found intact (each check reaches a batch further)
        batch = syncstate.pending_batch(self.ctx, size, through=health.last_seq)
        request = send(batch)
        while batch is not None and request is not None:
            ahead = integrity.check(self.ctx, through=batch.last_seq + size)
            following = (
                syncstate.pending_batch(
                    self.ctx, size, through=ahead.last_seq, after=batch.last_seq
                )
                if ahead.ok
                else None
            )
            try:
                answer = request.result()
                if self._before_ack is not None:
                    self._before_ack(answer)
                acked, digest = int(answer["acked_seq"]), str(answer["acked_hash"])
            except SyncError as exc:
                if exc.kind == "too_large" and batch.count > 1:
                    # big sales can make a batch exceed what the central parses: halve it
                    # rather than send the same refused batch round after round
                    size = batch.count // 2
                    batch = syncstate.pending_batch(self.ctx, size, through=health.last_seq)
                    request = send(batch)
                    continue
                if exc.kind == "too_large":
                    state = "rejected"
                    error = f"Event seq {batch.first_seq} alone is too large: {exc.message}"
                    return Outcome(state, True, sent, error=error)
                if exc.kind == "gap" and rewinds < 3:
                    rewinds += 1
                    outcome = self._rewind(exc)
                    if outcome is None:
                        batch = syncstate.pending_batch(self.ctx, size, through=health.last_seq)
                        request = send(batch)
                        continue
                    return outcome
                state = "offline" if exc.kind in TRANSIENT else exc.kind
                return Outcome(
                    state, exc.online, sent, error=exc.message, retry_after=exc.retry_after
                )
            except (KeyError, TypeError, ValueError) as exc:
                return Outcome("offline", True, sent, error=f"Unreadable answer: {exc}")
            # the central holds this batch whole: the next one goes at once, and this answer
            # is recorded while it travels (a till stopped in between sends both again, and
            # the central acknowledges what it has without storing it twice)
            early = following if ahead.ok and acked == batch.last_seq else None
            request = send(early)
            try:
                moved = syncstate.record_ack(self.ctx, acked, digest)
            except syncstate.AckMismatch as exc:
                return Outcome("fork", True, sent, error=str(exc))
            if not moved:  # a central that answers without taking the batch: no hot loop
                return Outcome(
                    "rejected", True, sent, error="The central did not acknowledge the batch"
                )
            sent += batch.count
            if not ahead.ok:  # what was sent was checked; what follows is not sent
                return Outcome("damaged", True, sent, error=integrity.describe(ahead))
            health = ahead
            if early is None:
                # the central holds another amount than this batch (more: a batch a stopped
                # till sent), or nothing more was ready: go on from the acknowledged seq,
                # checked a batch beyond it
                health = integrity.check(self.ctx, through=acked + size)
                if not health.ok:
                    return Outcome("damaged", True, sent, error=integrity.describe(health))
                early = syncstate.pending_batch(self.ctx, size, through=health.last_seq)
                request = send(early)
            batch = early
        return Outcome("ok", True, sent=sent)

    def _rewind(self, exc: SyncError) -> Outcome | None:
        """The central is behind what we thought: resend from the seq it expects."""
        details = exc.details
        try:
            seq = int(details["acked_seq"])
            digest = str(details["acked_hash"])
            syncstate.rewind(self.ctx, seq, digest)
        except (KeyError, TypeError, ValueError):
            return Outcome("rejected", True, error=exc.message)
        except syncstate.AckMismatch as mismatch:
            return Outcome("fork", True, error=str(mismatch))
        return None

    # --- pulling ---------------------------------------------------------------------
    def pull(self) -> Outcome:
        """Apply master data changed since our cursor, one page per transaction.

        Under the same lock as pushing, so two processes never apply pages out of order.
        """
        if not self.lock.acquire():
            return Outcome("busy", False, busy_pid=self.lock.holder())
        try:
            return self._pull()
        finally:
            self.lock.release()

    def _pull(self) -> Outcome:
        pulled = 0
        for _ in range(1000):  # a bound, not a limit anyone should reach
            since = syncstate.master_version(self.ctx)
            try:
                answer = self.client.master(since)
                records = answer["records"]
                version = int(answer["version"])
                if not isinstance(records, list):
                    raise TypeError("records is not a list")
                records = pinwrap.unwrap_records(records, self.key, self.ctx.terminal_id)
                masterdata.apply(self.ctx, records, version, reset=bool(answer.get("reset")))
            except SyncError as exc:
                state = "offline" if exc.kind in TRANSIENT else exc.kind
                return Outcome(state, exc.online, pulled=pulled, error=exc.message)
            except (DomainError, KeyError, TypeError, ValueError) as exc:
                return Outcome("rejected", True, pulled=pulled, error=f"Master data refused: {exc}")
            pulled += len(records)
            if not answer.get("more"):
                break
        return Outcome("ok", True, pulled=pulled)

    def _locked_round(self, pull: bool) -> Outcome:
        """Pull first, then push: a pull that changed something journals ``master.applied``,
        and pushing after it sends that event in the same round, so a round that ends with
        nothing pending leaves nothing for the next one to send."""
        pulled = self._pull() if pull else None
        outcome = self._flush()
        if pulled is not None:
            outcome.pulled = pulled.pulled
            if outcome.state == "damaged" and not outcome.sent:
                # no push was taken: the pull says whether the central answered
                outcome.online = pulled.online
            if outcome.ok and (not pulled.ok or pulled.error):
                outcome.state = pulled.state
                outcome.online = pulled.online
                outcome.error = pulled.error
        return outcome

    # --- one round -------------------------------------------------------------------
    def run_once(self, *, pull: bool = True) -> Outcome:
        """Pull, then push, then record what happened where every process can read it."""
        # the whole round under one hold of the lock: no other process between push and pull
        if not self.lock.acquire():
            return Outcome("busy", False, busy_pid=self.lock.holder())
        try:
            outcome = self._locked_round(pull)
        finally:
            self.lock.release()
        self._count_server_errors(outcome)
        syncstate.note(
            self.ctx,
            state=outcome.state,
            online=outcome.online,
            error=outcome.error,
            success=outcome.ok and not outcome.error,
        )
        return outcome

    def _count_server_errors(self, outcome: Outcome) -> None:
        """An error answered by the central (not a network failure) STUCK_AFTER rounds in a
        row turns the round into the ``stuck`` alert, with the central's error in it."""
        if outcome.state != "offline" or not outcome.online:
            self.server_errors = 0
            return
        self.server_errors += 1
        if self.server_errors >= STUCK_AFTER:
            outcome.state = "stuck"
            outcome.error = (
                f"The central has answered with an error {self.server_errors} rounds in a "
                f"row; {syncstate.pending_count(self.ctx)} events wait: {outcome.error}"
            )

    def next_delay(self, outcome: Outcome) -> float:
        """Seconds until the next round: the interval when healthy, backoff otherwise."""
        if outcome.ok or outcome.state == "busy":
            self.backoff.reset()
            return self.interval
        if outcome.state in syncstate.ALERT_STATES:
            # a person has to act; look again now and then in case they did
            return max(self.interval, 60.0, min(outcome.retry_after or 0.0, 3600.0))
        return self.backoff.next(outcome.retry_after)
