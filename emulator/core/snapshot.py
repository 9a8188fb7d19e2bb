"""Snapshots of the whole emulator state: ``GET /_emulator/snapshot``, ``POST /_emulator/restore``,
and the persistence layer (``emulator/core/persistence.py``) all use this one format.

Store protocol (adopt it in your store class to take part)
----------------------------------------------------------
A tenant store (the class you pass to ``TenantState.store(MyStore)``) supports snapshots when it
implements both, and names itself::

    snapshot_name = "assistants"          # stable: the key in snapshots and persisted state
    snapshot_aliases = ("emulator.store.assistants:AssistantStore",)  # names older snapshots used
    def dump(self) -> JSON-able            # plain dicts/lists/str/int/float/bool/None only
    @classmethod
    def load(cls, data) -> "MyStore"      # rebuild an equal store from what dump() returned

``load(dump())`` must give a store that behaves exactly like the original (same records, same
order, same counters). Keep derived indexes out of ``dump()`` and rebuild them in ``load``.
``load`` may raise ``ValueError``/``KeyError``/``TypeError`` on malformed data: restore turns it
into a 422 naming the store. Stores without ``load`` (or whose ``dump`` fails) are listed in the
snapshot's ``skipped`` and are simply absent after a restore.

Services (state that is not per tenant, e.g. the webhook outbox) take part by implementing
:class:`Participant`::

    snapshot_name = "webhooks"
    def snapshot_dump(self) -> JSON-able
    def snapshot_load(self, data) -> None   # validate first; raise ValueError before changing anything

and appear under ``"services": {"<snapshot_name>": data}``.

Format
------
::

    {"format": "telnyx-emulator-snapshot", "version": 1,
     "clock": {"now": <unix seconds>, "frozen": bool},
     "tenants": {"<api key>": {"<snapshot_name>": <dump>, ...}, ...},
     "ids": {"<api key>": <state of the tenant's seeded id generator>},
     "services": {"<service name>": <snapshot_dump()>},
     "skipped": [{"tenant": ..., "store": ..., "reason": ...}]}

Restore finds each store by its ``snapshot_name`` (or one of its ``snapshot_aliases``: the
``<module>:<Class>`` keys snapshots used before stores had names, so a snapshot taken before a
file moved still restores) among the stores the families declare. A store class without a name
is keyed ``<module>:<Class>`` and imported only from modules under ``emulator.`` (an allow-list:
a snapshot is data, never a way to import arbitrary code). Every store is built before the live
state is touched, so a bad snapshot changes nothing.

Out of scope: pending scheduler timers (e.g. a call's ring/answer timers, webhook retries) are not
serialised — they hold callbacks, not data. A restore cancels all pending timers *after* the
stores are loaded, so ``load`` cannot re-arm them itself: a family that needs timers after a
restore keeps a service whose ``snapshot_load`` schedules the re-arming (see
``emulator/families/calls/service.py``: ``CallsService``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.core.state import TenantState

if TYPE_CHECKING:
    from emulator.core.state import EmulatorState

FORMAT = "telnyx-emulator-snapshot"
VERSION = 1
ALLOWED_PREFIX = "emulator."


@runtime_checkable
class Participant(Protocol):
    """A service whose non-tenant state joins snapshots under ``services.<snapshot_name>``."""

    snapshot_name: str

    def snapshot_dump(self) -> Any: ...

    def snapshot_load(self, data: Any) -> None: ...


def class_name(kind: type[Any]) -> str:
    """The snapshot key of a store class: its ``snapshot_name``, else ``<module>:<Class>``."""
    name = getattr(kind, "snapshot_name", None)
    return name if isinstance(name, str) else f"{kind.__module__}:{kind.__qualname__}"


class StoreNames:
    """Snapshot key -> store class, for the stores the families declare (names and aliases)."""

    def __init__(self, stores: Iterable[type[Any]] = ()) -> None:
        self.by_name: dict[str, type[Any]] = {}
        for kind in stores:
            name = getattr(kind, "snapshot_name", None)
            if not isinstance(name, str):
                raise TypeError(f"{kind.__qualname__} takes part in snapshots but declares no snapshot_name")
            for key in (name, *getattr(kind, "snapshot_aliases", ())):
                if key in self.by_name and self.by_name[key] is not kind:
                    raise TypeError(f"two stores claim the snapshot name {key!r}")
                self.by_name[key] = kind

    def find(self, name: str, pointer: str) -> type[Any]:
        found = self.by_name.get(name)
        if found is not None:
            return found
        if ":" not in name:
            raise _bad(pointer, f"unknown store {name!r}; known: {', '.join(sorted(n for n in self.by_name if ':' not in n))}")
        return _import_store(name, pointer)


def take(state: EmulatorState, services: Mapping[str, Participant] | None = None) -> dict[str, Any]:
    """A JSON-able snapshot of every tenant's snapshot-capable stores, ids, services and the clock."""
    tenants: dict[str, dict[str, Any]] = {}
    ids: dict[str, Any] = {}
    skipped: list[dict[str, str]] = []
    for api_key, tenant in state.tenants.items():
        stores: dict[str, Any] = {}
        for kind, store in tenant.stores().items():
            name = class_name(kind)
            if not callable(getattr(kind, "load", None)) or not callable(getattr(store, "dump", None)):
                skipped.append({"tenant": api_key, "store": name, "reason": "store has no dump()/load()"})
                continue
            try:
                stores[name] = store.dump()
            except Exception as exc:  # noqa: BLE001 - a store bug must not break the snapshot of the others
                skipped.append({"tenant": api_key, "store": name, "reason": f"dump() failed: {exc}"})
        tenants[api_key] = stores
        version, internal, gauss = tenant.ids.random.getstate()
        ids[api_key] = [version, list(internal), gauss]
    dumped: dict[str, Any] = {}
    for name, service in (services or {}).items():
        try:
            dumped[name] = service.snapshot_dump()
        except Exception as exc:  # noqa: BLE001 - nor may a service's
            skipped.append({"tenant": "", "store": f"service:{name}", "reason": f"snapshot_dump() failed: {exc}"})
    return {
        "format": FORMAT,
        "version": VERSION,
        "clock": {"now": state.clock.now(), "frozen": state.clock.frozen},
        "tenants": tenants,
        "ids": ids,
        "services": dumped,
        "skipped": skipped,
    }


