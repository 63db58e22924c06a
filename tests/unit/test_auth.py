import pytest

from o2pos.core import auth, sales
from o2pos.core.errors import (
    ApprovalRequired,
    AuthError,
    EmployeeLocked,
    PermissionDenied,
    ValidationError,
)
from o2pos.core.models import Employee, Journal
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
    for attempt in range(1, 5):
        with pytest.raises(AuthError, match=f"{5 - attempt} tries left"):
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


def test_unknown_user_code_writes_nothing(store: Store) -> None:
    before = Journal.select().count()
    with pytest.raises(AuthError, match="Wrong user code or PIN"):
        auth.login(store.ctx, "nobody", "1111")
    assert Journal.select().count() == before


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
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login(store.ctx, "cashier", "0000")
    store.clock.advance(minutes=16)
    with pytest.raises(AuthError, match="4 tries left"):
        auth.login(store.ctx, "cashier", "0000")


def test_employees_are_added_on_the_record_by_those_allowed(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        auth.create_employee(store.ctx, "new", "New", "cashier", "5555", actor=store.manager)
    auth.create_employee(store.ctx, "new", "New", "cashier", "5555", actor=store.people["admin"])
    event = Journal.select().order_by(Journal.seq.desc()).get()
    assert event.event_type == "employee.created" and event.employee_id == "admin"
    assert "5555" not in event.payload and "scrypt" not in event.payload
