"""Employees, roles, PINs and manager approval.

Role checks live here, below any UI: every core operation that needs a permission calls
``require``. Where the employee's role falls short, a manager approves by entering their
own code and PIN; ``approve`` turns that into an ``Approval`` and the operation records who
approved it, in its table and in its journal event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from o2pos.core import journal
from o2pos.core.context import Context
from o2pos.core.errors import (
    ApprovalRequired,
    AuthError,
    EmployeeLocked,
    NotFound,
    PermissionDenied,
    StateError,
    ValidationError,
)
from o2pos.core.models import Employee, LoginFailure, Role, RolePermission, StoreMeta
from o2pos.core.money import format_percent
from o2pos.core.settings import SecuritySettings


class Perm:
    SELL = "sell"
    TAKE_PAYMENT = "take_payment"
    DISCOUNT = "discount"
    PRICE_OVERRIDE = "price_override"
    VOID = "void"
    REFUND = "refund"
    OPEN_REGISTER = "open_register"
    CASH_MOVE = "cash_move"
    NO_SALE = "no_sale"
    CLOSE_REGISTER = "close_register"
    MANAGE_CUSTOMERS = "manage_customers"
    REPRINT = "reprint"
    REPORTS = "reports"
    MANAGE_CATALOG = "manage_catalog"
    MANAGE_STOCK = "manage_stock"
    APPROVE_STOCK = "approve_stock"
    MANAGE_EMPLOYEES = "manage_employees"
    UNLOCK_EMPLOYEES = "unlock_employees"
    DELIVER = "deliver"
    APPROVE_CREDIT = "approve_credit"


ALL_PERMISSIONS = sorted(v for k, v in vars(Perm).items() if k.isupper())

PERMISSION_LABELS = {
    Perm.SELL: "sell",
    Perm.TAKE_PAYMENT: "take payments",
    Perm.DISCOUNT: "give discounts",
    Perm.PRICE_OVERRIDE: "override prices",
    Perm.VOID: "void a bill",
    Perm.REFUND: "take returns and refund",
    Perm.OPEN_REGISTER: "open the cash register",
    Perm.CASH_MOVE: "put cash in or take cash out",
    Perm.NO_SALE: "open the drawer without a sale",
    Perm.CLOSE_REGISTER: "close the cash register",
    Perm.MANAGE_CUSTOMERS: "add customers",
    Perm.REPRINT: "reprint",
    Perm.REPORTS: "read reports",
    Perm.MANAGE_CATALOG: "change the catalog",
    Perm.MANAGE_STOCK: "move and count stock",
    Perm.APPROVE_STOCK: "approve stock differences",
    Perm.MANAGE_EMPLOYEES: "manage employees",
    Perm.UNLOCK_EMPLOYEES: "unlock an employee locked out by wrong PINs",
    Perm.DELIVER: "deliver the goods of bills marked for delivery",
    Perm.APPROVE_CREDIT: "give credit beyond a customer's limit or terms",
}

# A permission that comes with another: whoever manages employees may unlock them (so an
# administrator whose role came from a central older than ``unlock_employees`` still can).
IMPLIED_BY = {Perm.UNLOCK_EMPLOYEES: Perm.MANAGE_EMPLOYEES}

# The five roles O2VEND names, with what each may do alone and its discount limit.
DEFAULT_ROLES: dict[str, tuple[str, int, list[str]]] = {
    "administrator": ("Administrator", 10_000, ALL_PERMISSIONS),
    "store_manager": (
        "Store manager",
        5_000,
        [p for p in ALL_PERMISSIONS if p != Perm.MANAGE_EMPLOYEES],
    ),
    "cashier": (
        "Cashier",
        500,
        [
            Perm.SELL,
            Perm.TAKE_PAYMENT,
            Perm.DISCOUNT,
            Perm.OPEN_REGISTER,
            Perm.CASH_MOVE,
            Perm.MANAGE_CUSTOMERS,
            Perm.REPRINT,
            Perm.DELIVER,
        ],
    ),
    "billing_employee": (
        "Billing employee",
        500,
        [Perm.SELL, Perm.DISCOUNT, Perm.MANAGE_CUSTOMERS, Perm.REPRINT, Perm.DELIVER],
    ),
    "inventory": ("Inventory / delivery", 0, [Perm.MANAGE_STOCK, Perm.REPRINT, Perm.DELIVER]),
}

_PIN = re.compile(r"^\d{4,8}$", re.ASCII)

# Permissions that let their holder override what others may not do (the manager's PIN at
# someone else's till). A role holding any of them needs a longer PIN: a 4-digit PIN's
# verifier falls to a brute force in minutes, a 6-digit one takes a hundred times longer.
# ``discount`` and ``cash_move`` are left out: cashiers hold them for their own work, and
# an approval of either never goes beyond what the approver may do alone.
APPROVING_PERMISSIONS = frozenset(
    {
        Perm.PRICE_OVERRIDE,
        Perm.VOID,
        Perm.REFUND,
        Perm.NO_SALE,
        Perm.CLOSE_REGISTER,
        Perm.UNLOCK_EMPLOYEES,
        Perm.MANAGE_EMPLOYEES,
        Perm.APPROVE_STOCK,
        Perm.APPROVE_CREDIT,
    }
)
APPROVER_PIN_DIGITS = 6

# What a manager's PIN may allow someone else to do ("can a manager approve it?" in
# docs/roles.md). Anything else only an employee whose own role holds it may do: asking
# for a PIN that cannot allow it left the till asking again after every PIN.
OVERRIDABLE = frozenset(
    {
        Perm.DISCOUNT,
        Perm.PRICE_OVERRIDE,
        Perm.VOID,
        Perm.REFUND,
        Perm.CASH_MOVE,
        Perm.NO_SALE,
        Perm.CLOSE_REGISTER,
        Perm.APPROVE_STOCK,
        Perm.UNLOCK_EMPLOYEES,
        Perm.APPROVE_CREDIT,
    }
)
# what to do instead, where a manager's PIN cannot help
NOT_OVERRIDABLE_HINTS = {
    Perm.TAKE_PAYMENT: "save the bill unpaid; it is paid where payments are taken",
}


def check_new_pin(pin: str, role: str, permissions: Iterable[str]) -> None:
    """Refuse a PIN too short for ``role``, before anything is hashed or stored.

    Checked when an employee is added (on the till and on the central); PINs stored before
    this rule still sign in.
    """
    if not _PIN.match(pin):
        raise ValidationError("A PIN is 4 to 8 digits")
    approves = sorted(APPROVING_PERMISSIONS.intersection(permissions))
    if approves and len(pin) < APPROVER_PIN_DIGITS:
        what = ", ".join(PERMISSION_LABELS[p] for p in approves[:2])
        raise ValidationError(
            f"The {role.replace('_', ' ')} role needs a PIN of {APPROVER_PIN_DIGITS} to 8 digits: "
            f"it approves what others may not do ({what}{', ...' if len(approves) > 2 else ''})"
        )


def _maxmem(n: int, r: int) -> int:
    """scrypt needs 128·r·n bytes; Python's default cap (32 MiB) would refuse n ≥ 2**15."""
    return 129 * r * n + 1024 * 1024