def _bad(pointer: str, message: str) -> ValidationFailed:
    return ValidationFailed("The snapshot is invalid.", items=[ErrorItem(message, pointer=pointer)])


def _import_store(name: str, pointer: str) -> type[Any]:
    module_name, sep, qualname = name.partition(":")
    if not sep or not module_name.startswith(ALLOWED_PREFIX):
        raise _bad(pointer, f"store {name!r}: only classes under '{ALLOWED_PREFIX}' written as 'module:Class' can be restored")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise _bad(pointer, f"store {name!r} cannot be found: {exc}") from exc
    if not isinstance(obj, type) or not callable(getattr(obj, "load", None)):
        raise _bad(pointer, f"store {name!r} is not a class with a load() classmethod")
    return obj


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def build(state: EmulatorState, data: Any, names: StoreNames) -> tuple[dict[str, TenantState], dict[str, Any] | None]:
    """Validate ``data`` and build new tenants from it, without touching ``state``."""
    if not isinstance(data, dict):
        raise _bad("/", "a snapshot is a JSON object")
    if data.get("format", FORMAT) != FORMAT:
        raise _bad("/format", f"expected {FORMAT!r}")
    if data.get("version", VERSION) != VERSION:
        raise _bad("/version", f"unsupported snapshot version {data.get('version')!r}; this emulator reads {VERSION}")
    raw_tenants = data.get("tenants", {})
    if not isinstance(raw_tenants, dict):
        raise _bad("/tenants", "tenants must be an object keyed by API key")
    raw_ids = data.get("ids", {})
    if not isinstance(raw_ids, dict):
        raise _bad("/ids", "ids must be an object keyed by API key")
    tenants: dict[str, TenantState] = {}
    for api_key, stores in raw_tenants.items():
        if not isinstance(stores, dict):
            raise _bad(_pointer("tenants", api_key), "each tenant is an object of '<snapshot name>' -> dump")
        tenant = TenantState(api_key, state.settings.seed)
        for name, dump in stores.items():
            pointer = _pointer("tenants", api_key, name)
            kind = names.find(name, pointer)
            try:
                tenant.stores()[kind] = kind.load(dump)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise _bad(pointer, f"store {name!r} could not load its data: {exc}") from exc
        id_state = raw_ids.get(api_key)
        if id_state is not None:
            try:
                version, internal, gauss = id_state
                tenant.ids.random.setstate((version, tuple(internal), gauss))
            except (ValueError, TypeError) as exc:
                raise _bad(_pointer("ids", api_key), f"not a generator state: {exc}") from exc
        tenants[api_key] = tenant
    clock = data.get("clock")
    if clock is not None:
        if not isinstance(clock, dict) or not isinstance(clock.get("now"), int | float) or isinstance(clock.get("now"), bool):
            raise _bad("/clock", "clock must be {\"now\": <unix seconds>, \"frozen\": bool}")
        if not isinstance(clock.get("frozen", False), bool):
            raise _bad("/clock/frozen", "frozen must be a boolean")
    return tenants, clock


def load_services(services: Mapping[str, Participant], raw_services: Any) -> list[str]:
    """Hand each service its part of a snapshot (see "Services" in the module docstring)."""
    if not isinstance(raw_services, dict):
        raise _bad("/services", "services must be an object keyed by service name")
    for name in raw_services:
        if name not in services:
            raise _bad(_pointer("services", name), f"no service {name!r} that can load a snapshot")
    for name, service_data in raw_services.items():
        try:
            services[name].snapshot_load(service_data)
        except (ValueError, KeyError, TypeError) as exc:
            raise _bad(_pointer("services", name), f"service {name!r} could not load its data: {exc}") from exc
    return sorted(raw_services)


def restore(state: EmulatorState, data: Any, names: StoreNames, services: Mapping[str, Participant] | None = None) -> dict[str, Any]:
    """Replace the live state with ``data`` (all or nothing for tenants); returns a summary.

    With ``services=None`` the snapshot's ``services`` part is left alone (the caller hands it
    over later with :func:`load_services`, e.g. once every service is installed).
    """
    tenants, clock = build(state, data, names)
    state.scheduler.clear()  # timers belong to the replaced state (see the module docstring)
    # Services first: each validates before changing anything, so a bad part leaves tenants alone.
    loaded = load_services(services, data.get("services", {})) if services is not None else []
    state.tenants.clear()
    state.tenants.update(tenants)
    if clock is not None:
        state.clock.set(float(clock["now"]), freeze=bool(clock.get("frozen", False)))
    return {
        "restored": {key: sorted(class_name(k) for k in t.stores()) for key, t in tenants.items()},
        "services": loaded,
        "clock": state.clock.iso(),
    }
