"""Gift vouchers and credit notes of a store: one balance for every till of it.

The ``stored_value`` row of a code is made when the issuing till's event is projected
(``voucher.issued``, or a ``return.completed`` refunded as a credit note, for that return's
total); every gift voucher or credit note line of a ``payments`` list (``sale.completed``,
``receipt.recorded``) is a redemption of the code in its ``reference``, projected here too.

Online, a till reserves the amount before it takes the voucher (``reserve``): a hold against
the balance under an id the till picks, so asking again with it is the same reservation and
two tills can never hold more than the balance. The payment line in the till's event names
the reservation; projecting it consumes exactly that reservation, once. A line without one
was accepted offline: it is applied as it happened, and if it takes the balance below zero,
or names a code this store does not hold, its event is flagged ``double spent`` (counted in
``o2pos central stats``), never refused, never merged silently.

Every balance change is published as master data (kind ``voucher``, served only to tills of
the store), so a till shows balances as last pulled when it cannot ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from peewee import fn

from .models import StoredValue, Terminal, VoucherReservation
from .orders import OrderRefusal
from .store import is_postgres, now, write

KINDS = ("gift_voucher", "credit_note")
CODE_LENGTH = 64  # stored_value.code
MAX_LEASE = 86400  # a day: a payment taken offline after reserving still finds its hold
DEFAULT_LEASE = 900
DOUBLE_SPENT = "double spent"  # how stats recognise these flags
MASTER_KIND = "voucher"


def master_key(store: str, code: str) -> str:
    return f"{store}:{code}"


def _today() -> str:
    return now().date().isoformat()


def _held(voucher_id: int, moment: Any, *, but: str | None = None) -> int:
    """What live reservations hold of a voucher (besides reservation ``but``)."""
    query = VoucherReservation.select(fn.COALESCE(fn.SUM(VoucherReservation.amount), 0)).where(
        VoucherReservation.voucher == voucher_id,
        VoucherReservation.state == "held",
        VoucherReservation.expires_at > moment,
    )
    if but is not None:
        query = query.where(VoucherReservation.reservation_id != but)
    return int(query.scalar() or 0)


def _state(voucher: StoredValue, held: int) -> str:
    if voucher.expires is not None and voucher.expires < _today():
        return "expired"
    if voucher.balance - held <= 0:
        return "spent" if held == 0 else "held"
    return "active"


def _find(store: str, code: str, *, lock: bool = False) -> StoredValue:
    query = StoredValue.select().where(
        StoredValue.store == store, StoredValue.code == code.strip().upper()
    )
    if lock and is_postgres():
        query = query.for_update()
    voucher = query.first()
    if voucher is None:
        raise OrderRefusal(
            404, "not_found", f"No gift voucher or credit note {code.strip()} in store {store}", {}
        )
    return voucher


def _view(voucher: StoredValue, held: int) -> dict[str, Any]:
    return {
        "code": voucher.code,
        "kind": voucher.kind,
        "amount": voucher.amount,
        "balance": voucher.balance,
        "available": max(0, voucher.balance - held),
        "expires": voucher.expires,
        "issued_by": voucher.terminal,
        "state": _state(voucher, held),
    }


def lookup(terminal: Terminal, code: str) -> dict[str, Any]:
    """A voucher of the terminal's store as the central holds it now."""
    voucher = _find(terminal.store, code)
    return _view(voucher, _held(voucher.id, now()))


def _reservation(row: VoucherReservation, voucher: StoredValue, held: int) -> dict[str, Any]:
    return {
        "reservation_id": row.reservation_id,
        "amount": row.amount,
        "state": row.state,
        "expires_at": row.expires_at.isoformat(timespec="seconds") + "Z",
        "voucher": _view(voucher, held),
    }


