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