def hash_pin(pin: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    """Salted scrypt; the parameters travel with the hash so they can be raised later."""
    if not _PIN.match(pin):
        raise ValidationError("A PIN is 4 to 8 digits")
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=_maxmem(n, r))
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        pin.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=32,
        maxmem=_maxmem(int(n), int(r)),
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def ensure_roles() -> None:
    for code, (name, max_bp, perms) in DEFAULT_ROLES.items():
        Role.get_or_create(code=code, defaults={"name": name, "max_discount_bp": max_bp})
        for perm in perms:
            RolePermission.get_or_create(role=code, permission=perm)


def permissions_of(employee: Employee) -> frozenset[str]:
    """The role's permissions, read once per loaded employee (a login reloads them)."""
    cached = employee.__dict__.get("_permissions")
    if cached is None:
        rows = RolePermission.select(RolePermission.permission).where(
            RolePermission.role == employee.role_id
        )
        cached = frozenset(row.permission for row in rows)
        employee.__dict__["_permissions"] = cached
    return cached


def has_permission(employee: Employee, permission: str) -> bool:
    held = permissions_of(employee)
    return permission in held or IMPLIED_BY.get(permission) in held


# Approvals handed out and not yet used: token -> (employee id, permission, deadline).
# An approval lives in memory only: it is good for one action, for a short while, on the
# till where the manager typed the PIN.
_GRANTS: dict[str, tuple[int, str, float]] = {}
APPROVAL_SECONDS = 120


