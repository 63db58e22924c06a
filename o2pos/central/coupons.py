"""Coupons' usage limits counted across a store: the central is the record of every use.

A coupon (master data, company-wide) may carry a ``usage_limit``; each store counts its
uses against it on its own. Online, a till reserves a use when the cashier puts a coupon
on a bill (``reserve``), under the bill's sale uuid: asking again with it is the same use,
never a second one, and two tills can never hold more uses than the limit leaves. Taking
the coupon off the bill, or voiding the bill, releases it (``release``); a bill left open
lets its lease run out.

The sale's ``sale.completed`` (its ``coupon``) is what makes a use count: projecting it
turns the sale's reservation into a use, or adds one when there was none (taken offline).
A use that takes the store beyond the limit is accepted, as it happened, and its event is
flagged ``coupon over limit`` (counted in ``o2pos central stats``), never refused.

Every change of a store's count is published as master data (kind ``coupon_use``, served
only to that store's tills), so a till knows the store-wide count when it cannot ask.

Locks: a coupon's uses are counted under one ``counter`` row per store and code
(``coupon:<store>:<code>``), taken before the master counter and before sales, in code
order, by reservations and by projection alike, so two of them never wait on each other
in a circle on PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from peewee import fn

from .models import Counter, CouponUse, MasterRecord, Terminal
from .orders import OrderRefusal
from .store import is_postgres, now, write

CODE_LENGTH = 64  # coupon_use.code
DEFAULT_LEASE = 4 * 3600  # a bill stays open a while: a parked bill keeps its coupon
MAX_LEASE = 86400
OVER_LIMIT = "coupon over limit"  # how stats recognise these flags
MASTER_KIND = "coupon_use"


def master_key(store: str, code: str) -> str:
    return f"{store}:{code}"


def _lock(store: str, codes: list[str]) -> None:
    """Take the rows a store's uses of ``codes`` are counted under, in code order."""
    for code in sorted(set(codes)):
        name = f"coupon:{store}:{code}"
        Counter.insert(name=name, value=0).on_conflict_ignore().execute()
        query = Counter.select().where(Counter.name == name)
        if is_postgres():
            query = query.for_update()
        query.first()


def _limit(code: str) -> tuple[bool, int | None]:
    """Whether the company has coupon ``code``, and its usage limit (None: unlimited)."""
    row = MasterRecord.get_or_none(MasterRecord.kind == "coupon", MasterRecord.key == code)
    if row is None:
        return False, None
    limit = json.loads(row.data).get("usage_limit")
    return True, limit if isinstance(limit, int) else None


def used_count(store: str, code: str) -> int:
    return int(
        CouponUse.select(fn.COUNT(CouponUse.id))
        .where(CouponUse.store == store, CouponUse.code == code, CouponUse.state == "used")
        .scalar()
        or 0
    )


def _held(store: str, code: str, moment: datetime, *, but: str) -> int:
    return int(
        CouponUse.select(fn.COUNT(CouponUse.id))
        .where(
            CouponUse.store == store,
            CouponUse.code == code,
            CouponUse.state == "held",
            CouponUse.expires_at > moment,
            CouponUse.reservation_id != but,
        )
        .scalar()
        or 0
    )


def _code(code: str) -> str:
    code = code.strip().upper()
    known, _ = _limit(code)
    if not known:
        raise OrderRefusal(404, "not_found", f"No coupon {code}", {})
    return code


def _view(row: CouponUse, limit: int | None, used: int, held: int) -> dict[str, Any]:
    return {
        "code": row.code,
        "reservation_id": row.reservation_id,
        "state": row.state,
        "expires_at": row.expires_at.isoformat(timespec="seconds") + "Z",
        "usage_limit": limit,
        "used_count": used,
        # what no bill holds yet: this one's hold is taken too
        "left": None if limit is None else max(0, limit - used - held - (row.state == "held")),
    }


def reserve(
    terminal: Terminal, code: str, reservation_id: str, lease_seconds: int = DEFAULT_LEASE
) -> dict[str, Any]:
    """Hold one use of a coupon for this till's bill; idempotent by the sale's uuid.

    Refused (409 ``used_up``) when the store's uses and other tills' live holds reach the
    limit. The same sale asking again renews its hold (a fresh lease), and a use already
    counted (the sale is in) is answered as it is: never a second use.
    """
    code = _code(code)
    _, limit = _limit(code)
    moment = now()
    store = terminal.store
    with write():
        _lock(store, [code])
        row = CouponUse.get_or_none(
            CouponUse.store == store,
            CouponUse.code == code,
            CouponUse.reservation_id == reservation_id,
        )
        if row is not None and row.terminal != terminal.name:
            raise OrderRefusal(
                409, "reservation_conflict", "Another till's sale holds this reservation id", {}
            )
        used = used_count(store, code)
        if row is not None and row.state == "used":
            return _view(row, limit, used, _held(store, code, moment, but=reservation_id))
        held = _held(store, code, moment, but=reservation_id)
        if limit is not None and used + held >= limit:
            raise OrderRefusal(
                409,
                "used_up",
                f"Coupon {code} is used up in this store: {used} of {limit} used"
                + (f", {held} on open bills at other counters" if held else ""),
                {"usage_limit": limit, "used_count": used, "held": held},
            )
        expires = moment + timedelta(seconds=lease_seconds)
        if row is None:
            CouponUse.insert(
                store=store,
                code=code,
                reservation_id=reservation_id,
                terminal=terminal.name,
                state="held",
                created_at=moment,
                expires_at=expires,
            ).execute()
        else:  # asked again, or put back on the bill after it was taken off: held anew
            CouponUse.update(state="held", expires_at=expires).where(
                CouponUse.id == row.id
            ).execute()
        row = CouponUse.get(
            CouponUse.store == store,
            CouponUse.code == code,
            CouponUse.reservation_id == reservation_id,
        )
        return _view(row, limit, used, held)


