"""Options every command takes, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from emulator.ctl.context import Ctl
from emulator.ctl.context import ctl as root_ctl

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the control API's JSON instead of tables.")]
"""``--json`` after the command too (``ctl calls list --json``), not only before it."""

KeyOpt = Annotated[str | None, typer.Option("--key", help="Only this API key's.")]


def ctl(ctx: typer.Context, as_json: bool = False) -> Ctl:
    found = root_ctl(ctx)
    found.out.as_json = found.out.as_json or as_json
    return found
