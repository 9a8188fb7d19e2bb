"""The prelude every call-control command shares: find the call, honour ``command_id``
idempotency, check ``client_state`` and the call's state, then run the command.

Wrong-state errors use the codes Telnyx documents (90018 ended, 90034 not answered yet) in the
call-control envelope; a repeated ``command_id`` for the same call and command within 60 s gets
the first response again and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls.errors import (
    AiSessionInProgress,
    AlreadyQueued,
    CallEnded,
    CallNotAnswered,
    CallNotForked,
    CallNotFound,
    CannotExecute,
    StreamingInUse,
    TranscriptionInProgress,
)
from emulator.families.calls.events import Env
from emulator.families.calls.implicit import FRESH, as_waiting
from emulator.families.calls.model import COMMAND_ID_WINDOW, Call, is_base64
from emulator.families.calls.rules import CLIENT_STATE_BASE64, COMMAND_STATE

if TYPE_CHECKING:
    from emulator.families.calls.store import CallStore
    from emulator.http.context import RequestContext

Require = Literal["answered", "alive", "unanswered_incoming", "any"]
Action = Callable[[Env, Call, dict[str, Any]], dict[str, Any] | None]

STATE_CONFLICTS = (CannotExecute, CallNotForked, StreamingInUse, AlreadyQueued, TranscriptionInProgress, AiSessionInProgress)
"""What a command raises when the call's state rules it out (``rules.COMMAND_STATE``); an ended
call (90018) and an unanswered one (90034) are not among them: those hold in every mode."""


BASE_URL = "base_url"
"""``call.extra`` key: the address the app last reached the emulator at for the call (its dial or
a command) — where links made for it later, without a request (a triggered recording), point."""


def env_of(ctx: RequestContext) -> Env:
    return Env(ctx.emulator, ctx.tenant, ctx.warnings)


def find_call(env: Env, call_control_id: str, store: CallStore | None = None) -> Call:
    """The tenant's call ``call_control_id`` (``store``: the tenant's, when the caller has it)."""
    call = (store if store is not None else env.store).calls.get(call_control_id)
    if call is None:
        raise CallNotFound(
            "Call not found: no call with this call_control_id exists for this API key.",
            items=[ErrorItem("The call_control_id provided was not valid.", parameter="call_control_id", location="path")],
        )
    return call


def check_client_state(env: Env, body: dict[str, Any]) -> None:
    """``client_state`` is base64 (``rules.CLIENT_STATE_BASE64``; warn mode keeps it as given)."""
    value = body.get("client_state")
    if value is None:
        return
    if not isinstance(value, str) or not is_base64(value):
        env.business_rule(
            CLIENT_STATE_BASE64,
            ValidationFailed(
                "client_state must be a base64-encoded string.",
                items=[ErrorItem("client_state must be a base64-encoded string.", pointer="/client_state")],
            ),
        )


def require_fields(body: dict[str, Any], *names: str) -> None:
    for name in names:  # the common case, every field given, builds nothing
        if body.get(name) in (None, ""):
            break
    else:
        return
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise ValidationFailed(
            items=[ErrorItem(f"The '{n}' parameter is required.", pointer=f"/{n}", code="10004") for n in missing]
        )


def check_state(call: Call, require: Require) -> None:
    if require == "any" or (require == "answered" and call.state == "answered"):
        return  # (the common case first: an answered call is alive)
    if not call.is_alive:
        raise CallEnded("This call is no longer active and can't receive commands.")
    if require == "answered" and call.state != "answered":
        raise CallNotAnswered("This call can't receive this command because it has not been answered yet.")
    if require == "unanswered_incoming" and (call.direction != "incoming" or call.state != "parked"):
        if call.state == "answered":
            raise CannotExecute("The call has already been answered.")
        raise CannotExecute("Only an incoming call that has not been answered can receive this command.")


def perform(ctx: RequestContext, action: Action, *, require: Require = "answered") -> dict[str, Any]:
    """Run one command on the call named in the path and return the response body."""
    env = env_of(ctx)
    body = ctx.json
    store = env.store
    call = find_call(env, str(ctx.path.get("call_control_id", "")), store)
    command_id = body.get("command_id")
    key = None
    now = 0.0  # the clock is read for a command_id only: the window it is remembered in
    if command_id:
        key = (call.call_control_id, ctx.operation.operation_id, str(command_id))
        now = env.now()
        seen = store.commands.get(key)
        if seen is not None and now - seen[0] < COMMAND_ID_WINDOW:
            return seen[1]
    client_state = body.get("client_state")
    if client_state is not None:
        check_client_state(env, body)
    if require == "unanswered_incoming":
        as_waiting(call)  # an untouched implicit call is the incoming call this command expects
    previous = call.client_state
    try:
        check_state(call, require)
        if client_state is not None:
            call.client_state = client_state
        result = action(env, call, body)
    except STATE_CONFLICTS as conflict:
        call.client_state = previous  # a failed command leaves no trace
        env.business_rule(COMMAND_STATE, conflict)
        result = None  # warn mode: answered as done, nothing changed
    except Exception:
        call.client_state = previous
        raise
    call.extra.pop(FRESH, None)
    call.extra[BASE_URL] = ctx.base_url()
    response = {"data": result if result is not None else {"result": "ok"}}
    if key is not None:
        store.commands[key] = (now, response)
        if len(store.commands) > 10_000:  # forget expired ids so a long run stays bounded
            for k in [k for k, (at, _) in store.commands.items() if now - at >= COMMAND_ID_WINDOW]:
                del store.commands[k]
    return response
