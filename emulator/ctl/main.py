"""``telnyx-emulator-ctl``: the root command, its global options, and the top-level commands
(``status``, ``reset``, ``trigger``); the command groups live in their own modules."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from emulator.ctl import calls, faults, state, streams
from emulator.ctl.client import DEFAULT_URL, TOKEN_ENV, URL_ENV, Control, CtlError, segment
from emulator.ctl.context import Ctl, CtlGroup, parse_sets
from emulator.ctl.options import JsonOpt, ctl
from emulator.ctl.output import Output

app = typer.Typer(
    cls=CtlGroup,
    name="telnyx-emulator-ctl",
    help="Steer a running telnyx-emulator over its control API (/_emulator).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(calls.app, name="calls")
app.add_typer(state.clock_app, name="clock")
app.add_typer(faults.app, name="faults")
app.add_typer(streams.deliveries_app, name="deliveries")
app.add_typer(streams.journal_app, name="journal")
app.add_typer(state.snapshot_app, name="snapshot")
app.add_typer(state.modes_app, name="modes")


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[str, typer.Option("--url", envvar=URL_ENV, help="The emulator's base URL.", show_default=True)] = DEFAULT_URL,
    admin_token: Annotated[str | None, typer.Option("--admin-token", envvar=TOKEN_ENV, help="The emulator's --admin-token, if it has one.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the control API's JSON instead of tables.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each answer.")] = 10.0,
) -> None:
    control = Control(url, admin_token or "", timeout=timeout)
    ctx.obj = Ctl(control, Output(as_json))
    ctx.call_on_close(control.close)


def _optional(c: Ctl, path: str, **params: Any) -> Any:
    """A part of ``status`` that an emulator without that feature (no calls family…) may lack."""
    try:
        return c.control.get(path, **params)
    except CtlError as err:
        if err.status != 404:
            raise
        return None


@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Is it up, which document, the clock, modes, fault rules, webhooks, journal, calls."""
    c = ctl(ctx, as_json)
    health = c.control.get("/health")
    parts = {
        "health": health,
        "clock": _optional(c, "/clock"),
        "modes": _optional(c, "/modes"),
        "faults": _optional(c, "/faults"),
        "deliveries": _optional(c, "/webhooks/deliveries"),
        "journal": _optional(c, "/journal", limit=0),
        "calls": _optional(c, "/calls"),
    }
    if c.out.as_json:
        for name in ("deliveries", "calls"):  # the counts, not every event and call
            if parts[name] is not None:
                parts[name] = parts[name].get("meta")
        c.out.json({"url": c.control.url, **parts})
        return
    row: dict[str, Any] = {"url": c.control.url, "status": health.get("status"), "version": health.get("version"),
                           "document": f"{health.get('document')} ({health.get('operations')} operations)"}
    if (clock := parts["clock"]) is not None:
        row["clock"] = f"{clock.get('now')}" + (" (frozen)" if clock.get("frozen") else "") + f", {clock.get('pending_timers', 0)} timers pending"
    if (modes := parts["modes"]) is not None:
        keys = modes.get("keys") or {}
        own = ", ".join(f"{k}={v.get('mode')}" for k, v in keys.items())
        row["mode"] = f"{(modes.get('default') or {}).get('mode')}" + (f"; own mode: {own}" if keys else "")
    if (rules := parts["faults"]) is not None:
        active = [r for r in rules.get("data", []) if r.get("active", True)]
        row["fault rules"] = f"{len(active)} active of {len(rules.get('data', []))}"
    if (deliveries := parts["deliveries"]) is not None:
        meta = deliveries.get("meta") or {}
        row["webhook events"] = f"{meta.get('total', 0)} logged, {meta.get('pending', 0)} pending"
    if (journal := parts["journal"]) is not None:
        row["journal"] = f"{(journal.get('meta') or {}).get('stored', 0)} requests"
    if (found := parts["calls"]) is not None:
        alive = sum(1 for call in found.get("data", []) if call.get("is_alive"))
        row["calls"] = f"{len(found.get('data', []))} ({alive} alive)"
    if health.get("persistence"):
        row["persistence"] = health["persistence"]
    c.out.fields(row, title="telnyx-emulator")


