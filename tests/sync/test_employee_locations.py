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
    tag = uuid.uuid4().hex[:6].upper()
    shelf, yard, code = f"S{tag}", f"Y{tag}", f"roam{tag.lower()}"
    for location in (yard, shelf):
        central_cli(central.db_url, "add-location", location, f"Place {location}", "--store", store)
    central_cli(
        central.db_url, "add-employee", code, "Ravi Roamer", "inventory",
        "--pin", "4321", "--store", store, "--location", yard, "--location", shelf,
    )  # fmt: skip
    till = make_till(tmp_path, central, store_name=store)
    try:
        assert till.engine.pull().ok
        roamer = Employee.get(Employee.code == code)
        assert roamer.locations == f"{shelf},{yard}"
        # neither is the till's own (MAIN): the login offers both, as the central sorts them
        assert auth.locations_of(till.ctx, roamer) == [shelf, yard]
        auth.choose_location(till.ctx, roamer, yard)
        assert till.ctx.location == yard
        # changed again without --location: the till's own only
        central_cli(
            central.db_url, "add-employee", code, "Ravi Roamer", "inventory",
            "--pin", "4321", "--store", store,
        )  # fmt: skip
        assert till.engine.pull().ok
        again = Employee.get(Employee.code == code)
        assert again.locations == "" and auth.locations_of(till.ctx, again) == ["MAIN"]
        refused = central_cli(
            central.db_url, "add-employee", code, "Ravi Roamer", "inventory",
            "--pin", "4321", "--store", store, "--location", f"N{tag}", check=False,
        )  # fmt: skip
        assert refused.returncode == 1 and "Unknown location" in refused.stderr
    finally:
        till.engine.client.close()
