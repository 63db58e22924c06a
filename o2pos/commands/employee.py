"""``o2pos employee ...``: the till's employees from the shell (no Textual loaded)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import ConfigOption, context_of, fail, group

app = group("The till's employees.", no_args_is_help=True)


@app.command()
def unlock(
    code: Annotated[str, typer.Argument(help="User code of the locked employee")],
    config: ConfigOption = None,
) -> None:
    """Lift an employee's lockout after too many wrong PINs (journaled as employee.unlocked).

    Whoever can run commands on the till's box may; at the till, a store manager or an
    administrator unlocks with their PIN.
    """
    from o2pos.core import auth
    from o2pos.core.errors import DomainError

    ctx = context_of(config)
    try:
        employee = auth.unlock(ctx, code, command_line=True)
    except DomainError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"{employee.code} is unlocked: the next PIN typed counts from zero again.")


@app.command("set")
def set_employee(
    code: Annotated[str, typer.Argument(help="User code of the employee")],
    locations: Annotated[
        str,
        typer.Option(
            "--locations",
            help="Location codes the employee works at, comma-separated, e.g. MAIN,WH; "
            '"" for the till\'s own only',
        ),
    ],
    config: ConfigOption = None,
) -> None:
    """Set where an employee may work (journaled as employee.changed).

    With several locations the login offers them after the PIN, the till's own first; the
    session's documents and stock moves belong to the one chosen. A pull of the employee
    from the central replaces this with the central's list.
    """
    from o2pos.core import auth
    from o2pos.core.errors import DomainError
    from o2pos.core.models import Location

    ctx = context_of(config)
    try:
        employee = auth.set_locations(ctx, code, auth.parse_locations(locations))
    except DomainError as exc:
        raise fail(str(exc)) from exc
    where = auth.locations_of(ctx, employee)
    known = {row.code for row in Location.select(Location.code)}
    typer.echo(f"{employee.code} works at {', '.join(where)}.")
    unknown = [c for c in where if c not in known]
    if unknown:
        typer.echo(
            f"Note: this till knows no location {', '.join(unknown)} yet (the central's "
            "master data names them; a move there adds it).",
            err=True,
        )
