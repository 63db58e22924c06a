"""Where an employee works comes from the central with the employee (``o2pos central
add-employee --location``), and a till's login then offers those locations."""

from __future__ import annotations

import uuid
from pathlib import Path

from o2pos.core import auth
from o2pos.core.models import Employee
from tests.sync.conftest import Central, make_till, shop
from tests.sync.test_pin_wrap import central_cli


def test_an_employees_locations_come_with_the_employee(tmp_path: Path, central: Central) -> None:
    store = shop()
    code = f"roam{uuid.uuid4().hex[:6]}"
    central_cli(
        central.db_url, "add-employee", code, "Ravi Roamer", "inventory",
        "--pin", "4321", "--store", store, "--location", "WH", "--location", "MAIN",
    )  # fmt: skip
    till = make_till(tmp_path, central, store_name=store)
    try:
        assert till.engine.pull().ok
        roamer = Employee.get(Employee.code == code)
        assert roamer.locations == "WH,MAIN"
        assert auth.locations_of(till.ctx, roamer) == ["MAIN", "WH"]  # the till's own first
        # changed again without --location: the locations stay as they were
        central_cli(
            central.db_url, "add-employee", code, "Ravi Roamer", "inventory",
            "--pin", "4321", "--store", store,
        )  # fmt: skip
        assert till.engine.pull().ok
        assert Employee.get(Employee.code == code).locations == "WH,MAIN"
        refused = central_cli(
            central.db_url, "add-employee", code, "Ravi Roamer", "inventory",
            "--pin", "4321", "--store", store, "--location", "W H", check=False,
        )  # fmt: skip
        assert refused.returncode == 1 and "not a location code" in refused.stderr
    finally:
        till.engine.client.close()
