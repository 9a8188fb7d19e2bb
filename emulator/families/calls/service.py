"""The calls family's service and the re-arming of restored call stores.

:class:`CallsService` holds what the family keeps outside tenants — the scripts queued for a
number without an API key (any tenant's dial may claim them, see :func:`claim_script`) — and
writes them to snapshots. A tenant's calls are written by ``CallStore.dump()`` (``store.py``).

Timers hold callbacks, so a restore cancels them; ``CallStore.load`` marks the store and :func:`rearm`
re-creates what can be derived from the data, on the first use of the store after the restore
(:class:`CallsService` also does it right after a ``POST /_emulator/restore`` or a start-up from
persisted state, so nothing waits for a request):

- a ringing outbound call: its answer / busy / no-answer outcome, still due at dial + delay
  (a transfer's new leg still bridges on answer: that hook is a named function, its target data);
- an answered call: its ``time_limit_secs`` hangup, due at answer + limit, the other party's
  scripted ``hangup`` step that was waiting on its delay, and the end of its ``wait`` step;
- a queued call: its ``max_wait_time_secs`` departure, due at enqueue + wait;
- a gather: its prompt ends now (``completed``) and it listens again, timeouts counted from the
  restore; digits already collected are kept;
- an AI gather / assistant: it takes the other party's next scripted utterance (or, when it was
  waiting, its no-response timeout starts again);
- a ``speak`` in progress ends now (``completed``).

Not re-armed (documented limits): answering-machine detection results still to come, a REFER's
outcome, the end of a finite ``playback_start`` (the playback runs until stopped), a scripted
DTMF/utterance that was already on its way to a listener (the listener takes the next step
instead), and the TeXML call's post-hangup ``analyzed`` callback.

:func:`rearm` drives every activity module, which all build on ``events.py``; so ``Env.store``
(which runs it on a restored store's first use) finds it in the emulator's ``events.CallHooks``,
which ``emulator/families/calls/__init__.py`` builds.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from emulator.families.calls import ai, gather, lifecycle, queue
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import Remote
from emulator.families.calls.store import CallStore, load_remote

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def rearm(env: Env, store: CallStore) -> None:
    """Re-create the timers a restored store's calls need (see the module docstring)."""
    store.rearm_pending = False
    for call in list(store.calls.values()):
        if call.state == "ringing" and call.direction == "outgoing":
            lifecycle.ring(env, call)
        if call.state == "answered":
            lifecycle.arm_time_limit(env, call)
            hangup_at = call.extra.get("remote_hangup_at")
            if isinstance(hangup_at, int | float):
                lifecycle.later(env, call, hangup_at - env.now(), functools.partial(lifecycle.remote_hangup, env, call))
            paused_until = call.extra.get(lifecycle.PAUSED)
            if isinstance(paused_until, int | float):
                lifecycle.later(env, call, paused_until - env.now(), functools.partial(lifecycle.resume, env, call))
        q = store.queue_of(call.call_control_id)
        if q is not None:
            queue.arm_timeout(env, call, q.members[(q.position(call.call_control_id) or 1) - 1])
        if not call.is_alive or call.state != "answered":
            continue
        if call.speaking is not None:
            call.speaking = None
            lifecycle.later(env, call, 0.0, functools.partial(emit, env, call, "call.speak.ended", {"status": "completed"}))
        g = call.gather
        if g is not None:
            g.generation += 1
            if g.prompt_playing:
                gather.end_prompt(env, call, g, "completed")
            gather.listen(env, call, g)
        session = call.ai
        if session is not None and session.kind != "relay":
            if session.waiting:
                gen = session.generation
                if session.kind == "ai_gather":
                    lifecycle.later(env, call, session.user_response_timeout, functools.partial(ai.no_response, env, call, session, gen))
            else:
                ai.listen(env, call, session, 0.0)


class CallsService:
    """``emulator.services.family(CallsService)``: what the calls family holds outside tenants — the scripts
    queued without an API key — in snapshots, and the re-arming of restored call stores."""

    snapshot_name = "calls"
    """Key of the shared scripts in snapshots (``core/snapshot.py``)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.scripts: dict[str, list[Remote]] = {}

        def clear(state: Any, api_key: str | None) -> None:
            if api_key is None:
                self.scripts.clear()

        emulator.state.on_reset(clear)

    def snapshot_dump(self) -> dict[str, Any]:
        return {"shared_scripts": {to: [asdict(r) for r in rs] for to, rs in self.scripts.items()}}

    def snapshot_load(self, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("shared_scripts", {}), dict):
            raise ValueError("calls snapshot must be {\"shared_scripts\": {to: [script, ...]}}")
        scripts = {str(to): [load_remote(r) for r in rs] for to, rs in data.get("shared_scripts", {}).items()}
        self.scripts.clear()
        self.scripts.update(scripts)
        # Runs once the restore has replaced the tenants (due at 0: the next scheduler pass).
        self.emulator.state.scheduler.call_at(0.0, self.rearm_all)

    def rearm_all(self) -> None:
        for tenant in list(self.emulator.state.tenants.values()):
            store = tenant.stores().get(CallStore)
            if store is not None and store.rearm_pending:
                rearm(Env(self.emulator, tenant), store)


# -- scripts queued before a call exists -------------------------------------------------------


def shared_scripts(emulator: Emulator) -> dict[str, list[Remote]]:
    """Scripts for numbers not tied to one API key (any tenant may claim them); cleared on a
    full reset. Held by the calls service, so snapshots keep them."""
    return emulator.services.family(CallsService).scripts


def claim_script(env: Env, to: str) -> Remote:
    """The script queued for ``to`` (this tenant's first, then a shared one), else defaults."""
    remote = env.store.take_script(to)
    if remote is not None:
        return remote
    shared = shared_scripts(env.emulator)
    waiting = shared.get(to)
    if waiting:
        remote = waiting.pop(0)
        if not waiting:
            del shared[to]
        return remote
    return Remote()
