"""What every command gets from the global options: the control client and the output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup

from emulator.ctl.client import Control, CtlError
from emulator.ctl.output import Output


@dataclass
class Ctl:
    control: Control
    out: Output


def ctl(ctx: typer.Context) -> Ctl:
    root = ctx.find_root()
    found = root.obj
    if not isinstance(found, Ctl):  # the root callback always sets it; this guards misuse
        raise CtlError("internal: the CLI context was not set up", 2)
    return found


class CtlGroup(TyperGroup):
    """Prints a :class:`CtlError` as one line on stderr and exits with its code — for every
    command below it, in one place."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except CtlError as err:
            typer.echo(f"error: {err.message}", err=True)
            raise typer.Exit(err.exit_code) from None


def parse_sets(pairs: list[str] | None, data: str | None = None) -> dict[str, Any]:
    """``--data '{"a": 1}'`` and ``--set a=1 --set b.c=x`` → one JSON object (values parsed as
    JSON when they are JSON — ``1``, ``true``, ``{"x":1}`` — else kept as strings; dotted keys nest)."""
    body: dict[str, Any] = {}
    if data:
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise CtlError(f"--data is not valid JSON: {exc}", 2) from exc
        if not isinstance(parsed, dict):
            raise CtlError("--data must be a JSON object", 2)
        body.update(parsed)
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CtlError(f"--set wants key=value, got {pair!r}", 2)
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        target = body
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise CtlError(f"--set {key}: {part} is not an object", 2)
        target[leaf] = value
    return body
