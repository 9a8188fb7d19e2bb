"""Snapshots of the calls family (the store protocol of ``emulator/core/snapshot.py``).

``CallStore.dump()`` writes every call as plain data — state, parties, webhook targets, the other
party's script, the running gather / AI session / Conversation Relay, media activities — plus the
queued scripts, the ``command_id`` memory and the queues; ``CallStore.load()`` rebuilds an equal
store. Call hooks that are module-level functions (the TeXML AI call's ``on_answer``/``on_end``)
are written as ``"module:name"`` and re-imported only from ``emulator.``.

Timers hold callbacks, so a restore cancels them; ``load`` marks the store and :func:`rearm`
re-creates what can be derived from the data, on the first use of the store after the restore
(:class:`CallsService` also does it right after a ``POST /_emulator/restore`` or a start-up from
persisted state, so nothing waits for a request):

- a ringing outbound call: its answer / busy / no-answer outcome, still due at dial + delay
  (a transfer's new leg still bridges on answer: that hook is a named function, its target data);
- an answered call: its ``time_limit_secs`` hangup, due at answer + limit, and the other party's
  scripted ``hangup`` step that was waiting on its delay;
- a queued call: its ``max_wait_time_secs`` departure, due at enqueue + wait;
- a gather: its prompt ends now (``completed``) and it listens again, timeouts counted from the
  restore; digits already collected are kept;
- an AI gather / assistant: it takes the other party's next scripted utterance (or, when it was
  waiting, its no-response timeout starts again);
- a ``speak`` in progress ends now (``completed``).

Not re-armed (documented limits): answering-machine detection results still to come, a REFER's
outcome, the end of a finite ``playback_start`` (the playback runs until stopped), a scripted
DTMF/utterance that was already on its way to a listener (the listener takes the next step
instead), and the TeXML call's post-hangup ``analyzed`` callback. Hooks that are closures (none
in the emulator today) are dropped from the snapshot.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from emulator.families.calls.model import AiSession, Call, CallQueue, CallStore, Gather, QueueMember, Remote, Step

if TYPE_CHECKING:
    from emulator.families.calls.events import Env
    from emulator.runtime.emulator import Emulator

HOOKS = ("on_answer", "on_end")


def _plain(value: Any) -> Any:
    """JSON-able copy of ``value``; sets become ``{"__set__": [...]}``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return {"__set__": sorted(_plain(v) for v in value)}
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__set__"}:
            return set(value["__set__"])
        return {k: _unplain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unplain(v) for v in value]
    return value


def _hook_name(fn: Any) -> str | None:
    module, name = getattr(fn, "__module__", ""), getattr(fn, "__qualname__", "")
    if not module.startswith("emulator.") or "<" in name:
        return None  # a closure can't be written down: see the module docstring
    return f"{module}:{name}"


def _hook(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if not module.startswith("emulator."):
        raise ValueError(f"call hook {name!r} is not under emulator.")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"call hook {name!r} is not callable")
    return obj


def dump_call(call: Call) -> dict[str, Any]:
    data = {f.name: getattr(call, f.name) for f in fields(call) if f.name not in ("remote", "gather", "ai", "extra")}
    data["remote"] = asdict(call.remote)
    data["gather"] = None if call.gather is None else asdict(call.gather)
    data["ai"] = None if call.ai is None else asdict(call.ai)
    extra = {k: v for k, v in call.extra.items() if k not in HOOKS}
    data["extra"] = _plain(extra)
    data["hooks"] = {k: n for k in HOOKS if k in call.extra and (n := _hook_name(call.extra[k])) is not None}
    return _plain(data)


def _remote(data: dict[str, Any]) -> Remote:
    return Remote(**{**data, "steps": [Step(**s) for s in data.get("steps", [])]})


def load_call(data: dict[str, Any]) -> Call:
    data = dict(data)
    remote, gather, ai = data.pop("remote"), data.pop("gather", None), data.pop("ai", None)
    extra = _unplain(data.pop("extra", {}))
    for key, name in (data.pop("hooks", None) or {}).items():
        if key not in HOOKS:
            raise ValueError(f"unknown call hook {key!r}")
        extra[key] = _hook(name)
    call = Call(**data, remote=_remote(remote), extra=extra)
    call.gather = None if gather is None else Gather(**gather)
    call.ai = None if ai is None else AiSession(**ai)
    return call


def dump_store(store: CallStore) -> dict[str, Any]:
    return {
        "calls": [dump_call(c) for c in store.calls.values()],
        "scripts": {to: [asdict(r) for r in rs] for to, rs in store.scripts.items()},
        "commands": [[*key, at, response] for key, (at, response) in store.commands.items()],
        "queues": [asdict(q) for q in store.queues.values()],
    }


def load_store(cls: type[CallStore], data: Any) -> CallStore:
    if not isinstance(data, dict):
        raise TypeError("a call store snapshot is an object")
    store = cls()
    for raw in data.get("calls", []):
        call = load_call(raw)
        store.calls[call.call_control_id] = call
    for to, remotes in data.get("scripts", {}).items():
        store.scripts[str(to)] = [_remote(r) for r in remotes]
    for ccid, op, command_id, at, response in data.get("commands", []):
        store.commands[(ccid, op, command_id)] = (float(at), response)
    for raw in data.get("queues", []):
        members = [QueueMember(**m) for m in raw.get("members", [])]
        queue = CallQueue(**{**raw, "members": members})
        store.queues[queue.name] = queue
    # kept-after-hangup queue members of ended calls still have a max-wait departure to run
    store.rearm_pending = any(c.is_alive for c in store.calls.values()) or any(q.members for q in store.queues.values())
    return store


def rearm(env: Env, store: CallStore) -> None:
    """Re-create the timers a restored store's calls need (see the module docstring)."""
    store.rearm_pending = False
    from emulator.families.calls import ai, gather, lifecycle, queue  # noqa: PLC0415
    from emulator.families.calls.events import emit  # noqa: PLC0415

    for call in list(store.calls.values()):
        if call.state == "ringing" and call.direction == "outgoing":
            lifecycle.ring(env, call)
        if call.state == "answered":
            lifecycle.arm_time_limit(env, call)
            hangup_at = call.extra.get("remote_hangup_at")
            if isinstance(hangup_at, int | float):
                lifecycle.later(env, call, hangup_at - env.now(), lambda c=call: lifecycle.remote_hangup(env, c))
        q = store.queue_of(call.call_control_id)
        if q is not None:
            queue.arm_timeout(env, call, q.members[(q.position(call.call_control_id) or 1) - 1])
        if not call.is_alive or call.state != "answered":
            continue
        if call.speaking is not None:
            call.speaking = None
            lifecycle.later(env, call, 0.0, lambda c=call: emit(env, c, "call.speak.ended", {"status": "completed"}))
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
                    lifecycle.later(env, call, session.user_response_timeout, lambda c=call, s=session: ai._no_response(env, c, s, gen))
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
        scripts = {str(to): [_remote(r) for r in rs] for to, rs in data.get("shared_scripts", {}).items()}
        self.scripts.clear()
        self.scripts.update(scripts)
        # Runs once the restore has replaced the tenants (due at 0: the next scheduler pass).
        self.emulator.state.scheduler.call_at(0.0, self.rearm_all)

    def rearm_all(self) -> None:
        from emulator.families.calls.events import Env  # noqa: PLC0415

        for tenant in list(self.emulator.state.tenants.values()):
            store = tenant.stores().get(CallStore)
            if store is not None and store.rearm_pending:
                rearm(Env(self.emulator, tenant), store)
