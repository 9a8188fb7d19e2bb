"""A tenant's calls (:class:`CallStore`) and their snapshot form.

``CallStore.dump()`` writes every call as plain data — state, parties, webhook targets, the other
party's script, the running gather / AI session / Conversation Relay, media activities — plus the
queued scripts, the ``command_id`` memory and the queues; ``CallStore.load()`` rebuilds an equal
store. Call hooks that are module-level functions (the TeXML AI call's ``on_answer``/``on_end``,
a transfer's ``bridge_to_origin``) are written as ``"module:name"`` and re-imported only from
``emulator.``; hooks that are closures (none in the emulator today) are dropped.

Timers hold callbacks, so they are not data: ``load`` sets ``rearm_pending`` and the re-arming
(``service.rearm``) re-creates them on the store's first use.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from emulator.families.calls.model import AiSession, Call, CallQueue, Gather, QueueMember, Remote, Step

HOOKS = ("on_answer", "on_end")


@dataclass
class CallStore:
    """A tenant's calls, the scripts waiting for numbers not yet dialled, command-id memory and
    the call queues (``ctx.tenant.store(CallStore)``)."""

    snapshot_name = "calls"
    snapshot_aliases = ("emulator.resources.calls.model:CallStore",)  # its key before stores had names

    calls: dict[str, Call] = field(default_factory=dict)
    scripts: dict[str, list[Remote]] = field(default_factory=dict)  # by destination number
    commands: dict[tuple[str, str, str], tuple[float, Any]] = field(default_factory=dict)
    queues: dict[str, CallQueue] = field(default_factory=dict)
    rearm_pending: bool = False  # set by load(): timers still to re-create (service.rearm)

    def queue_of(self, call_control_id: str) -> CallQueue | None:
        for q in self.queues.values():
            if q.position(call_control_id) is not None:
                return q
        return None

    def take_script(self, to: str) -> Remote | None:
        queue = self.scripts.get(to)
        if not queue:
            return None
        remote = queue.pop(0)
        if not queue:
            del self.scripts[to]
        return remote

    def dump(self) -> dict[str, Any]:
        return {
            "calls": [dump_call(c) for c in self.calls.values()],
            "scripts": {to: [asdict(r) for r in rs] for to, rs in self.scripts.items()},
            "commands": [[*key, at, response] for key, (at, response) in self.commands.items()],
            "queues": [asdict(q) for q in self.queues.values()],
        }

    @classmethod
    def load(cls, data: Any) -> CallStore:
        """Snapshot protocol (``emulator/core/snapshot.py``): the inverse of ``dump``."""
        if not isinstance(data, dict):
            raise TypeError("a call store snapshot is an object")
        store = cls()
        for raw in data.get("calls", []):
            call = load_call(raw)
            store.calls[call.call_control_id] = call
        for to, remotes in data.get("scripts", {}).items():
            store.scripts[str(to)] = [load_remote(r) for r in remotes]
        for ccid, op, command_id, at, response in data.get("commands", []):
            store.commands[(ccid, op, command_id)] = (float(at), response)
        for raw in data.get("queues", []):
            members = [QueueMember(**m) for m in raw.get("members", [])]
            queue = CallQueue(**{**raw, "members": members})
            store.queues[queue.name] = queue
        # kept-after-hangup queue members of ended calls still have a max-wait departure to run
        store.rearm_pending = any(c.is_alive for c in store.calls.values()) or any(q.members for q in store.queues.values())
        return store


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
    """The function a hook name denotes. Imported by name (not an import arrow of this module):
    the hooks live in the handler modules, which all build on this one."""
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


def load_remote(data: dict[str, Any]) -> Remote:
    """A script (the other party's behaviour) from its ``asdict`` form."""
    return Remote(**{**data, "steps": [Step(**s) for s in data.get("steps", [])]})


def load_call(data: dict[str, Any]) -> Call:
    data = dict(data)
    remote, gather, ai = data.pop("remote"), data.pop("gather", None), data.pop("ai", None)
    extra = _unplain(data.pop("extra", {}))
    for key, name in (data.pop("hooks", None) or {}).items():
        if key not in HOOKS:
            raise ValueError(f"unknown call hook {key!r}")
        extra[key] = _hook(name)
    call = Call(**data, remote=load_remote(remote), extra=extra)
    call.gather = None if gather is None else Gather(**gather)
    call.ai = None if ai is None else AiSession(**ai)
    return call