def reserve(
    terminal: Terminal, code: str, reservation_id: str, amount: int, lease_seconds: int
) -> dict[str, Any]:
    """Hold ``amount`` of a voucher for this till's payment; idempotent by reservation id.

    Refused (409) when the voucher has expired or less than ``amount`` is free of other
    holds (``balance`` says how much is); a reservation already redeemed is answered as it
    is, so a till whose answer was lost and that asks again never holds twice.
    """
    moment = now()
    with write():
        voucher = _find(terminal.store, code, lock=True)
        row = VoucherReservation.get_or_none(VoucherReservation.reservation_id == reservation_id)
        if row is not None and (row.voucher_id != voucher.id or row.terminal != terminal.name):
            raise OrderRefusal(
                409, "reservation_conflict", "This reservation id holds another voucher", {}
            )
        if row is not None and row.state == "released":
            raise OrderRefusal(409, "released", "This reservation was released", {})
        if row is not None and row.state == "redeemed":
            return _reservation(row, voucher, _held(voucher.id, moment))
        if voucher.expires is not None and voucher.expires < moment.date().isoformat():
            raise OrderRefusal(
                409, "expired", f"{voucher.code} expired on {voucher.expires}", {"balance": 0}
            )
        wanted = row.amount if row is not None else amount
        free = voucher.balance - _held(voucher.id, moment, but=reservation_id)
        if wanted > free:
            raise OrderRefusal(
                409,
                "insufficient",
                f"{voucher.code} has only {max(0, free)} left (minor units)",
                {"balance": max(0, free)},
            )
        expires = moment + timedelta(seconds=lease_seconds)
        if row is None:
            VoucherReservation.insert(
                reservation_id=reservation_id,
                voucher=voucher.id,
                terminal=terminal.name,
                amount=wanted,
                created_at=moment,
                expires_at=expires,
            ).execute()
        else:  # renewed: the same hold, a fresh lease
            VoucherReservation.update(expires_at=expires).where(
                VoucherReservation.reservation_id == reservation_id
            ).execute()
        row = VoucherReservation.get_by_id(reservation_id)
        return _reservation(row, voucher, _held(voucher.id, moment))


def release(terminal: Terminal, code: str, reservation_id: str) -> bool:
    """Give a hold up (the cashier took another tender); whether one was held."""
    with write():
        voucher = _find(terminal.store, code, lock=True)
        done = (
            VoucherReservation.update(state="released")
            .where(
                VoucherReservation.reservation_id == reservation_id,
                VoucherReservation.voucher == voucher.id,
                VoucherReservation.terminal == terminal.name,
                VoucherReservation.state == "held",
            )
            .execute()
        )
    return bool(done)


# --- projection (inside ingest's transaction, called by projection.BatchProjector) ---------


@dataclass
class _Voucher:
    """A stored_value row as the batch sees it, written back at the end if changed."""

    code: str
    kind: str
    terminal: str
    amount: int
    balance: int
    expires: str | None
    issued_at: str
    event: int | None
    id: int | None = None
    changed: bool = False


