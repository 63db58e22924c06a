import json
import statistics
import time

import pytest

from o2pos.core import auth, sales
from o2pos.core.errors import (
    ApprovalRequired,
    AuthError,
    EmployeeLocked,
    NotFound,
    PermissionDenied,
    StateError,
    ValidationError,
)
from o2pos.core.models import Employee, Journal, LoginFailure, RolePermission
from tests.conftest import Store


def test_pins_are_salted_scrypt() -> None:
    first, second = auth.hash_pin("1111", n=2**8), auth.hash_pin("1111", n=2**8)
    assert first != second and first.startswith("scrypt$")
    assert "1111" not in first
    assert auth.check_pin("1111", first) and not auth.check_pin("1112", first)
    with pytest.raises(ValidationError):
        auth.hash_pin("12a4")


def test_login_with_the_right_pin(store: Store) -> None:
    employee = auth.login(store.ctx, "cashier", "1111")
    assert employee.code == "cashier"
    assert Journal.select().where(Journal.event_type == "login.succeeded").count() == 1


def test_wrong_pins_are_journaled_and_lock_after_five(store: Store) -> None:
    for left in ("4 tries", "3 tries", "2 tries", "1 try"):
        with pytest.raises(AuthError, match=rf"\({left} left before lock\)"):
            auth.login(store.ctx, "cashier", "0000")
    with pytest.raises(EmployeeLocked, match="locked for 15 min"):
        auth.login(store.ctx, "cashier", "0000")
    failures = Journal.select().where(Journal.event_type == "login.failed")
    assert failures.count() == 5
    assert all("0000" not in row.payload for row in failures)
    events_before = Journal.select().count()
    # the sixth try, even with the right PIN, is refused and writes nothing
    with pytest.raises(EmployeeLocked, match="try again in 15 min"):
        auth.login(store.ctx, "cashier", "1111")
    assert Journal.select().count() == events_before
    assert Employee.get(Employee.code == "cashier").failed_attempts == 5
    # after the lockout time the right PIN works again and the counter resets
    store.clock.advance(minutes=15, seconds=1)
    assert auth.login(store.ctx, "cashier", "1111").failed_attempts == 0


def test_enter_on_an_empty_pin_is_no_try_and_counts_nothing(store: Store) -> None:
    """Enter pressed once too often at the login (or in a manager's approval) sent an empty
    PIN, which counted as a wrong one: a double Enter used up two of five tries. It is now
    'type the PIN', for a code that exists or not alike, and nothing is counted."""
    with pytest.raises(AuthError, match=r"\(4 tries left before lock\)"):
        auth.login(store.ctx, "cashier", "0000")  # one real wrong PIN
    events = Journal.select().count()
    for code in ("cashier", "manager", "nobody"):
        with pytest.raises(ValidationError, match="Type the PIN"):
            auth.login(store.ctx, code, "")
        with pytest.raises(ValidationError, match="Type the PIN"):
            auth.approve(store.ctx, code, "", auth.Perm.VOID)
    assert Employee.get(Employee.code == "cashier").failed_attempts == 1
    assert Employee.get(Employee.code == "manager").failed_attempts == 0
    assert Journal.select().count() == events
    with pytest.raises(AuthError, match=r"\(3 tries left before lock\)"):
        auth.login(store.ctx, "cashier", "0000")


def _answers(store: Store, code: str, tries: int) -> list[tuple[str, str]]:
    """What the login says to ``tries`` wrong PINs for ``code``, the code blanked out."""
    said = []
    for _ in range(tries):
        with pytest.raises(AuthError) as refused:
            auth.login(store.ctx, code, "0000")
        said.append((type(refused.value).__name__, str(refused.value).replace(code, "<code>")))
    return said