@dataclass(frozen=True)
class Approval:
    """A manager's PIN, checked: one use of ``permission`` approved by ``employee``."""

    employee: Employee
    permission: str
    token: str

    @property
    def code(self) -> str:
        return self.employee.code


@dataclass(frozen=True)
class DiscountAuth:
    """Who approved a discount (None: the cashier's own call) and the limit it was given under."""

    approved_by: str | None
    limit_bp: int


def create_employee(
    ctx: Context, code: str, name: str, role: str, pin: str, *, actor: Employee | None = None
) -> Employee:
    """Add an employee; ``actor`` is None only while a store is set up (``o2pos init``)."""
    if actor is not None:
        require(actor, Perm.MANAGE_EMPLOYEES)
    if not re.match(r"^[A-Za-z0-9_.-]{1,32}$", code):
        raise ValidationError("A user code is 1 to 32 letters, digits, '.', '_' or '-'")
    if Role.get_or_none(Role.code == role) is None:
        known = sorted(r.code for r in Role.select(Role.code))
        raise ValidationError(f"Unknown role {role!r} (one of {', '.join(known)})")
    held = RolePermission.select(RolePermission.permission).where(RolePermission.role == role)
    check_new_pin(pin, role, (row.permission for row in held))
    pin_hash = hash_pin(pin, n=ctx.settings.security.scrypt_n)
    with ctx.write():
        if Employee.get_or_none(Employee.code == code) is not None:
            raise ValidationError(f"User code {code!r} is taken")
        employee = Employee.create(code=code, name=name, role=role, pin_hash=pin_hash)
        journal.append(
            ctx,
            "employee.created",
            {"code": code, "name": name, "role": role},
            employee=actor.code if actor else None,
        )
    return employee


_LOCATION = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def parse_locations(text: str) -> list[str]:
    """``"MAIN, WH"`` → ``["MAIN", "WH"]``: location codes, comma-separated, each once."""
    codes = list(dict.fromkeys(code.strip() for code in text.split(",") if code.strip()))
    for code in codes:
        if not _LOCATION.match(code):
            raise ValidationError(
                f"{code!r} is not a location code (1 to 32 letters, digits, '.', '_' or '-')"
            )
    return codes


def locations_of(ctx: Context, employee: Employee) -> list[str]:
    """Where ``employee`` may work in a session at this till, the till's own first.

    ``Employee.locations`` empty: the till's own only. Login offers the list when it holds
    more than one (``choose_location``); with one, that one is the session's.
    """
    own = ctx.settings.terminal.location
    listed = parse_locations(employee.locations or "")
    if not listed:
        return [own]
    return [own] * (own in listed) + [code for code in listed if code != own]


def choose_location(ctx: Context, employee: Employee, location: str) -> None:
    """Set the session's location (``ctx.location``): its documents and stock moves belong
    there until the till is locked (``end_session``)."""
    if location not in locations_of(ctx, employee):
        raise PermissionDenied(f"{employee.code} does not work at {location}", Perm.SELL)
    own = ctx.settings.terminal.location
    ctx.session_location = None if location == own else location


def end_session(ctx: Context) -> None:
    """Locked or signed out: the next session starts at the till's own location."""
    ctx.session_location = None


def set_locations(
    ctx: Context, code: str, locations: list[str], *, actor: Employee | None = None
) -> Employee:
    """Set where an employee may work (empty: the till's own location only); journaled as
    ``employee.changed``. ``actor`` None: the shell (``o2pos employee set``), whoever can
    run commands on the till's box, as for ``o2pos employee unlock``.

    The central's master data carries the same list: a pull of a changed employee record
    replaces what was set here.
    """
    if actor is not None:
        require(actor, Perm.MANAGE_EMPLOYEES)
    codes = parse_locations(",".join(locations))
    with ctx.write():
        employee = Employee.get_or_none(Employee.code == code.strip())
        if employee is None:
            raise NotFound(f"No employee has the user code {code.strip()!r}")
        Employee.update(locations=",".join(codes)).where(Employee.id == employee.id).execute()
        journal.append(
            ctx,
            "employee.changed",
            {"employee": employee.code, "locations": codes},
            employee=actor.code if actor else None,
        )
    return Employee.get_by_id(employee.id)


