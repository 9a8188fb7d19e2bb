"""``faults add|list|clear``: fault rules (``/_emulator/faults``) — forced errors, delays and
broken connections for the requests they match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from emulator.ctl.client import CtlError, segment
from emulator.ctl.options import JsonOpt, ctl
from emulator.ctl.output import Column, text

app = typer.Typer(help="Fault rules: forced errors, delays, broken connections.", no_args_is_help=True)


def _match(value: Any) -> str:
    if not isinstance(value, dict) or not value:
        return "every request"
    return " ".join(f"{k}={text(v)}" for k, v in value.items())


def _effect(rule: dict[str, Any]) -> str:
    parts = []
    if rule.get("status"):
        parts.append(f"{rule['status']}" + (f" code {rule['code']}" if rule.get("code") else ""))
    if rule.get("transport"):
        parts.append(f"transport {rule['transport']}")
    if rule.get("delay") is not None:
        parts.append(f"delay {text(rule['delay'])}ms" if isinstance(rule["delay"], int | float) else f"delay {text(rule['delay'])}")
    return ", ".join(parts) or "-"


COLUMNS: list[Column] = [
    ("id", "id"),
    ("match", "match", _match),
    ("effect", "effect"),
    ("fired", "fired"),
    ("remaining", "remaining", lambda v: "forever" if v is None else str(v)),
    ("active", "active"),
]


def _rows(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "effect": _effect(r)} for r in rules]


@app.command()
def add(
    ctx: typer.Context,
    operation: Annotated[str | None, typer.Option("--operation", help="Match this operationId (see GET /_emulator/operations).")] = None,
    method: Annotated[str | None, typer.Option("--method", help="Match this HTTP method.")] = None,
    path: Annotated[str | None, typer.Option("--path", help="Match this path (with or without /v2).")] = None,
    path_regex: Annotated[str | None, typer.Option("--path-regex", help="Match paths by regular expression.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Match requests by this API key.")] = None,
    call: Annotated[str | None, typer.Option("--call", help="Match call commands for this call_control_id.")] = None,
    status: Annotated[int | None, typer.Option("--status", help="Answer with this HTTP status (400-599).")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Telnyx error code in the body, e.g. 90018.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Error title.")] = None,
    detail: Annotated[str | None, typer.Option("--detail", help="Error detail.")] = None,
    delay: Annotated[float | None, typer.Option("--delay", help="Delay the answer by this many milliseconds.")] = None,
    transport: Annotated[str | None, typer.Option("--transport", help="Break the connection: reset, empty, truncate, stream_cut.")] = None,
    retry_after: Annotated[float | None, typer.Option("--retry-after", help="Retry-After seconds on the forced error.")] = None,
    times: Annotated[int | None, typer.Option("--times", help="Fire this many times (default 1).")] = None,
    forever: Annotated[bool, typer.Option("--forever", help="Fire on every matching request until cleared.")] = False,
    probability: Annotated[float | None, typer.Option("--probability", help="Fire with this probability (0-1).")] = None,
    rule_id: Annotated[str | None, typer.Option("--id", help="Name the rule (else the emulator picks an id).")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="The whole rule (or a list of rules) as JSON; other options are merged in.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the rule(s) from a JSON file.", exists=True, dir_okay=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a fault rule; all rules in a list are added or none is."""
    c = ctl(ctx, as_json)
    base: Any = {}
    if rule is not None or file is not None:
        raw = file.read_text() if file is not None else str(rule)
        try:
            base = json.loads(raw)
        except ValueError as exc:
            raise CtlError(f"the rule is not valid JSON: {exc}", 2) from exc
    match = {k: v for k, v in {"operation_id": operation, "method": method, "path": path, "path_regex": path_regex, "api_key": key, "call_id": call}.items() if v is not None}
    fields = {"id": rule_id, "status": status, "code": code, "title": title, "detail": detail, "delay": delay, "transport": transport,
              "retry_after": retry_after, "times": times, "probability": probability}
    given = {k: v for k, v in fields.items() if v is not None}
    if isinstance(base, list):
        if match or given or forever:
            raise CtlError("with a list of rules give every field in the JSON", 2)
        body: Any = base
    elif isinstance(base, dict):
        body = {**base, **given}
        if match:
            body["match"] = {**(base.get("match") or {}), **match}
        if forever:
            body["times"] = None
    else:
        raise CtlError("a rule is a JSON object (or a list of them)", 2)
    if body == {}:
        raise CtlError("say what the rule does: e.g. --operation X --status 503, or --rule '{...}'", 2)
    found = c.control.post("/faults", body)
    if c.out.as_json:
        c.out.json(found)
        return
    added = found.get("data")
    c.out.table(_rows(added if isinstance(added, list) else [added]), COLUMNS, title="added")


@app.command("list")
def list_rules(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Fault rules with their counters."""
    c = ctl(ctx, as_json)
    found = c.control.get("/faults")
    if c.out.as_json:
        c.out.json(found)
        return
    c.out.table(_rows(found.get("data", [])), COLUMNS, empty="no fault rules")


@app.command()
def clear(ctx: typer.Context, rule_id: Annotated[str | None, typer.Argument(help="Only this rule.")] = None, as_json: JsonOpt = False) -> None:
    """Delete every fault rule, or one."""
    c = ctl(ctx, as_json)
    found = c.control.delete(f"/faults/{segment(rule_id)}" if rule_id else "/faults")
    if c.out.as_json:
        c.out.json(found)
    else:
        c.out.say(f"deleted {found.get('deleted', 0)} fault rule(s)")