def test_an_unknown_code_is_answered_exactly_like_a_real_one(store: Store) -> None:
    """Same words, same count of tries, same lockout and its end: no telling which exist."""
    real, unknown = _answers(store, "cashier", 6), _answers(store, "nobody", 6)
    assert real == unknown
    assert real[0] == ("AuthError", "Wrong user code or PIN (4 tries left before lock)")
    assert real[3] == ("AuthError", "Wrong user code or PIN (1 try left before lock)")
    assert real[4] == ("EmployeeLocked", "Wrong user code or PIN. <code> is now locked for 15 min")
    assert real[5][0] == "EmployeeLocked" and "try again in 15 min" in real[5][1]
    # a real code's right PIN is refused while locked, like anything typed for the other
    with pytest.raises(EmployeeLocked):
        auth.login(store.ctx, "cashier", "1111")
    store.clock.advance(minutes=15, seconds=1)
    assert _answers(store, "cashier", 1) == _answers(store, "nobody", 1)
    assert auth.login(store.ctx, "cashier", "1111").failed_attempts == 0
    # both leave the same trace on the record (the count of events waiting to sync is on
    # the login screen's status bar); the unknown one names nobody
    failed = [
        json.loads(row.payload)
        for row in Journal.select().where(Journal.event_type == "login.failed")
    ]
    assert [f["employee"] for f in failed] == ["cashier"] * 5 + [None] * 5 + ["cashier", None]
    assert [f["attempt"] for f in failed][:5] == [f["attempt"] for f in failed][5:10]


def test_the_unknown_code_typed_is_kept_nowhere(store: Store) -> None:
    for code in ("nobody", "19283746"):  # a PIN typed into the code box, say
        with pytest.raises(AuthError):
            auth.login(store.ctx, code, "0000")
    keys = [row.key for row in LoginFailure.select()]
    assert len(keys) == 2 and all(len(k) == 64 for k in keys)
    dump = "\n".join(store.ctx.db.connection().iterdump())
    assert "nobody" not in dump and "19283746" not in dump
    # a lock that ran out leaves no row behind
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login(store.ctx, "nobody", "0000")
    store.clock.advance(minutes=16)
    with pytest.raises(AuthError):
        auth.login(store.ctx, "someone", "0000")
    assert LoginFailure.select().count() == 2


def test_an_unknown_code_takes_as_long_to_refuse_as_a_real_one(store: Store) -> None:
    """The PIN of an unknown code is checked too, against a hash of the same scrypt cost."""
    Employee.update(pin_hash=auth.hash_pin("1111", n=2**14)).execute()
    spent: dict[str, list[float]] = {"cashier": [], "nobody": []}
    for _ in range(4):  # alternating, so a busy moment of the machine hits both alike
        for code, times in spent.items():
            started = time.perf_counter()
            with pytest.raises(AuthError):
                auth.login(store.ctx, code, "0000")
            times.append(time.perf_counter() - started)
    real, unknown = (statistics.median(spent[c]) for c in ("cashier", "nobody"))
    assert real > 0.005  # an n = 2**14 scrypt check is tens of milliseconds
    assert 0.5 < unknown / real < 2, spent


