"""Call queues: ``actions/enqueue`` and ``actions/leave_queue``.

Queues live per tenant in :class:`CallStore.queues`, keyed by ``queue_name`` and created by the
first enqueue that names them (``max_size`` is fixed then, as the document says). A call is in at
most one queue: enqueueing it again is 422 ``90038``. Joining emits ``call.enqueued`` with the
call's 1-based ``current_position``; leaving emits ``call.dequeued`` (the event type the
document's ``CallLeftQueue`` schema names) with the ``reason`` from the schema's enum:

- ``leave``   — ``actions/leave_queue``;
- ``timeout`` — ``max_wait_time_secs`` passed (emulator clock);
- ``bridged`` — the call was bridged to another leg (e.g. an agent picking it up);
- ``hangup``  — the call ended while queued; reported before ``call.hangup``, like every other
  activity a hangup ends. With ``keep_after_hangup`` the ended call stays queued instead (bridging
  to it then fails with 90018) until its ``max_wait_time_secs`` runs out.
"""

from __future__ import annotations

from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls import lifecycle
from emulator.families.calls.commands import perform, require_fields
from emulator.families.calls.errors import AlreadyQueued, CannotExecute
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import Call, CallQueue, QueueMember
from emulator.families.calls.rules import POSITIVE_INTEGERS
from emulator.http.binding import operation
from emulator.http.context import RequestContext

REASONS = ("bridged", "bridging-in-process", "hangup", "leave", "timeout")


def _positive(env: Env, body: dict[str, Any], name: str) -> int | None:
    """``body[name]`` when it is an integer >= 1; None (the default) when absent or, in the warn
    mode, when it is not (``rules.POSITIVE_INTEGERS``)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        error = ValidationFailed(items=[ErrorItem(f"{name} must be a positive integer.", pointer=f"/{name}", code="10033")])
        env.business_rule(POSITIVE_INTEGERS, error)
        return None
    return value


def enqueue(env: Env, call: Call, body: dict[str, Any]) -> None:
    require_fields(body, "queue_name")
    name = body["queue_name"]
    if not isinstance(name, str):
        raise ValidationFailed(items=[ErrorItem("queue_name must be a string.", pointer="/queue_name", code="10033")])
    max_size = _positive(env, body, "max_size")
    max_wait = _positive(env, body, "max_wait_time_secs")
    store = env.store
    if store.queue_of(call.call_control_id) is not None:
        raise AlreadyQueued("Call already in queue: a call can wait in one queue at a time.")
    queue = store.queues.get(name)
    if queue is not None and len(queue.members) >= queue.max_size:
        raise CannotExecute(f"Queue {name!r} is full ({queue.max_size} calls).")
    if queue is None:
        queue = store.queues[name] = CallQueue(name=name, max_size=max_size or 100)
    member = QueueMember(call.call_control_id, env.now(), max_wait, bool(body.get("keep_after_hangup", False)))
    queue.members.append(member)
    emit(
        env,
        call,
        "call.enqueued",
        {"queue": name, "current_position": len(queue.members), "queue_avg_wait_time_secs": queue.avg_wait()},
    )
    arm_timeout(env, call, member)


def arm_timeout(env: Env, call: Call, member: QueueMember) -> None:
    """Schedule the ``max_wait_time_secs`` departure (also used when a snapshot is restored)."""
    if member.max_wait_secs is None:
        return
    due = member.enqueued_at + member.max_wait_secs

    def expire() -> None:
        queue = env.store.queue_of(call.call_control_id)
        if queue is not None and member in queue.members:
            leave(env, call, "timeout")

    lifecycle.later(env, call, max(0.0, due - env.now()), expire, while_alive=False)


def leave(env: Env, call: Call, reason: str) -> bool:
    """Take ``call`` out of its queue with ``call.dequeued``; False when it was not queued."""
    queue = env.store.queue_of(call.call_control_id)
    if queue is None:
        return False
    position = queue.position(call.call_control_id) or 0
    member = queue.members.pop(position - 1)
    waited = max(0.0, env.now() - member.enqueued_at)
    queue.total_wait += waited
    queue.departed += 1
    emit(
        env,
        call,
        "call.dequeued",
        {"queue": queue.name, "queue_position": position, "reason": reason, "wait_time_secs": int(waited)},
    )
    return True


def end_on_hangup(env: Env, call: Call) -> None:
    """The call is ending: it leaves its queue (reason ``hangup``) unless it asked to stay."""
    queue = env.store.queue_of(call.call_control_id)
    if queue is None:
        return
    member = queue.members[(queue.position(call.call_control_id) or 1) - 1]
    if not member.keep_after_hangup:
        leave(env, call, "hangup")


@operation("EnqueueCall")
async def enqueue_call(ctx: RequestContext) -> dict[str, Any]:
    return perform(ctx, enqueue)


@operation("LeaveQueue")
async def leave_queue(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if not leave(env, call, "leave"):
            raise CannotExecute("This call is not in a queue, so it can't leave one.")

    return perform(ctx, act)
