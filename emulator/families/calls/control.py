"""Control API for simulated calls: the party at the other end, scriptable.

- ``GET /_emulator/calls`` — list calls (``?api_key=``); ``GET /_emulator/calls/{id}`` — one call.
- ``POST /_emulator/calls/inbound`` — someone calls in: ``call.initiated`` (incoming, parked);
  the app must ``actions/answer`` it.
- ``POST|GET|DELETE /_emulator/calls/scripts`` — queue a script for the next call to ``to``.
- ``POST /_emulator/calls/{id}/{answer|reject|hangup|dtmf|say|amd|script}`` — act as the other
  party now.
- ``POST /_emulator/calls/{id}/events/{event_type}`` — send one event for the call on demand.

A tenant caller (``Bearer <API key>``) lists, starts, scripts and drives its own calls only;
another tenant's call ids are 404s to it.

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

from emulator.control.requests import confine, emulator_of, own_key, owned, parse, reply, scope_key
from emulator.core.errors import BadRequest, ErrorItem, NotFound, ValidationFailed
from emulator.families.calls import ai, gather, lifecycle, service, supervisor
from emulator.families.calls.commands import check_client_state
from emulator.families.calls.control_models import (
    ALIASES,
    OUTCOME_ACTIONS,
    STEP_ACTIONS,
    VERBS,
    ActResult,
    AmdAction,
    AnswerAction,
    CallData,
    CallList,
    CallTotal,
    DtmfAction,
    EventFields,
    HangupAction,
    InboundRequest,
    OtherPartyAction,
    RejectAction,
    SayAction,
    ScriptAction,
    ScriptListing,
    ScriptRequest,
    ScriptsCleared,
    StepSpec,
    Triggered,
    TriggerResult,
)
from emulator.families.calls.errors import CallEnded, CallNotAnswered, CannotExecute
from emulator.families.calls.event_shapes import EventShapes
from emulator.families.calls.events import Env
from emulator.families.calls.model import Call, Remote, Step
from emulator.families.calls.store import CallStore
from emulator.families.calls.triggers import DEFAULTS, TRIGGERS, trigger
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator


def parse_step(spec: StepSpec, index: int) -> Step:
    action = ALIASES.get(spec.action.lower(), spec.action.lower())
    if action not in STEP_ACTIONS:
        raise ValidationFailed(
            items=[ErrorItem(f"Unknown step action {action!r}; use one of {', '.join(STEP_ACTIONS)}.", pointer=f"/steps/{index}/action")]
        )
    step = Step(action=action, after=float(spec.after), digits=spec.digits or "", text=spec.text or "", result=spec.result or "", cause=spec.cause or "")
    if action == "dtmf" and (not step.digits or any(c not in gather.DTMF_SYMBOLS for c in step.digits)):
        raise ValidationFailed(items=[ErrorItem("dtmf steps need digits made of 0-9, *, #, A-D.", pointer=f"/steps/{index}/digits")])
    if action == "say" and not step.text:
        raise ValidationFailed(items=[ErrorItem("say steps need a text.", pointer=f"/steps/{index}/text")])
    if action == "amd" and not step.result:
        raise ValidationFailed(items=[ErrorItem("amd steps need a result (human, machine, not_sure, ...).", pointer=f"/steps/{index}/result")])
    return step


def parse_script(specs: list[StepSpec] | None) -> Remote:
    """Steps → a Remote: the first outcome step decides how the call is answered, ``amd`` sets the
    detection result, and the rest is the ordered input queue."""
    remote = Remote(scripted=True)
    outcome_seen = False
    for i, spec in enumerate(specs or []):
        step = parse_step(spec, i)
        if step.action in OUTCOME_ACTIONS and not outcome_seen:
            outcome_seen = True
            remote.outcome = step.action
            remote.answer_after = step.after if "after" in spec.model_fields_set else None
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


def locate_own(request: Request, call_id: str) -> tuple[Env, Call]:
    """``locate``, except that a tenant caller finds only its own calls."""
    env, call = locate(emulator_of(request), call_id)
    owned(request, env.tenant.api_key, NotFound(f"No call with call_control_id {call_id!r}."))
    return env, call


def _live(call: Call) -> None:
    if not call.is_alive:
        raise CallEnded("This call is no longer active.")


async def list_calls(request: Request) -> Response:
    emulator = emulator_of(request)
    wanted = scope_key(request)
    rows: list[dict[str, Any]] = []
    for key, tenant in emulator.state.tenants.items():
        store = tenant.stores().get(CallStore)
        if store is None or (wanted and key != wanted):
            continue
        now = emulator.state.clock.now()
        rows.extend({**c.dump(), "api_key": key, "is_alive": c.is_alive, "call_duration": c.duration(now)} for c in store.calls.values())
    return reply(CallList(data=rows, meta=CallTotal(total=len(rows))))


async def get_call(request: Request) -> Response:
    env, call = locate_own(request, request.path_params["call_id"])
    return reply(CallData(data={**call.dump(), "api_key": env.tenant.api_key, "is_alive": call.is_alive, "call_duration": call.duration(env.now())}))


async def inbound(request: Request) -> Response:
    """Someone calls the app: an incoming, parked call and its ``call.initiated``."""
    emulator = emulator_of(request)
    body = await parse(request, InboundRequest)
    tenant = resolve_tenant(emulator, confine(request, body.api_key or request.query_params.get("api_key")))
    assert tenant is not None
    env = Env(emulator, tenant)
    check_client_state(env, {"client_state": body.client_state})
    remote = parse_script(body.steps)
    call = lifecycle.create_call(
        env,
        direction="incoming",
        from_=body.from_,
        to=body.to,
        connection_id=body.connection_id,
        remote=remote,
        client_state=body.client_state,
        webhook_url=body.webhook_url or None,
    )
    call.custom_headers = list(body.custom_headers or [])
    lifecycle.initiated(env, call)
    return reply(CallData(data={**call.dump(), "api_key": tenant.api_key}), status_code=201)


async def scripts(request: Request) -> Response:
    emulator = emulator_of(request)
    mine = own_key(request)  # a tenant sees and clears its own scripts, not the shared ones
    if request.method == "GET":
        shared = service.shared_scripts(emulator) if mine is None else {}
        out: dict[str, Any] = {"shared": {to: [r.to_json() for r in rs] for to, rs in shared.items()}}
        for key, tenant in emulator.state.tenants.items():
            store = tenant.stores().get(CallStore)
            if store is not None and store.scripts and mine in (None, key):
                out[key] = {to: [r.to_json() for r in rs] for to, rs in store.scripts.items()}
        return reply(ScriptListing(data=out))
    if request.method == "DELETE":
        if mine is None:
            service.shared_scripts(emulator).clear()
        for key, tenant in emulator.state.tenants.items():
            store = tenant.stores().get(CallStore)
            if store is not None and mine in (None, key):
                store.scripts.clear()
        return reply(ScriptsCleared(cleared=True))
    body = await parse(request, ScriptRequest)
    to = body.to
    remote = parse_script(body.steps)
    if body.auto is not None:
        remote.auto = body.auto
    api_key = confine(request, body.api_key or request.query_params.get("api_key"))  # a tenant's script is its own
    if api_key:
        owner = resolve_tenant(emulator, api_key)
        assert owner is not None
        owner.store(CallStore).scripts.setdefault(to, []).append(remote)
    else:
        service.shared_scripts(emulator).setdefault(to, []).append(remote)
    return reply(CallData(data={"to": to, "api_key": api_key, **remote.to_json()}), status_code=201)


async def act(request: Request) -> Response:
    """The other party does something now."""
    env, call = locate_own(request, request.path_params["call_id"])
    verb = request.path_params["verb"]
    if verb not in VERBS:
        raise NotFound(f"Unknown call action {verb!r}.")
    body = await parse(request, VERBS[verb])
    result: dict[str, Any] = {"call_control_id": call.call_control_id}
    if isinstance(body, AnswerAction):
        _live(call)
        if call.direction != "outgoing" or call.state != "ringing":
            raise CannotExecute("Only a ringing outbound call can be answered by the other party.")
        if body.amd_result:
            call.remote.amd_result = body.amd_result
        if body.voicemail:
            call.remote.outcome = "voicemail"
        lifecycle.callee_answers(env, call)
    elif isinstance(body, RejectAction):
        _live(call)
        if call.state != "ringing":
            raise CannotExecute("Only a ringing outbound call can be rejected by the other party.")
        cause = body.cause
        if cause not in lifecycle.UNANSWERED:
            raise ValidationFailed(items=[ErrorItem(f"cause must be one of {', '.join(lifecycle.UNANSWERED)}.", pointer="/cause")])
        lifecycle.end_call(env, call, cause=lifecycle.UNANSWERED[cause][0], source="callee", sip=lifecycle.UNANSWERED[cause][1])
    elif isinstance(body, HangupAction):
        _live(call)
        lifecycle.remote_hangup(env, call)
    elif isinstance(body, DtmfAction):
        _live(call)
        digits = body.digits
        if not digits or any(c not in gather.DTMF_SYMBOLS for c in digits):
            raise ValidationFailed(items=[ErrorItem("digits must be made of 0-9, *, #, A-D.", pointer="/digits")])
        if call.state != "answered":
            raise CallNotAnswered("Digits can only be pressed on an answered call.")
        gather.press(env, call, digits)
    elif isinstance(body, SayAction):
        _live(call)
        text = body.text
        if not text:
            raise ValidationFailed(items=[ErrorItem("text is required.", pointer="/text")])
        if call.state == "answered" and supervisor.supervising(env, call) is not None and call.ai is None:
            result["outcome"], result["heard_by"] = "supervised", supervisor.speak(env, call, text)
        else:
            result["outcome"] = ai.say(env, call, text)
    elif isinstance(body, AmdAction):
        if not body.result:
            raise ValidationFailed(items=[ErrorItem("result is required (human, machine, not_sure, ...).", pointer="/result")])
        call.remote.amd_result = body.result
        if body.greeting:
            call.remote.greeting_result = body.greeting
    elif isinstance(body, ScriptAction):
        extra = parse_script(body.steps)
        call.remote.steps.extend(extra.steps)
        call.remote.failures.extend(extra.failures)
        if body.auto is not None:
            call.remote.auto = body.auto
        if call.state == "answered":
            lifecycle.run_remote(env, call)
    result["state"] = call.state
    return reply(ActResult(data=result))


async def trigger_event(request: Request) -> Response:
    emulator = emulator_of(request)
    env, call = locate_own(request, request.path_params["call_id"])
    event_type = request.path_params["event_type"]
    if event_type not in TRIGGERS:
        raise NotFound(f"Unsupported event {event_type!r}; supported: {', '.join(sorted(TRIGGERS))}.")
    body = (await parse(request, EventFields)).root
    allowed = event_fields(emulator, event_type)
    unknown = sorted(k for k in body if allowed is not None and k not in allowed)
    if unknown:
        expected = ", ".join(sorted(allowed or ())) or "no fields"
        raise ValidationFailed(items=[ErrorItem(f"Unknown field {k!r} for {event_type}; expected {expected}", pointer=f"/{k}", kind="extra_forbidden") for k in unknown])
    event = trigger(env, call, event_type, body)
    return reply(TriggerResult(data=Triggered(event_type=event_type, event_id=getattr(event, "id", None), state=call.state)), status_code=202)


def event_fields(emulator: Emulator, event_type: str) -> frozenset[str] | None:
    """The payload fields a triggered event may be given: its document schema's (and our
    defaults'); the driven events take only what drives them. None = the document has no
    schema for it, so anything goes."""
    if event_type in ("call.answered", "call.hangup"):
        return frozenset()
    if event_type == "call.dtmf.received":
        return frozenset({"digit"})
    schema = emulator.services.family(EventShapes).payload_schema(event_type)
    if schema is None:
        return None
    return frozenset(schema.get("properties") or {}) | frozenset(DEFAULTS.get(event_type, {}))


_ID = {"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/calls", list_calls, "listCalls",
        "Simulated calls (filter with ?api_key=)",
        {"responses": {"200": {"description": "calls"}}},
        response=CallList,
        access="tenant",
    ),
    ControlRoute(
        "POST", "/_emulator/calls/inbound", inbound, "startInboundCall",
        "Start an inbound call (from, to, connection_id, api_key, steps)",
        {"responses": {"201": {"description": "call"}}},
        body=InboundRequest, response=CallData,
        access="tenant",
    ),
    ControlRoute(
        "GET", "/_emulator/calls/scripts", scripts, "listCallScripts",
        "Scripts waiting for a dial",
        {"responses": {"200": {"description": "scripts"}}},
        response=ScriptListing,
        access="tenant",
    ),
    ControlRoute(
        "POST", "/_emulator/calls/scripts", scripts, "queueCallScript",
        "Queue the other party's steps for the next call to `to`",
        {"responses": {"201": {"description": "queued"}}},
        body=ScriptRequest, response=CallData,
        access="tenant",
    ),
    ControlRoute(
        "DELETE", "/_emulator/calls/scripts", scripts, "clearCallScripts",
        "Drop all queued scripts",
        {"responses": {"200": {"description": "cleared"}}},
        response=ScriptsCleared,
        access="tenant",
    ),
    ControlRoute(
        "GET", "/_emulator/calls/{call_id}", get_call, "getCall",
        "One simulated call",
        {"parameters": [_ID], "responses": {"200": {"description": "call"}}},
        response=CallData,
        access="tenant",
    ),
    ControlRoute(
        "POST", "/_emulator/calls/{call_id}/events/{event_type}", trigger_event, "triggerCallEvent",
        "Send one event for the call now (body overrides payload fields)",
        {
            "parameters": [_ID, {"name": "event_type", "in": "path", "required": True, "schema": {"type": "string", "enum": sorted(TRIGGERS)}}],
            "responses": {"202": {"description": "emitted"}},
        },
        body=EventFields, response=TriggerResult,
        access="tenant",
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
            "responses": {"200": {"description": "done"}},
        },
        body=OtherPartyAction, response=ActResult,
        access="tenant",
    ),
)