def release(terminal: Terminal, code: str, reservation_id: str) -> bool:
    """Give a held use back (the coupon left the bill); whether this till held one."""
    code = _code(code)
    with write():
        _lock(terminal.store, [code])
        done = (
            CouponUse.update(state="released")
            .where(
                CouponUse.store == terminal.store,
                CouponUse.code == code,
                CouponUse.reservation_id == reservation_id,
                CouponUse.terminal == terminal.name,
                CouponUse.state == "held",
            )
            .execute()
        )
    return bool(done)


# --- projection (inside ingest's transaction, called by projection.BatchProjector) ---------


@dataclass
class CouponBook:
    """The uses of coupons a batch's sales name, locked for the batch (before anything the
    projection writes), counted as the batch goes."""

    store: str
    terminal: str
    limits: dict[str, int | None] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, terminal: str, uses: list[tuple[str, str]]) -> CouponBook:
        """``uses``: (code, sale uuid) of each coupon the batch's sales took."""
        book = cls(store="", terminal=terminal)
        if not uses:  # most batches: no coupon, nothing to read or lock
            return book
        row = Terminal.get_or_none(Terminal.name == terminal)
        book.store = row.store if row is not None else ""
        codes = sorted({code for code, _ in uses if 0 < len(code) <= CODE_LENGTH})
        _lock(book.store, codes)
        for code in codes:
            book.limits[code] = _limit(code)[1]
            book.used[code] = used_count(book.store, code)
        for use in CouponUse.select().where(
            CouponUse.store == book.store,
            CouponUse.code.in_(codes),
            CouponUse.reservation_id.in_(sorted({uuid for _, uuid in uses})),
        ):
            book.rows[(use.code, use.reservation_id)] = {
                "id": use.id,
                "terminal": use.terminal,
                "state": use.state,
                "changed": False,
            }
        return book

    def use(self, event_id: int, code: str, sale_uuid: str, flags: list[str]) -> Any:
        """A sale that took coupon ``code``: its use counted, flagged beyond the limit;
        a step to run once the event reads cleanly."""
        code = code.strip().upper()
        if code not in self.used:  # a code no coupon_use row can hold: nothing to count
            flags.append(f"a coupon code of {len(code)} characters: not counted")
            return None
        row = self.rows.get((code, sale_uuid))
        if row is not None and row["state"] == "used":
            return None  # counted before (the same sale again is no second use)
        if row is not None and row["terminal"] != self.terminal:
            flags.append(f"coupon {code}: sale {sale_uuid} is reserved by another till")
            return None
        limit = self.limits.get(code)
        after = self.used[code] + 1
        if limit is not None and after > limit:
            how = (
                "under an expired hold"
                if row is not None and row["state"] == "held"
                else ("offline")
            )
            flags.append(f"{OVER_LIMIT}: {code} used {how} as use {after} of {limit}")

        def step() -> None:
            self.used[code] = after
            self.changed.add(code)
            if row is not None:
                row.update(state="used", event=event_id, changed=True)
            else:
                self.rows[(code, sale_uuid)] = {
                    "new": True,
                    "code": code,
                    "reservation_id": sale_uuid,
                    "state": "used",
                    "event": event_id,
                    "terminal": self.terminal,
                    "changed": True,
                }

        return step

    def write(self) -> None:
        """Uses in, and each changed count published to the store's tills."""
        from .master import put  # master data builds on the store; imported when needed

        moment = now()
        for row in self.rows.values():
            if not row["changed"]:
                continue
            if row.get("new"):
                CouponUse.insert(
                    store=self.store,
                    code=row["code"],
                    reservation_id=row["reservation_id"],
                    terminal=self.terminal,
                    state="used",
                    created_at=moment,
                    expires_at=moment,
                    event=row["event"],
                ).on_conflict_ignore().execute()
            else:
                CouponUse.update(state="used", event=row["event"]).where(
                    CouponUse.id == row["id"]
                ).execute()
        for code in sorted(self.changed):
            data = {"store": self.store, "code": code, "used_count": self.used[code]}
            put(MASTER_KIND, master_key(self.store, code), data)
