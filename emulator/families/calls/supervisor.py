"""Supervisor legs: ``POST /calls`` with ``supervise_call_control_id`` and ``supervisor_role``.

The new leg rings like any other; once answered it joins the supervised call — ``call.bridged`` on
the supervisor leg, then on the supervised leg — without taking the supervised leg from whoever
it is bridged with (``Call.bridged_with`` stays as it was: the supervisor is a third party, kept
in ``extra["supervising"]`` / ``extra["supervisors"]``). The role says who hears the supervisor,
as the document describes it:

- ``barge``: both ends of the supervised call (the supervised leg and the leg bridged with it);
- ``whisper``: the supervised leg only;
- ``monitor``: nobody.

The supervisor always hears everything. What the supervisor says (``POST
/_emulator/calls/{id}/say`` on its leg) reaches the legs its role lets hear it, each as inbound
speech (its running transcription reports it, its recording keeps it); the supervisor's own leg
hears itself as its own inbound track. ``switch_supervisor_role`` changes the role from then on.
When the supervised call ends, its supervisors' legs end too; a supervisor hanging up leaves
the supervised call up.
"""

from __future__ import annotations

from typing import Any

from emulator.core.errors import ErrorItem
from emulator.families.calls import implicit, lifecycle
from emulator.families.calls.errors import CallEnded, InvalidCallControlId
from emulator.families.calls.events import Env, emit
from emulator.families.calls.media import transcribe
from emulator.families.calls.model import Call

ROLES = ("barge", "whisper", "monitor")


def target_of(env: Env, body: dict[str, Any]) -> Call | None:
    """The call a dial asks to supervise (checked before the new leg exists), or None."""
    target_id = body.get("supervise_call_control_id")
    if not target_id:
        return None
    target_id = str(target_id)
    if target_id not in env.store.calls and env.creates_unknown_ids:
        implicit.adopt_call(env.emulator, env.tenant.api_key, {"call_control_id": target_id}, {})
    target = env.store.calls.get(target_id)
    if target is None:
        raise InvalidCallControlId(
            items=[ErrorItem("The call_control_id provided was not valid.", pointer="/supervise_call_control_id")]
        )
    if not target.is_alive:
        raise CallEnded("The call to supervise is no longer active.")
    return target


def attach(leg: Call, target: Call, role: str | None) -> None:
    """Mark the new leg as ``target``'s supervisor; it joins once answered (:func:`join_on_answer`)."""
    leg.supervisor_role = role if role in ROLES else "barge"
    leg.extra["supervising"] = target.call_control_id
    leg.extra["on_answer"] = join_on_answer


def join_on_answer(env: Env, leg: Call) -> None:
    """The supervisor leg answered: it joins the supervised call (a named hook, so snapshots keep it)."""
    target = env.store.calls.get(str(leg.extra.get("supervising") or ""))
    if target is None or not target.is_alive:
        lifecycle.end_call(env, leg, cause="normal_clearing", source="unknown", sip="200")
        return
    supervisors = target.extra.setdefault("supervisors", [])
    if leg.call_control_id not in supervisors:
        supervisors.append(leg.call_control_id)
    emit(env, leg, "call.bridged")
    emit(env, target, "call.bridged")


def supervising(env: Env, call: Call) -> Call | None:
    """The live call ``call`` supervises (after its answer), or None."""
    target = env.store.calls.get(str(call.extra.get("supervising") or ""))
    if target is None or call.call_control_id not in target.extra.get("supervisors", []):
        return None
    return target


def is_joined(env: Env, call: Call) -> bool:
    """Whether ``call`` takes part in a join a supervisor role applies to."""
    return call.bridged_with is not None or supervising(env, call) is not None or bool(call.extra.get("supervisors"))


def hearers(env: Env, supervisor: Call) -> list[Call]:
    """The legs that hear the supervisor, by its role (see the module docstring)."""
    target = supervising(env, supervisor)
    if target is None or not target.is_alive or supervisor.supervisor_role == "monitor":
        return []
    out = [target]
    if supervisor.supervisor_role == "barge":
        partner = env.store.calls.get(target.bridged_with or "")
        if partner is not None and partner.is_alive:
            out.append(partner)
    return out


def speak(env: Env, supervisor: Call, text: str) -> list[str]:
    """The supervisor says ``text``: its own leg and the legs its role reaches hear it. Returns
    the call_control_ids of the other legs that heard it."""
    transcribe(env, supervisor, text)
    heard = hearers(env, supervisor)
    for leg in heard:
        transcribe(env, leg, text)
    return [leg.call_control_id for leg in heard]


def after_hangup(env: Env, call: Call) -> None:
    """A supervised call ended: its supervisors' legs end too."""
    for leg_id in list(call.extra.get("supervisors", [])):
        leg = env.store.calls.get(leg_id)
        if leg is not None and leg.is_alive:
            lifecycle.end_call(env, leg, cause="normal_clearing", source="unknown", sip="200")