def _locked_message(code: str, locked_until: datetime, now: datetime) -> str:
    minutes = max(1, int((locked_until - now).total_seconds() + 59) // 60)
    return (
        f"{code} is locked after too many wrong PINs; try again in {minutes} min or ask a manager"
    )


def _lock_end(row: Employee | LoginFailure | None, now: datetime) -> datetime | None:
    """When the lock on this code ends, if it is locked now."""
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def _refuse_if_locked(code: str, row: Employee | LoginFailure | None, now: datetime) -> None:
    until = _lock_end(row, now)
    if until is not None:
        raise EmployeeLocked(_locked_message(code, until, now))


def _wrong(code: str, attempts: int, locked: bool, security: SecuritySettings) -> AuthError:
    """The answer to a wrong PIN: the same words whether the user code exists or not."""
    if locked:
        return EmployeeLocked(
            f"Wrong user code or PIN. {code} is now locked for {security.lockout_minutes} min"
        )
    remaining = security.max_pin_attempts - attempts
    tries = "try" if remaining == 1 else "tries"
    return AuthError(f"Wrong user code or PIN ({remaining} {tries} left before lock)")


def _count(
    row: Employee | LoginFailure | None, now: datetime, security: SecuritySettings
) -> tuple[int, datetime | None]:
    """One more wrong PIN: the new count, and the lock it brings (a lock run out restarts it)."""
    previous = 0 if row is None or row.locked_until is not None else row.failed_attempts
    attempts = previous + 1
    if attempts >= security.max_pin_attempts:
        return attempts, now + timedelta(minutes=security.lockout_minutes)
    return attempts, None


_DUMMY_SALT = base64.b64encode(os.urandom(16)).decode()
_DUMMY_DIGEST = base64.b64encode(os.urandom(32)).decode()


def _dummy_hash() -> str:
    """A PIN hash no PIN matches, at the cost of the till's real ones.

    An unknown user code is checked against it, so it takes as long to refuse as a real
    code with a wrong PIN: the time an answer takes tells nothing either. The cost is read
    from an active employee's hash (they all carry their scrypt parameters).
    """
    row = Employee.select(Employee.pin_hash).where(Employee.active == True).first()
    n, r, p = "16384", "8", "1"
    if row is not None:
        parts = row.pin_hash.split("$")
        if len(parts) == 6 and parts[0] == "scrypt":
            n, r, p = parts[1:4]
    return f"scrypt${n}${r}${p}${_DUMMY_SALT}${_DUMMY_DIGEST}"


_SALT_KEY = "login_failure_salt"


def _failure_key(ctx: Context, code: str) -> str:
    """What ``login_failure`` stores for a user code: a salted hash, never the code typed
    (which may be a PIN typed into the wrong box)."""
    row = StoreMeta.get_or_none(StoreMeta.key == _SALT_KEY)
    if row is None:
        with ctx.write():
            StoreMeta.insert(
                key=_SALT_KEY, value=secrets.token_hex(16)
            ).on_conflict_ignore().execute()
        row = StoreMeta.get(StoreMeta.key == _SALT_KEY)
    return hashlib.sha256(f"{row.value}:{code}".encode()).hexdigest()


def _refuse_unknown(ctx: Context, code: str, pin: str) -> NoReturn:
    """A code no active employee has: refused exactly as a real one with a wrong PIN is.

    The same check of the PIN (against a hash no PIN matches, at the same cost), the same
    count of tries and lockout (``login_failure``), the same messages, and the same
    ``login.failed`` event (its ``employee`` null: nobody's code was typed), so the login
    answers the same, as fast, and even the count of events waiting to sync moves alike.
    """
    key = _failure_key(ctx, code)
    now = ctx.now()
    security = ctx.settings.security
    row = LoginFailure.get_or_none(LoginFailure.key == key)
    _refuse_if_locked(code, row, now)
    check_pin(pin, _dummy_hash())
    with ctx.write():
        row = LoginFailure.get_or_none(LoginFailure.key == key)
        _refuse_if_locked(code, row, now)
        attempts, locked_until = _count(row, now, security)
        LoginFailure.insert(
            key=key, failed_attempts=attempts, locked_until=locked_until
        ).on_conflict_replace().execute()
        # a lock that has run out is the same as no row: forget it
        LoginFailure.delete().where(LoginFailure.locked_until < now).execute()
        journal.append(
            ctx,
            "login.failed",
            {"employee": None, "attempt": attempts, "locked": locked_until is not None},
        )
    raise _wrong(code, attempts, locked_until is not None, security)


def _check(ctx: Context, code: str, pin: str) -> Employee:
    """Verify a code and PIN, counting failures and locking after too many.

    The slow scrypt check runs outside any transaction; the failure count is then read and
    written inside one write transaction, so parallel wrong PINs cannot overwrite each
    other's count and slip past the lockout. An unknown code is refused the same way
    (``_refuse_unknown``): nothing at the login tells which user codes exist.
    """
    if not pin:  # Enter pressed once too often: no PIN was tried, none is counted
        raise ValidationError("Type the PIN, then Enter")
    code = code.strip()
    employee = Employee.get_or_none(Employee.code == code)
    if employee is None or not employee.active:
        _refuse_unknown(ctx, code, pin)
    now = ctx.now()
    _refuse_if_locked(code, employee, now)
    correct = check_pin(pin, employee.pin_hash)
    security = ctx.settings.security
    with ctx.write():
        employee = Employee.get_by_id(employee.id)
        _refuse_if_locked(code, employee, now)
        if correct:
            if employee.failed_attempts or employee.locked_until is not None:
                Employee.update(failed_attempts=0, locked_until=None).where(
                    Employee.id == employee.id
                ).execute()
                employee.failed_attempts, employee.locked_until = 0, None
            return employee
        attempts, locked_until = _count(employee, now, security)
        Employee.update(failed_attempts=attempts, locked_until=locked_until).where(
            Employee.id == employee.id
        ).execute()
        journal.append(
            ctx,
            "login.failed",
            {"employee": employee.code, "attempt": attempts, "locked": locked_until is not None},
            employee=employee.code,
        )
    raise _wrong(code, attempts, locked_until is not None, security)


def unlock(
    ctx: Context,
    code: str,
    actor: Employee | None = None,
    approval: Approval | None = None,
    *,
    command_line: bool = False,
) -> Employee:
    """Lift the lockout of the employee with user code ``code`` (and clear their count).

    Who may: an employee whose role has ``unlock_employees`` (store manager,
    administrator; ``manage_employees`` implies it). Three ways in:

    - ``actor`` signed in: checked with ``require``; a cashier passes a manager's
      ``approval``;
    - no one signed in (the login screen): ``approval`` alone, a manager's PIN given for
      ``Perm.UNLOCK_EMPLOYEES``; without it, ``ApprovalRequired`` (before the code is even
      looked up, so the login still tells nobody which codes exist);
    - ``command_line=True``: ``o2pos employee unlock``, whoever can run commands on the
      till's box.

    The employee is looked up and must be locked or have wrong PINs counted (else
    ``NotFound`` / ``StateError``) before an approval is used up. Journaled as
    ``employee.unlocked``, by whom and from where.
    """
    code = code.strip()
    if actor is None and approval is None and not command_line:
        raise ApprovalRequired(
            f"A manager's PIN is needed to unlock {code or 'an employee'}",
            Perm.UNLOCK_EMPLOYEES,
        )
    now = ctx.now()
    with ctx.write():
        employee = Employee.get_or_none(Employee.code == code)
        if employee is None:
            raise NotFound(f"No employee has the user code {code!r}")
        was_locked = _lock_end(employee, now) is not None
        if not was_locked and not employee.failed_attempts:
            raise StateError(f"{employee.code} is not locked")
        approved_by = None
        if command_line:
            by, via = None, "command_line"
        elif actor is not None:
            approved_by = require(actor, Perm.UNLOCK_EMPLOYEES, approval)
            by, via = actor.code, "till"
        else:
            assert approval is not None
            by, via = _redeem(approval, Perm.UNLOCK_EMPLOYEES), "till"
        Employee.update(failed_attempts=0, locked_until=None).where(
            Employee.id == employee.id
        ).execute()
        journal.append(
            ctx,
            "employee.unlocked",
            {
                "employee": employee.code,
                "via": via,
                "was_locked": was_locked,
                "failed_attempts": employee.failed_attempts,
            },
            employee=by,
            approved_by=approved_by,
        )
    return Employee.get_by_id(employee.id)


def login(ctx: Context, code: str, pin: str) -> Employee:
    employee = _check(ctx, code, pin)
    with ctx.write():
        journal.append(ctx, "login.succeeded", {"employee": employee.code}, employee=employee.code)
    return employee


def approve(ctx: Context, code: str, pin: str, permission: str) -> Approval:
    """A manager's override: their PIN is checked (and locked out) like a login."""
    employee = _check(ctx, code, pin)
    if not has_permission(employee, permission):
        raise PermissionDenied(
            f"{employee.code} may not {PERMISSION_LABELS.get(permission, permission)} either",
            permission,
        )
    token = secrets.token_hex(16)
    _GRANTS[token] = (employee.id, permission, time.monotonic() + APPROVAL_SECONDS)
    return Approval(employee, permission, token)


def _redeem(approval: Approval, permission: str) -> str:
    """Use up an approval: it must be genuine, for this permission, fresh and still valid."""
    grant = _GRANTS.pop(approval.token, None)
    if grant is None or grant[0] != approval.employee.id:
        raise PermissionDenied(
            "That approval is not valid (each approval is good for one action)", permission
        )
    employee_id, granted, deadline = grant
    if granted != permission:
        raise PermissionDenied("That approval is for something else", permission)
    if time.monotonic() > deadline:
        raise PermissionDenied("That approval has expired: ask for the PIN again", permission)
    approver = Employee.get_or_none(Employee.id == employee_id)
    if approver is None or not approver.active or not has_permission(approver, permission):
        raise PermissionDenied("The approving manager may no longer approve this", permission)
    return approver.code


def require(actor: Employee, permission: str, approval: Approval | None = None) -> str | None:
    """Allow when the actor may, or a manager approved; return who approved (or None).

    The approval is used up only when it is needed: an actor with the permission keeps it.
    """
    if has_permission(actor, permission):
        return None
    label = PERMISSION_LABELS.get(permission, permission)
    if permission not in OVERRIDABLE:
        instead = NOT_OVERRIDABLE_HINTS.get(permission, "sign in as an employee whose role may")
        raise PermissionDenied(
            f"{actor.code} may not {label}, and a manager's PIN cannot allow it: {instead}",
            permission,
        )
    if approval is not None:
        return _redeem(approval, permission)
    raise ApprovalRequired(f"{actor.code} may not {label}: a manager's PIN is needed", permission)


def require_discount(
    actor: Employee, discount_bp: int, approval: Approval | None = None
) -> DiscountAuth:
    """Discounts up to the role's limit are the cashier's call; above it a manager's."""
    own_limit = actor.role.max_discount_bp if has_permission(actor, Perm.DISCOUNT) else -1
    if discount_bp <= own_limit:
        return DiscountAuth(None, own_limit)
    if approval is None:
        if own_limit < 0:
            raise ApprovalRequired(
                f"{actor.code} may not give discounts: a manager's PIN is needed", Perm.DISCOUNT
            )
        raise ApprovalRequired(
            f"A discount of {format_percent(discount_bp)} is above {actor.code}'s limit of "
            f"{format_percent(own_limit)}: a manager's PIN is needed",
            Perm.DISCOUNT,
        )
    limit = approval.employee.role.max_discount_bp
    if approval.permission == Perm.DISCOUNT and discount_bp > limit:
        raise PermissionDenied(
            f"{approval.code} may not approve a discount of {format_percent(discount_bp)}",
            Perm.DISCOUNT,
        )
    return DiscountAuth(_redeem(approval, Perm.DISCOUNT), limit)
