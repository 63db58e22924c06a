"""``o2pos employee unlock CODE``: a real process on the till's database file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from o2pos.core import auth
from o2pos.core.context import utcnow
from o2pos.core.errors import AuthError
from o2pos.core.models import Employee, Journal
from tests.conftest import Clock, build_store


def _o2pos(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2pos", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_employee_unlock_from_the_command_line_is_journaled(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data", Clock(utcnow()))  # the command's clock is real
    config = tmp_path / "o2pos.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login(store.ctx, "cashier", "0000")

    done = _o2pos(config, "employee", "unlock", "cashier")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "cashier is unlocked: the next PIN typed counts from zero again.\n"
    cashier = Employee.get(Employee.code == "cashier")
    assert (cashier.failed_attempts, cashier.locked_until) == (0, None)
    event = Journal.select().where(Journal.event_type == "employee.unlocked").get()
    assert (event.employee_id, event.approved_by) == (None, None)
    assert json.loads(event.payload) == {
        "employee": "cashier",
        "via": "command_line",
        "was_locked": True,
        "failed_attempts": 5,
    }
    assert auth.login(store.ctx, "cashier", "1111").code == "cashier"

    again = _o2pos(config, "employee", "unlock", "cashier")
    assert (again.returncode, again.stderr) == (1, "error: cashier is not locked\n")
    unknown = _o2pos(config, "employee", "unlock", "nobody")
    assert unknown.returncode == 1
    assert unknown.stderr == "error: No employee has the user code 'nobody'\n"
    assert Journal.select().where(Journal.event_type == "employee.unlocked").count() == 1


@pytest.mark.parametrize(
    ("name", "role", "said"),
    [
        (" ", "cashier", "error: An employee needs a name"),
        (
            "Xavier",
            "store manager",
            "error: Unknown role 'store manager' (one of administrator, billing_employee, "
            "cashier, inventory, store_manager)",
        ),
    ],
)
def test_central_add_employee_says_what_is_wrong_and_what_is_right(
    tmp_path: Path, name: str, role: str, said: str
) -> None:
    """A blank name read 'A user code is 1 to 32 letters, ...; a name', as if cut off; a
    role spelt as people say it was 'Unknown role', with nothing to go by."""
    done = subprocess.run(
        [sys.executable, "-m", "o2pos", "central", "add-employee", "x", name, role,
         "--pin", "123456", "--db", str(tmp_path / "c.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stderr.strip()) == (1, said)
