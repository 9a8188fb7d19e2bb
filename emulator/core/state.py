"""The one state object of an emulator instance.

State is partitioned by API key (a *tenant*): a key sees only what was created with it, so
parallel test suites can share one emulator. Each API family keeps its own typed store inside a
tenant, created on first use (moto's "backend per service" idea); resetting a tenant simply drops
its stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from emulator.core.clock import Clock, Scheduler
from emulator.core.ids import IdFactory
from emulator.core.modes import Modes
from emulator.core.settings import Settings

S = TypeVar("S")


class TenantState:
    """Everything one API key has created."""

    def __init__(self, api_key: str, seed: int) -> None:
        self.api_key = api_key
        self.ids = IdFactory(seed, api_key)
        self._stores: dict[type[Any], Any] = {}

    def store(self, kind: type[S]) -> S:
        """The tenant's store of ``kind`` (a class with a no-argument constructor)."""
        found = self._stores.get(kind)
        if found is None:
            found = self._stores[kind] = kind()
        return found

    def stores(self) -> dict[type[Any], Any]:
        return self._stores

    def dump(self) -> dict[str, Any]:
        """JSON-able view for ``GET /_emulator/state``; stores expose ``dump()`` when they can."""
        out: dict[str, Any] = {}
        for kind, store in self._stores.items():
            dump = getattr(store, "dump", None)
            out[kind.__name__] = dump() if callable(dump) else repr(store)
        return out


class EmulatorState:
    """Created once per app (in ``create_app``); reached by handlers through the request context."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = Clock()
        self.scheduler = Scheduler(self.clock)
        self.modes = Modes(settings)
        self.tenants: dict[str, TenantState] = {}
        self._reset_hooks: list[Callable[[EmulatorState, str | None], None]] = []
        self._tenant_hooks: list[Callable[[TenantState], None]] = []

    def tenant(self, api_key: str) -> TenantState:
        found = self.tenants.get(api_key)
        if found is None:
            found = self.tenants[api_key] = TenantState(api_key, self.settings.seed)
            for hook in self._tenant_hooks:
                hook(found)
        return found

    def on_tenant_created(self, hook: Callable[[TenantState], None]) -> None:
        """Register work for each new tenant on its first use (e.g. seeding fixtures)."""
        self._tenant_hooks.append(hook)

    def on_reset(self, hook: Callable[[EmulatorState, str | None], None]) -> None:
        """Register work to redo after a reset (e.g. re-apply fixtures)."""
        self._reset_hooks.append(hook)

    def reset(self, api_key: str | None = None) -> None:
        """Drop one tenant's state, or everything (and pending timers) when ``api_key`` is None."""
        if api_key is None:
            self.tenants.clear()
            self.scheduler.clear()
        else:
            self.tenants.pop(api_key, None)
            self.scheduler.cancel_tagged(f"tenant:{api_key}")
        for hook in self._reset_hooks:
            hook(self, api_key)

    def dump(self) -> dict[str, Any]:
        return {key: tenant.dump() for key, tenant in self.tenants.items()}
