"""Implicit calls: in the ``unknown_ids: create`` mode, a command naming a call_control_id the
tenant has never seen finds an answered call with that id, then runs as usual.

Such a call stands in for one the user's code learnt of elsewhere (a real Telnyx webhook, a
copied example), so it is an *incoming* call already answered: every command that needs an
answered call just works. Its parties, leg, session and connection ids are fakes seeded by the
call_control_id (the same id gives the same call every run). It has no webhook URL of its own, so
its events go where the dispatcher sends URL-less events: the settings' default ``webhook_url``,
else only the delivery log (never an invented host).

The kernel resolves the kind before any handler runs (``runtime/implicit.py``). ``exists`` is
true for an ended call too, so an ended call stays ended (commands get 90018, not a new call).
While no command has run on it yet, ``answer``/``reject`` take it for the incoming call they
expect and find it still waiting (:func:`as_waiting`), so a user's first ``answer`` answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.ids import IdFactory
from emulator.families.calls.events import Env
from emulator.families.calls.model import Call
from emulator.runtime.implicit import IdKind, Ids

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator

FRESH = "implicit_fresh"
"""``call.extra`` marker: an implicit call no command has touched yet."""


def _env(emulator: Emulator, api_key: str) -> Env:
    return Env(emulator, emulator.state.tenant(api_key))


def _number(ids: IdFactory) -> str:
    """A North American number in the 555-01xx fiction range (never a real subscriber)."""
    return f"+1{ids.random.randint(201, 989)}55501{ids.random.randint(0, 99):02d}"


def call_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    """Any call with the id, ended ones included (an ended call is never re-created)."""
    return ids.get("call_control_id", "") in _env(emulator, api_key).store.calls


def adopt_call(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """Store an answered incoming call under the requested id (the synthesized ``GET`` record is
    only a status view, so the call is built from the seeded fakes instead)."""
    env = _env(emulator, api_key)
    ccid = ids["call_control_id"]
    fake = IdFactory(emulator.settings.seed, f"implicit-call:{api_key}:{ccid}")
    now = env.now()
    call = Call(
        call_control_id=ccid,
        call_leg_id=fake.uuid(),
        call_session_id=fake.uuid(),
        tenant=api_key,
        connection_id=fake.digits(19),
        from_=_number(fake),
        to=_number(fake),
        direction="incoming",
        created_at=now,
        state="answered",
        answered_at=now,
        extra={"implicit": True, FRESH: True},
    )
    env.store.calls[ccid] = call


def as_waiting(call: Call) -> None:
    """An untouched implicit call meets a command for an unanswered incoming call: it is that
    call, still parked (so ``answer`` emits ``call.answered``, ``reject`` ends it)."""
    if call.extra.get(FRESH) and call.state == "answered":
        call.state = "parked"
        call.answered_at = None


ID_KINDS = (IdKind(kind="call", template="/calls/{call_control_id}", exists=call_exists, adopt=adopt_call),)
