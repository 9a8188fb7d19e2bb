"""``clock``, ``snapshot`` and ``modes``: the emulator's time, its whole state as a file, and
strict/lenient mode per API key."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from emulator.ctl.client import CtlError, segment
from emulator.ctl.context import Ctl
from emulator.ctl.options import JsonOpt, ctl

clock_app = typer.Typer(help="The emulator clock: show, advance, set, freeze.", no_args_is_help=True)
snapshot_app = typer.Typer(help="Save the whole state to a file, load it back.", no_args_is_help=True)
modes_app = typer.Typer(help="Strict (the default) or lenient mode per API key.", no_args_is_help=True)

_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: str) -> float:
    """``90``, ``1.5``, ``30s``, ``5m``, ``1h30m``, ``2d``, ``250ms`` → seconds."""
    raw = value.strip().lower()
    try:
        return float(raw)
    except ValueError:
        pass
    parts = _PART.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise CtlError(f"not a duration: {value!r} (try 90, 30s, 5m, 1h30m, 2d)", 2)
    return sum(float(n) * _UNIT[u] for n, u in parts)


def _show_clock(c: Ctl, view: dict[str, Any]) -> None:
    if c.out.as_json:
        c.out.json(view)
    else:
        c.out.fields(view, title="clock")


@clock_app.command("show")
def clock_show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Now, on the emulator's clock."""
    c = ctl(ctx, as_json)
    _show_clock(c, c.control.get("/clock"))


@clock_app.command()
def advance(ctx: typer.Context, duration: Annotated[str, typer.Argument(help="Seconds, or 30s / 5m / 1h30m / 2d.")], as_json: JsonOpt = False) -> None:
    """Move time forward; timers that fall due fire (ringing times out, recordings finish …)."""
    c = ctl(ctx, as_json)
    _show_clock(c, c.control.post("/clock", {"advance": parse_duration(duration)}))


@clock_app.command("set")
def set_clock(
    ctx: typer.Context,
    when: Annotated[str, typer.Argument(help="ISO 8601 with a zone (2030-01-01T09:00:00Z) or Unix seconds.")],
    freeze: Annotated[bool | None, typer.Option("--freeze/--no-freeze", help="Also stop (or restart) the clock.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put the clock at an instant."""
    c = ctl(ctx, as_json)
    at: Any = float(when) if re.fullmatch(r"\d+(\.\d+)?", when.strip()) else when
    body: dict[str, Any] = {"set": at}
    if freeze is not None:
        body["freeze"] = freeze
    _show_clock(c, c.control.post("/clock", body))


@clock_app.command()
def freeze(ctx: typer.Context, off: Annotated[bool, typer.Option("--off", help="Let it run again.")] = False, as_json: JsonOpt = False) -> None:
    """Stop the clock where it is (time then moves only with `clock advance`); --off restarts it."""
    c = ctl(ctx, as_json)
    _show_clock(c, c.control.post("/clock", {"freeze": not off}))


@snapshot_app.command()
def save(ctx: typer.Context, file: Annotated[str, typer.Argument(help="Where to write it (- for stdout).")]) -> None:
    """Write the whole state (every key's resources, ids, clock, services) as JSON."""
    c = ctl(ctx)
    snap = c.control.get("/snapshot")
    data = json.dumps(snap, indent=1)
    if file == "-":
        sys.stdout.write(data + "\n")
        return
    Path(file).write_text(data + "\n")
    if c.out.as_json:
        c.out.json({"file": file, "bytes": len(data) + 1, "tenants": sorted(snap.get("tenants") or {}), "skipped": snap.get("skipped")})
    else:
        c.out.say(f"saved {len(snap.get('tenants') or {})} API key(s) to {file} ({len(data) + 1} bytes)")


@snapshot_app.command()
def load(ctx: typer.Context, file: Annotated[str, typer.Argument(help="A file `snapshot save` wrote (- for stdin).")], as_json: JsonOpt = False) -> None:
    """Replace the whole state with a saved one (all or nothing; pending timers are cancelled)."""
    c = ctl(ctx, as_json)
    try:
        raw = sys.stdin.read() if file == "-" else Path(file).read_text()
    except OSError as exc:
        raise CtlError(f"cannot read {file}: {exc.strerror}", 2) from exc
    try:
        snap = json.loads(raw)
    except ValueError as exc:
        raise CtlError(f"{file} is not JSON: {exc}", 2) from exc
    summary = c.control.post("/restore", snap)
    if c.out.as_json:
        c.out.json(summary)
        return
    restored = summary.get("restored") or {}
    c.out.say(f"restored {len(restored)} API key(s) from {file}; clock at {summary.get('clock')}")


def _show_modes(c: Ctl, found: dict[str, Any]) -> None:
    if c.out.as_json:
        c.out.json(found)
        return
    rows = [{"key": "(default)", **(found.get("default") or {})}, *({"key": k, **m} for k, m in (found.get("keys") or {}).items())]
    c.out.table(rows, [("key", "key"), ("mode", "mode"), ("unknown ids", "unknown_ids"), ("business rules", "business_rules")])


@modes_app.command("list")
def list_modes(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The default mode and every key that has its own."""
    c = ctl(ctx, as_json)
    _show_modes(c, c.control.get("/modes"))


@modes_app.command("set")
def set_mode(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The API key.")],
    lenient: Annotated[bool | None, typer.Option("--lenient/--strict", help="Lenient: unknown ids are created, business rules only warn. Strict: 404s and 422s.")] = None,
    unknown_ids: Annotated[str | None, typer.Option("--unknown-ids", help="404 or create.")] = None,
    business_rules: Annotated[str | None, typer.Option("--business-rules", help="enforce or warn.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Give one API key its own mode (PUT /_emulator/modes/KEY)."""
    c = ctl(ctx, as_json)
    body = {k: v for k, v in {"lenient": lenient, "unknown_ids": unknown_ids, "business_rules": business_rules}.items() if v is not None}
    if not body:
        raise CtlError("say which mode: --lenient or --strict (or --unknown-ids / --business-rules)", 2)
    found = c.control.put(f"/modes/{segment(key)}", body)
    if c.out.as_json:
        c.out.json(found)
    else:
        c.out.say(f"{key}: {found.get('mode')} (unknown ids: {found.get('unknown_ids')}, business rules: {found.get('business_rules')})")


@modes_app.command("clear")
def clear_mode(ctx: typer.Context, key: Annotated[str, typer.Argument(help="The API key.")], as_json: JsonOpt = False) -> None:
    """Drop a key's own mode: it follows the default again."""
    c = ctl(ctx, as_json)
    c.control.delete(f"/modes/{segment(key)}")
    if c.out.as_json:
        c.out.json({"cleared": key})
    else:
        c.out.say(f"{key}: back to the default mode")