@dataclass
class VoucherBook:
    """The store's vouchers and reservations a batch touches, locked for the batch."""

    store: str
    terminal: str
    vouchers: dict[str, _Voucher] = field(default_factory=dict)
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # what the event being staged has taken so far, per code, and the holds it consumed:
    # its steps run only once it reads cleanly, but its second line must see its first
    taken: dict[str, int] = field(default_factory=dict)
    consumed: set[str] = field(default_factory=set)

    def next_event(self) -> None:
        self.taken.clear()
        self.consumed.clear()

    @classmethod
    def load(cls, terminal: str, codes: set[str], reservation_ids: set[str]) -> VoucherBook:
        book = cls(store="", terminal=terminal)
        if not codes:  # most batches: cash and cards only, nothing to read
            return book
        row = Terminal.get_or_none(Terminal.name == terminal)
        book.store = row.store if row is not None else ""
        # one after the other in code order: two batches never wait on each other's locks
        query = (
            StoredValue.select()
            .where(StoredValue.store == book.store, StoredValue.code.in_(sorted(codes)))
            .order_by(StoredValue.code)
        )
        if is_postgres():
            query = query.for_update()
        for v in query:
            book.vouchers[v.code] = _Voucher(
                v.code, v.kind, v.terminal, v.amount, v.balance, v.expires, v.issued_at,
                v.event_id, v.id,
            )  # fmt: skip
        if reservation_ids:
            for r in VoucherReservation.select().where(
                VoucherReservation.reservation_id.in_(sorted(reservation_ids))
            ):
                book.reservations[r.reservation_id] = {
                    "voucher": r.voucher_id,
                    "terminal": r.terminal,
                    "amount": r.amount,
                    "state": r.state,
                    "changed": False,
                }
        return book

    def issue(
        self,
        event_id: int,
        code: str,
        kind: str,
        amount: int,
        expires: str | None,
        issued_at: str,
        flags: list[str],
    ) -> Any:
        """A new voucher of the store, as a step to run once the event reads cleanly."""
        code = code.strip().upper()
        if kind not in KINDS:
            flags.append(f"{kind} is not a voucher kind: not issued centrally")
            return None
        if not 0 < len(code) <= CODE_LENGTH:  # a credit note's code is any text in its schema
            flags.append(f"a voucher code of {len(code)} characters: not issued centrally")
            return None
        if expires is not None:
            date.fromisoformat(expires)  # a ValueError flags the event as unreadable
        if code in self.vouchers:
            flags.append(f"{code} was issued before in store {self.store}: kept the first")
            return None
        voucher = _Voucher(code, kind, self.terminal, amount, amount, expires, issued_at, event_id)
        voucher.changed = True

        def step() -> None:
            self.vouchers[code] = voucher

        return step

    def redeem(
        self, kind: str, reference: str, amount: int, reservation_id: str | None, flags: list[str]
    ) -> Any:
        """A payment line taking ``amount`` off a voucher; flagged when it was double spent."""
        code = reference.strip().upper()
        voucher = self.vouchers.get(code)
        if voucher is None:
            flags.append(
                f"{DOUBLE_SPENT}: {kind} {code} is not one of store {self.store}'s (took {amount})"
            )
            return None
        held = self.reservations.get(reservation_id) if reservation_id else None
        ours = (voucher.id, self.terminal)
        if held is not None and (held["voucher"], held["terminal"]) != ours:
            held = None  # not this till's hold on this voucher: as if taken offline
        if held is not None and (held["state"] == "redeemed" or reservation_id in self.consumed):
            flags.append(
                f"{DOUBLE_SPENT}: reservation {reservation_id} on {code} was redeemed before;"
                f" not taken again"
            )
            return None
        after = voucher.balance - self.taken.get(code, 0) - amount
        self.taken[code] = self.taken.get(code, 0) + amount
        if held is not None and reservation_id is not None:
            self.consumed.add(reservation_id)
        if after < 0:
            how = "under an expired hold" if held is not None else "offline"
            flags.append(
                f"{DOUBLE_SPENT}: {code} took {amount} {how} with {after + amount} left"
                f" (balance now {after})"
            )

        def step() -> None:
            voucher.balance -= amount
            voucher.changed = True
            if held is not None:
                held.update(state="redeemed", changed=True)

        return step

    def write(self) -> None:
        from .master import put  # master data builds on the store; imported when needed

        for voucher in self.vouchers.values():
            if not voucher.changed:
                continue
            if voucher.id is None:
                StoredValue.insert(
                    store=self.store,
                    code=voucher.code,
                    kind=voucher.kind,
                    terminal=voucher.terminal,
                    amount=voucher.amount,
                    balance=voucher.balance,
                    expires=voucher.expires,
                    issued_at=voucher.issued_at,
                    event=voucher.event,
                ).on_conflict_ignore().execute()
                row = StoredValue.get(
                    StoredValue.store == self.store, StoredValue.code == voucher.code
                )
                if row.event_id != voucher.event:  # issued by another till's batch a moment ago
                    continue
                voucher.id = row.id
            else:
                StoredValue.update(balance=voucher.balance).where(
                    StoredValue.id == voucher.id
                ).execute()
            put(
                MASTER_KIND,
                master_key(self.store, voucher.code),
                {
                    "store": self.store,
                    "code": voucher.code,
                    "kind": voucher.kind,
                    "amount": voucher.amount,
                    "balance": voucher.balance,
                    "expires": voucher.expires,
                    "issued_by": voucher.terminal,
                },
            )
        for rid, held in self.reservations.items():
            if held["changed"]:
                VoucherReservation.update(state=held["state"]).where(
                    VoucherReservation.reservation_id == rid
                ).execute()


DEMO_ISSUER = "CENTRAL"


def load_demo(store: str, rows: list[tuple[str, int]]) -> None:
    """The demo's gift vouchers (code, amount), issued by the central itself for ``store``,
    so a demo till online takes them as any other store voucher. Added once; inside the
    caller's transaction."""
    from .master import put

    for code, amount in rows:
        if StoredValue.get_or_none(StoredValue.store == store, StoredValue.code == code):
            continue
        StoredValue.insert(
            store=store,
            code=code,
            kind="gift_voucher",
            terminal=DEMO_ISSUER,
            amount=amount,
            balance=amount,
            expires=None,
            issued_at=now().isoformat(timespec="seconds"),
        ).execute()
        data = {
            "store": store,
            "code": code,
            "kind": "gift_voucher",
            "amount": amount,
            "balance": amount,
            "expires": None,
            "issued_by": DEMO_ISSUER,
        }
        put(MASTER_KIND, master_key(store, code), data)
