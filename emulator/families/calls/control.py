"""Control API for simulated calls: the party at the other end, scriptable.

- ``GET /_emulator/calls`` — list calls (``?api_key=``); ``GET /_emulator/calls/{id}`` — one call.
- ``POST /_emulator/calls/inbound`` — someone calls in: ``call.initiated`` (incoming, parked);
  the app must ``actions/answer`` it.
- ``POST|GET|DELETE /_emulator/calls/scripts`` — queue a script for the next call to ``to``.
- ``POST /_emulator/calls/{id}/{answer|reject|hangup|dtmf|say|amd|script}`` — act as the other
  party now.
- ``POST /_emulator/calls/{id}/events/{event_type}`` — send one event for the call on demand.

Script steps are objects ``{"action", "after", "digits", "text", "result"}`` or short strings:
``"answer"``, ``"busy"``, ``"no_answer"``, ``"reject"``, ``"voicemail"``, ``"fail"``, ``"manual"``,
``"amd machine"``, ``"press 123#"``, ``"say: my name is Ada"``, ``"silence"``, ``"hangup"``,
``"refer_fail"`` / ``"siprec_fail"`` (the next REFER / SIPREC start fails).
Input steps (press / say / silence) wait, in order, for something on the call that listens (a
gather, an AI gather, an assistant); ``hangup`` runs once it reaches the head of the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core.errors import BadRequest, ErrorItem, NotFound, ValidationFailed
from emulator.families.calls import ai, gather, lifecycle, service, supervisor
from emulator.families.calls.commands import check_client_state
from emulator.families.calls.errors import CallEnded, CallNotAnswered, CannotExecute
from emulator.families.calls.events import Env
from emulator.families.calls.model import Call, Remote, Step
from emulator.families.calls.store import CallStore
from emulator.families.calls.triggers import TRIGGERS, trigger
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator

OUTCOME_ACTIONS = (*lifecycle.OUTCOMES, "manual")
STEP_ACTIONS = (*OUTCOME_ACTIONS, "amd", "dtmf", "say", "silence", "hangup", "refer_fail", "siprec_fail")
ALIASES = {"press": "dtmf", "digits": "dtmf", "speak": "say", "machine": "voicemail", "no-answer": "no_answer"}


def parse_step(raw: Any, index: int) -> Step:
    if isinstance(raw, str):
        head, _, rest = raw.strip().partition(" ")
        head = head.rstrip(":").lower()
        action = ALIASES.get(head, head)
        rest = rest.strip()
        raw = {"action": action}
        if action == "dtmf":
            raw["digits"] = rest.replace(" ", "")
        elif action == "say":
            raw["text"] = rest.lstrip(": ")
        elif action == "amd":
            raw["result"] = rest
    if not isinstance(raw, dict):
        raise ValidationFailed(items=[ErrorItem("A step is an object or a string.", pointer=f"/steps/{index}")])
    action = ALIASES.get(str(raw.get("action", "")).lower(), str(raw.get("action", "")).lower())
    if action not in STEP_ACTIONS:
        raise ValidationFailed(
            items=[ErrorItem(f"Unknown step action {action!r}; use one of {', '.join(STEP_ACTIONS)}.", pointer=f"/steps/{index}/action")]
        )
    after = raw.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int | float) or after < 0:
        raise ValidationFailed(items=[ErrorItem("after must be a number of seconds >= 0.", pointer=f"/steps/{index}/after")])
    step = Step(action=action, after=float(after), digits=str(raw.get("digits") or ""), text=str(raw.get("text") or ""),
                result=str(raw.get("result") or ""), cause=str(raw.get("cause") or ""))
    if action == "dtmf" and (not step.digits or any(c not in gather.DTMF_SYMBOLS for c in step.digits)):
        raise ValidationFailed(items=[ErrorItem("dtmf steps need digits made of 0-9, *, #, A-D.", pointer=f"/steps/{index}/digits")])
    if action == "say" and not step.text:
        raise ValidationFailed(items=[ErrorItem("say steps need a text.", pointer=f"/steps/{index}/text")])
    if action == "amd" and not step.result:
        raise ValidationFailed(items=[ErrorItem("amd steps need a result (human, machine, not_sure, ...).", pointer=f"/steps/{index}/result")])
    return step


def parse_script(raw_steps: Any) -> Remote:
    """Steps → a Remote: the first outcome step decides how the call is answered, ``amd`` sets the
    detection result, and the rest is the ordered input queue."""
    if raw_steps is None:
        raw_steps = []
    if not isinstance(raw_steps, list):
        raise ValidationFailed(items=[ErrorItem("steps must be an array.", pointer="/steps")])
    remote = Remote(scripted=True)
    outcome_seen = False
    for i, raw in enumerate(raw_steps):
        step = parse_step(raw, i)
        if step.action in OUTCOME_ACTIONS and not outcome_seen:
            outcome_seen = True
            remote.outcome = step.action
            remote.answer_after = step.after if isinstance(raw, dict) and "after" in raw else None
        elif step.action == "amd":
            remote.amd_result = step.result
        elif step.action in ("refer_fail", "siprec_fail"):
            remote.failures.append(step.action)
        elif step.action not in OUTCOME_ACTIONS:
            remote.steps.append(step)
    return remote


def resolve_tenant(emulator: Emulator, api_key: Any, *, required: bool = True) -> TenantState | None:
    """The tenant named by ``api_key``, else the only configured key / only existing tenant."""
    if api_key is not None and not isinstance(api_key, str):
        raise BadRequest("api_key must be a string.")
    if not api_key:
        keys = sorted(emulator.settings.accepted_api_keys())
        if len(keys) == 1:
            api_key = keys[0]
        elif len(emulator.state.tenants) == 1:
            api_key = next(iter(emulator.state.tenants))
        elif not required:
            return None
        else:
            raise BadRequest("Say which API key owns this call: give api_key in the body or query.")
    return emulator.state.tenant(api_key)


def locate(emulator: Emulator, call_id: str) -> tuple[Env, Call]:
    for tenant in list(emulator.state.tenants.values()):
        store = tenant.stores().get(CallStore)
        if store is not None and call_id in store.calls:
            return Env(emulator, tenant), store.calls[call_id]
    raise NotFound(f"No call with call_control_id {call_id!r}.")


def _live(call: Call) -> None:
    if not call.is_alive:
        raise CallEnded("This call is no longer active.")


async def list_calls(request: Request) -> Response:
    emulator = emulator_of(request)
    wanted = request.query_params.get("api_key")
    rows: list[dict[str, Any]] = []
    for key, tenant in emulator.state.tenants.items():
        store = tenant.stores().get(CallStore)
        if store is None or (wanted and key != wanted):
            continue
        now = emulator.state.clock.now()
        rows.extend({**c.dump(), "api_key": key, "is_alive": c.is_alive, "call_duration": c.duration(now)} for c in store.calls.values())
    return JSONResponse({"data": rows, "meta": {"total": len(rows)}})


async def get_call(request: Request) -> Response:
    emulator = emulator_of(request)
    env, call = locate(emulator, request.path_params["call_id"])
    return JSONResponse({"data": {**call.dump(), "api_key": env.tenant.api_key, "is_alive": call.is_alive, "call_duration": call.duration(env.now())}})


async def inbound(request: Request) -> Response:
    """Someone calls the app: an incoming, parked call and its ``call.initiated``."""
    emulator = emulator_of(request)
    body = await json_body(request)
    tenant = resolve_tenant(emulator, body.get("api_key") or request.query_params.get("api_key"))
    assert tenant is not None
    missing = [f for f in ("from", "to", "connection_id") if not body.get(f)]
    if missing:
        raise ValidationFailed(items=[ErrorItem(f"{f} is required.", pointer=f"/{f}") for f in missing])
    env = Env(emulator, tenant)
    check_client_state(env, body)
    remote = parse_script(body.get("steps"))
    call = lifecycle.create_call(
        env,
        direction="incoming",
        from_=str(body["from"]),
        to=str(body["to"]),
        connection_id=str(body["connection_id"]),
        remote=remote,
        client_state=body.get("client_state"),
        webhook_url=body.get("webhook_url") or None,
    )
    call.custom_headers = list(body.get("custom_headers") or [])
    lifecycle.initiated(env, call)
    return JSONResponse({"data": {**call.dump(), "api_key": tenant.api_key}}, status_code=201)


async def scripts(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "GET":
        out: dict[str, Any] = {"shared": {to: [r.to_json() for r in rs] for to, rs in service.shared_scripts(emulator).items()}}
        for key, tenant in emulator.state.tenants.items():
            store = tenant.stores().get(CallStore)
            if store is not None and store.scripts:
                out[key] = {to: [r.to_json() for r in rs] for to, rs in store.scripts.items()}
        return JSONResponse({"data": out})
    if request.method == "DELETE":
        service.shared_scripts(emulator).clear()
        for tenant in emulator.state.tenants.values():
            store = tenant.stores().get(CallStore)
            if store is not None:
                store.scripts.clear()
        return JSONResponse({"cleared": True})
    body = await json_body(request)
    to = body.get("to")
    if not isinstance(to, str) or not to:
        raise ValidationFailed(items=[ErrorItem("to (the number the script answers for) is required.", pointer="/to")])
    remote = parse_script(body.get("steps"))
    if "auto" in body:
        remote.auto = bool(body["auto"])
    api_key = body.get("api_key") or request.query_params.get("api_key")
    if api_key:
        owner = resolve_tenant(emulator, api_key)
        assert owner is not None
        owner.store(CallStore).scripts.setdefault(to, []).append(remote)
    else:
        service.shared_scripts(emulator).setdefault(to, []).append(remote)
    return JSONResponse({"data": {"to": to, "api_key": api_key, **remote.to_json()}}, status_code=201)


async def act(request: Request) -> Response:
    """The other party does something now."""
    emulator = emulator_of(request)
    env, call = locate(emulator, request.path_params["call_id"])
    verb = request.path_params["verb"]
    body = await json_body(request)
    result: dict[str, Any] = {"call_control_id": call.call_control_id}
    if verb == "answer":
        _live(call)
        if call.direction != "outgoing" or call.state != "ringing":
            raise CannotExecute("Only a ringing outbound call can be answered by the other party.")
        if body.get("amd_result"):
            call.remote.amd_result = str(body["amd_result"])
        if body.get("voicemail"):
            call.remote.outcome = "voicemail"
        lifecycle.callee_answers(env, call)
    elif verb == "reject":
        _live(call)
        if call.state != "ringing":
            raise CannotExecute("Only a ringing outbound call can be rejected by the other party.")
        cause = body.get("cause", "reject")
        if cause not in lifecycle.UNANSWERED:
            raise ValidationFailed(items=[ErrorItem(f"cause must be one of {', '.join(lifecycle.UNANSWERED)}.", pointer="/cause")])
        lifecycle.end_call(env, call, cause=lifecycle.UNANSWERED[cause][0], source="callee", sip=lifecycle.UNANSWERED[cause][1])
    elif verb == "hangup":
        _live(call)
        lifecycle.remote_hangup(env, call)
    elif verb == "dtmf":
        _live(call)
        digits = body.get("digits")
        if not isinstance(digits, str) or not digits or any(c not in gather.DTMF_SYMBOLS for c in digits):
            raise ValidationFailed(items=[ErrorItem("digits must be made of 0-9, *, #, A-D.", pointer="/digits")])
        if call.state != "answered":
            raise CallNotAnswered("Digits can only be pressed on an answered call.")
        gather.press(env, call, digits)
    elif verb == "say":
        _live(call)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise ValidationFailed(items=[ErrorItem("text is required.", pointer="/text")])
        if call.state == "answered" and supervisor.supervising(env, call) is not None and call.ai is None:
            result["outcome"], result["heard_by"] = "supervised", supervisor.speak(env, call, text)
        else:
            result["outcome"] = ai.say(env, call, text)
    elif verb == "amd":
        res = body.get("result")
        if not isinstance(res, str) or not res:
            raise ValidationFailed(items=[ErrorItem("result is required (human, machine, not_sure, ...).", pointer="/result")])
        call.remote.amd_result = res
        if body.get("greeting"):
            call.remote.greeting_result = str(body["greeting"])
    elif verb == "script":
        extra = parse_script(body.get("steps"))
        call.remote.steps.extend(extra.steps)
        call.remote.failures.extend(extra.failures)
        if "auto" in body:
            call.remote.auto = bool(body["auto"])
        if call.state == "answered":
            lifecycle.run_remote(env, call)
    else:
        raise NotFound(f"Unknown call action {verb!r}.")
    result["state"] = call.state
    return JSONResponse({"data": result})


async def trigger_event(request: Request) -> Response:
    emulator = emulator_of(request)
    env, call = locate(emulator, request.path_params["call_id"])
    event_type = request.path_params["event_type"]
    if event_type not in TRIGGERS:
        raise NotFound(f"Unsupported event {event_type!r}; supported: {', '.join(sorted(TRIGGERS))}.")
    body = await json_body(request)
    event = trigger(env, call, event_type, body)
    return JSONResponse({"data": {"event_type": event_type, "event_id": getattr(event, "id", None), "state": call.state}}, status_code=202)


_ID = {"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}
_OBJ = {"content": {"application/json": {"schema": {"type": "object"}}}}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/calls", list_calls, "listCalls",
        "Simulated calls (filter with ?api_key=)",
        {"responses": {"200": {"description": "calls"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/calls/inbound", inbound, "startInboundCall",
        "Start an inbound call (from, to, connection_id, api_key, steps)",
        {"requestBody": _OBJ, "responses": {"201": {"description": "call"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/calls/scripts", scripts, "listCallScripts",
        "Scripts waiting for a dial",
        {"responses": {"200": {"description": "scripts"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/calls/scripts", scripts, "queueCallScript",
        "Queue the other party's steps for the next call to `to`",
        {"requestBody": _OBJ, "responses": {"201": {"description": "queued"}}},
    ),
    ControlRoute(
        "DELETE", "/_emulator/calls/scripts", scripts, "clearCallScripts",
        "Drop all queued scripts",
        {"responses": {"200": {"description": "cleared"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/calls/{call_id}", get_call, "getCall",
        "One simulated call",
        {"parameters": [_ID], "responses": {"200": {"description": "call"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/calls/{call_id}/events/{event_type}", trigger_event, "triggerCallEvent",
        "Send one event for the call now (body overrides payload fields)",
        {
            "parameters": [_ID, {"name": "event_type", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": _OBJ,
            "responses": {"202": {"description": "emitted"}},
        },
    ),
    ControlRoute(
        "POST", "/_emulator/calls/{call_id}/{verb}", act, "actAsOtherParty",
        "The other party: answer, reject, hangup, dtmf, say, amd, script",
        {
            "parameters": [
                _ID,
                {
                    "name": "verb",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["answer", "reject", "hangup", "dtmf", "say", "amd", "script"]},
                },
            ],
            "requestBody": _OBJ,
            "responses": {"200": {"description": "done"}},
        },
    ),
)