@app.command()
def reset(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Option("--key", help="Reset only this API key's state.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Forget all state (fault rules, journal and clock too), or one API key's."""
    c = ctl(ctx, as_json)
    result = c.control.post("/reset", {"api_key": key} if key else {})
    if c.out.as_json:
        c.out.json(result)
    else:
        c.out.say(f"reset: {result.get('reset', key or 'all')}")


def trigger_events(c: Ctl) -> list[str]:
    """The events the running emulator can send on demand, from its own control document."""
    doc = c.control.get("/openapi.json")
    for path, item in (doc.get("paths") or {}).items():
        if not path.endswith("/events/{event_type}"):
            continue
        for param in (item.get("post") or {}).get("parameters") or []:
            if isinstance(param, dict) and param.get("name") == "event_type":
                values = _enum(doc, param.get("schema") or {})
                if values:
                    return sorted(values)
    raise CtlError("this emulator's control document lists no trigger events (GET /_emulator/openapi.json); send one by name instead")


def _enum(doc: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:  # "#/components/schemas/Name": the control document may name its schemas
        node: Any = doc
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
    if isinstance(schema.get("enum"), list):
        return [str(v) for v in schema["enum"]]
    values = [str(s["const"]) for s in schema.get("anyOf") or schema.get("oneOf") or [] if isinstance(s, dict) and "const" in s]
    return values


@app.command()
def trigger(
    ctx: typer.Context,
    event: Annotated[str | None, typer.Argument(help="The event type, e.g. call.hangup (see --list).")] = None,
    call: Annotated[str | None, typer.Option("--call", help="The call's call_control_id.")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override one payload field: key=value (JSON values; dotted keys nest).")] = None,
    data: Annotated[str | None, typer.Option("--data", help="Override payload fields with a JSON object.")] = None,
    list_events: Annotated[bool, typer.Option("--list", help="List the events this emulator can send.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send one webhook event for a call now, with a realistic payload (like `stripe trigger`).

    State-changing events go through the emulator's real logic (call.answered answers the call,
    call.hangup hangs it up, call.dtmf.received presses --set digit=5); the others carry the
    call's ids, its client_state and sensible defaults, overridden by --set / --data.
    """
    c = ctl(ctx, as_json)
    if list_events:
        events = trigger_events(c)
        if c.out.as_json:
            c.out.json({"data": events})
        else:
            c.out.table(({"event": e} for e in events), [("event", "event")], title=f"{len(events)} events (trigger EVENT --call ID)")
        return
    if not event or not call:
        raise CtlError("say which event and which call: trigger EVENT --call CALL_CONTROL_ID (or trigger --list)", 2)
    result = c.control.post(f"/calls/{segment(call)}/events/{segment(event)}", parse_sets(sets, data)).get("data", {})
    detail = _sent_event(c, call, event, result.get("event_id"))
    if c.out.as_json:
        c.out.json({"data": result, "event": detail})
        return
    c.out.say(f"[green]triggered[/green] {event} on {call} (call state: {result.get('state')})")
    if detail is not None:
        c.out.say(f"event {detail.get('id')}: {detail.get('status')}" + (f" → {', '.join(detail.get('urls') or [])}" if detail.get("urls") else ""))
        c.out.pretty_json((detail.get("data") or {}).get("payload"), title="payload")


def _sent_event(c: Ctl, call: str, event: str, event_id: str | None) -> dict[str, Any] | None:
    """The logged event the trigger produced (events driven through the call's logic report no
    id: take the newest of that type for the call)."""
    if event_id is None:
        found = c.control.get("/webhooks/deliveries", call=call, event_type=event).get("data") or []
        if not found:
            return None
        event_id = found[-1].get("id")
    detail: dict[str, Any] = c.control.get(f"/webhooks/deliveries/{segment(str(event_id))}").get("data") or {}
    return detail


def main() -> None:
    """The console script (``telnyx-emulator-ctl``; ``telnyx-emulator ctl`` forwards here)."""
    app()