def test_roles_are_checked_in_the_core(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        sales.new(store.ctx, store.people["stock"])  # inventory staff do not sell
    assert auth.require(store.cashier, auth.Perm.SELL) is None
    with pytest.raises(ApprovalRequired, match="manager's PIN"):
        auth.require(store.cashier, auth.Perm.VOID)
    approval = store.approval(auth.Perm.VOID)
    assert auth.require(store.cashier, auth.Perm.VOID, approval) == "manager"


def test_an_approval_needs_a_manager_with_that_permission(store: Store) -> None:
    with pytest.raises(PermissionDenied, match="either"):
        auth.approve(store.ctx, "billing", "3333", auth.Perm.VOID)
    with pytest.raises(AuthError):
        auth.approve(store.ctx, "manager", "9999", auth.Perm.VOID)
    refund = store.approval(auth.Perm.REFUND)
    with pytest.raises(PermissionDenied, match="something else"):
        auth.require(store.cashier, auth.Perm.VOID, refund)


def test_five_roles_exist_with_a_permission_table(store: Store) -> None:
    from o2pos.core.models import Role

    assert {r.code for r in Role.select()} == {
        "administrator",
        "store_manager",
        "cashier",
        "billing_employee",
        "inventory",
    }
    assert not auth.has_permission(store.people["billing"], auth.Perm.TAKE_PAYMENT)
    assert auth.has_permission(store.manager, auth.Perm.CLOSE_REGISTER)
    assert not auth.has_permission(store.cashier, auth.Perm.CLOSE_REGISTER)


def test_an_approval_is_good_for_one_action_and_cannot_be_forged(store: Store) -> None:
    approval = store.approval(auth.Perm.VOID)
    assert auth.require(store.cashier, auth.Perm.VOID, approval) == "manager"
    with pytest.raises(PermissionDenied, match="one action"):
        auth.require(store.cashier, auth.Perm.VOID, approval)
    forged = auth.Approval(store.people["admin"], auth.Perm.VOID, "made-up-token")
    with pytest.raises(PermissionDenied, match="not valid"):
        auth.require(store.cashier, auth.Perm.VOID, forged)


def test_an_approval_dies_with_the_managers_access(store: Store) -> None:
    approval = store.approval(auth.Perm.REFUND)
    Employee.update(active=False).where(Employee.code == "manager").execute()
    with pytest.raises(PermissionDenied, match="no longer"):
        auth.require(store.cashier, auth.Perm.REFUND, approval)


def test_a_finished_lockout_starts_a_fresh_count(store: Store) -> None:
    for code in ("cashier", "nobody"):
        for _ in range(5):
            with pytest.raises(AuthError):
                auth.login(store.ctx, code, "0000")
    store.clock.advance(minutes=16)
    for code in ("cashier", "nobody"):
        with pytest.raises(AuthError, match="4 tries left"):
            auth.login(store.ctx, code, "0000")


def test_employees_are_added_on_the_record_by_those_allowed(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        auth.create_employee(store.ctx, "new", "New", "cashier", "5555", actor=store.manager)
    auth.create_employee(store.ctx, "new", "New", "cashier", "5555", actor=store.people["admin"])
    event = Journal.select().order_by(Journal.seq.desc()).get()
    assert event.event_type == "employee.created" and event.employee_id == "admin"
    assert "5555" not in event.payload and "scrypt" not in event.payload


def _lock(store: Store, code: str = "cashier") -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login(store.ctx, code, "0000")
    assert Employee.get(Employee.code == code).locked_until is not None


def _unlocked_events() -> list[tuple[str | None, str | None, dict[str, object]]]:
    return [
        (row.employee_id, row.approved_by, json.loads(row.payload))
        for row in Journal.select().where(Journal.event_type == "employee.unlocked")
    ]


def test_a_manager_unlocks_a_locked_cashier_at_the_login(store: Store) -> None:
    _lock(store)
    # nobody signed in: a manager's PIN is asked for first, whatever the code typed
    for code in ("cashier", "nobody"):
        with pytest.raises(ApprovalRequired) as needed:
            auth.unlock(store.ctx, code)
        assert needed.value.permission == auth.Perm.UNLOCK_EMPLOYEES
    with pytest.raises(PermissionDenied, match="either"):
        auth.approve(store.ctx, "billing", "3333", auth.Perm.UNLOCK_EMPLOYEES)
    approval = store.approval(auth.Perm.UNLOCK_EMPLOYEES)
    employee = auth.unlock(store.ctx, "cashier", approval=approval)
    assert (employee.failed_attempts, employee.locked_until) == (0, None)
    assert auth.login(store.ctx, "cashier", "1111").code == "cashier"
    assert _unlocked_events() == [
        (
            "manager",
            None,
            {"employee": "cashier", "via": "till", "was_locked": True, "failed_attempts": 5},
        )
    ]
    _lock(store)
    with pytest.raises(PermissionDenied, match="one action"):
        auth.unlock(store.ctx, "cashier", approval=approval)


def test_unlock_checks_the_code_before_it_spends_the_approval(store: Store) -> None:
    approval = store.approval(auth.Perm.UNLOCK_EMPLOYEES)
    with pytest.raises(NotFound, match="No employee has the user code 'nobody'"):
        auth.unlock(store.ctx, "nobody", approval=approval)
    with pytest.raises(StateError, match="cashier is not locked"):
        auth.unlock(store.ctx, "cashier", approval=approval)
    assert _unlocked_events() == []
    # wrong PINs counted but not yet a lock: unlocking clears the count
    with pytest.raises(AuthError, match="4 tries left"):
        auth.login(store.ctx, "cashier", "0000")
    auth.unlock(store.ctx, "cashier", approval=approval)
    assert _unlocked_events()[0][2]["was_locked"] is False
    with pytest.raises(AuthError, match="4 tries left"):
        auth.login(store.ctx, "cashier", "0000")


def test_who_may_unlock_when_signed_in(store: Store) -> None:
    _lock(store, "billing")
    assert auth.has_permission(store.manager, auth.Perm.UNLOCK_EMPLOYEES)
    assert not auth.has_permission(store.cashier, auth.Perm.UNLOCK_EMPLOYEES)
    with pytest.raises(ApprovalRequired, match="cashier may not unlock"):
        auth.unlock(store.ctx, "billing", store.cashier)
    auth.unlock(store.ctx, "billing", store.cashier, store.approval(auth.Perm.UNLOCK_EMPLOYEES))
    _lock(store, "billing")
    auth.unlock(store.ctx, "billing", store.manager)
    # an administrator whose role predates the permission unlocks as an employee manager
    RolePermission.delete().where(RolePermission.permission == auth.Perm.UNLOCK_EMPLOYEES).execute()
    admin = auth.login(store.ctx, "admin", "123456")
    _lock(store, "billing")
    auth.unlock(store.ctx, "billing", admin)
    assert [(e[0], e[1], e[2]["via"]) for e in _unlocked_events()] == [
        ("cashier", "manager", "till"),
        ("manager", None, "till"),
        ("admin", None, "till"),
    ]


def test_an_older_till_database_gives_managers_the_unlock_permission(store: Store) -> None:
    """Schema 5 -> 6: the login_failure table, and unlock_employees for the manager roles."""
    from o2pos.core import db as schema

    database = store.ctx.db
    RolePermission.delete().where(RolePermission.permission == auth.Perm.UNLOCK_EMPLOYEES).execute()
    database.execute_sql("DROP TABLE login_failure")
    database.execute_sql("PRAGMA user_version = 5")
    schema.create_schema(database)
    roles = {
        row.role_id
        for row in RolePermission.select().where(
            RolePermission.permission == auth.Perm.UNLOCK_EMPLOYEES
        )
    }
    assert roles == {"administrator", "store_manager"}
    with pytest.raises(AuthError):
        auth.login(store.ctx, "nobody", "0000")
    assert LoginFailure.select().count() == 1


def test_a_role_that_approves_needs_a_pin_of_six_digits(store: Store) -> None:
    """A 4-digit PIN's verifier falls to a brute force in minutes; a manager's PIN approves
    voids and refunds at every till, so it is refused, and nothing is stored or journaled."""
    before = Journal.select().count()
    for role in ("store_manager", "administrator"):
        with pytest.raises(ValidationError, match=r"role needs a PIN of 6 to 8 digits: it"):
            auth.create_employee(store.ctx, "boss", "Boss", role, "4826")
    assert Employee.get_or_none(Employee.code == "boss") is None
    assert Journal.select().count() == before
    auth.create_employee(store.ctx, "boss", "Boss", "store_manager", "482613")
    assert auth.login(store.ctx, "boss", "482613").code == "boss"
    auth.create_employee(store.ctx, "clerk", "Clerk", "cashier", "4826")  # approves nothing
