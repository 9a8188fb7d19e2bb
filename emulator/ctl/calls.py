"""``calls list|show|inbound|script|hangup|answer|press|say``: simulated calls and the party at
the other end (``/_emulator/calls…``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from emulator.ctl.client import CtlError, segment
from emulator.ctl.options import JsonOpt, KeyOpt, ctl
from emulator.ctl.output import Column

app = typer.Typer(help="Simulated calls and the other party (answer, press, say, hang up, scripts).", no_args_is_help=True)

CALL_COLUMNS: list[Column] = [
    ("call_control_id", "call_control_id"),
    ("key", "api_key"),
    ("direction", "direction"),
    ("from", "from"),
    ("to", "to"),
    ("state", "state"),
    ("secs", "call_duration"),
    ("hangup", "hangup_cause"),
]

StepsOpt = Annotated[
    list[str] | None,
    typer.Option("--step", "-s", help='One step of the other party, in order: answer, busy, no_answer, reject, voicemail, "press 123#", "say: hello", silence, hangup, "amd machine" …'),
]


@app.command("list")
def list_calls(ctx: typer.Context, key: KeyOpt = None, alive: Annotated[bool, typer.Option("--alive", help="Only calls still up.")] = False, as_json: JsonOpt = False) -> None:
    """Every simulated call (all keys, or --key's)."""
    c = ctl(ctx, as_json)
    found = c.control.get("/calls", api_key=key)
    if alive:
        found["data"] = [call for call in found.get("data", []) if call.get("is_alive")]
    if c.out.as_json:
        c.out.json(found)
        return
    c.out.table(found.get("data", []), CALL_COLUMNS, empty="no calls")


@app.command()
def show(ctx: typer.Context, call_id: Annotated[str, typer.Argument(help="call_control_id")], as_json: JsonOpt = False) -> None:
    """One call: state, parties, the other party's script, gather/AI state."""
    c = ctl(ctx, as_json)
    found = c.control.get(f"/calls/{segment(call_id)}")
    if c.out.as_json:
        c.out.json(found)
        return
    c.out.fields(found.get("data", {}), title=f"call {call_id}")


@app.command()
def inbound(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", help="The caller's number.")],
    to: Annotated[str, typer.Option("--to", help="The number called (yours).")],
    connection_id: Annotated[str, typer.Option("--connection-id", help="The Call Control application that receives it.")],
    key: Annotated[str | None, typer.Option("--key", help="The API key that owns the call (needed when several are in use).")] = None,
    steps: StepsOpt = None,
    client_state: Annotated[str | None, typer.Option("--client-state", help="base64 client_state for the call.")] = None,
    webhook_url: Annotated[str | None, typer.Option("--webhook-url", help="Where this call's events go (else the key's/default webhook URL).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Someone calls in: a parked incoming call and its call.initiated (your app answers it)."""
    c = ctl(ctx, as_json)
    body: dict[str, Any] = {"from": from_, "to": to, "connection_id": connection_id}
    optional = {"api_key": key, "steps": steps, "client_state": client_state, "webhook_url": webhook_url}
    body.update({k: v for k, v in optional.items() if v})
    found = c.control.post("/calls/inbound", body)
    if c.out.as_json:
        c.out.json(found)
        return
    call = found.get("data", {})
    c.out.say(f"[green]inbound call[/green] {call.get('call_control_id')} from {from_} to {to} ({call.get('state')}, key {call.get('api_key')})")


@app.command()
def script(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Argument(help="Queue the steps for the next call dialled to this number.")] = None,
    steps: StepsOpt = None,
    call: Annotated[str | None, typer.Option("--call", help="Add the steps to this live call instead.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Only calls by this API key use the script (default: any).")] = None,
    manual: Annotated[bool, typer.Option("--manual", help="Do not run the steps by themselves (auto: false).")] = False,
    list_scripts: Annotated[bool, typer.Option("--list", help="Show the queued scripts.")] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Drop every queued script.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What the other party does: queue a script for the next call to TO, add steps to a live
    --call, or --list / --clear the queue."""
    c = ctl(ctx, as_json)
    if list_scripts or clear:
        found = c.control.delete("/calls/scripts") if clear else c.control.get("/calls/scripts")
        if c.out.as_json:
            c.out.json(found)
        elif clear:
            c.out.say("scripts cleared")
        else:
            rows = [{"key": owner, "to": number, "queued": len(queued), "steps": [s.get("action") for s in queued[0].get("steps", [])] if queued else []}
                    for owner, by_to in (found.get("data") or {}).items() for number, queued in by_to.items()]
            c.out.table(rows, [("key", "key"), ("to", "to"), ("queued", "queued"), ("first script's input steps", "steps")], empty="no scripts queued")
        return
    if (to is None) == (call is None):
        raise CtlError("give either TO (the next call to that number) or --call ID (a live call)", 2)
    body: dict[str, Any] = {"steps": steps or []}
    if manual:
        body["auto"] = False
    if call is not None:
        found = c.control.post(f"/calls/{segment(call)}/script", body)
        what = f"call {call}"
    else:
        body.update({"to": to, **({"api_key": key} if key else {})})
        found = c.control.post("/calls/scripts", body)
        what = f"the next call to {to}"
    if c.out.as_json:
        c.out.json(found)
    else:
        c.out.say(f"[green]scripted[/green] {what}: {', '.join(steps or []) or '(no steps)'}")


def _act(ctx: typer.Context, call_id: str, verb: str, body: dict[str, Any], as_json: bool, done: str) -> None:
    c = ctl(ctx, as_json)
    found = c.control.post(f"/calls/{segment(call_id)}/{verb}", body)
    if c.out.as_json:
        c.out.json(found)
    else:
        c.out.say(f"{done} {call_id} (state: {found.get('data', {}).get('state')})")


CallArg = Annotated[str, typer.Argument(help="call_control_id")]


@app.command()
def hangup(ctx: typer.Context, call_id: CallArg, as_json: JsonOpt = False) -> None:
    """The other party hangs up."""
    _act(ctx, call_id, "hangup", {}, as_json, "hung up")


@app.command()
def answer(ctx: typer.Context, call_id: CallArg, as_json: JsonOpt = False) -> None:
    """The other party answers a ringing outbound call now."""
    _act(ctx, call_id, "answer", {}, as_json, "answered")


@app.command()
def press(ctx: typer.Context, call_id: CallArg, digits: Annotated[str, typer.Argument(help="0-9, *, #, A-D")], as_json: JsonOpt = False) -> None:
    """The other party presses DTMF digits on an answered call."""
    _act(ctx, call_id, "dtmf", {"digits": digits}, as_json, f"pressed {digits} on")


@app.command()
def say(ctx: typer.Context, call_id: CallArg, text: Annotated[str, typer.Argument(help="What the other party says.")], as_json: JsonOpt = False) -> None:
    """The other party speaks (heard by a gather, an AI assistant or a supervisor)."""
    _act(ctx, call_id, "say", {"text": text}, as_json, f"said {text!r} on")
