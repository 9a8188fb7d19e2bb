"""The emulator runtime: the loaded document, its compiled services and the one state object.

Built once by ``emulator.app.build_emulator``; reachable from every handler as ``ctx.emulator``.
Two calls to ``create_app`` build two runtimes that share nothing.

Services are typed attributes, not string look-ups: ``emulator.services.webhooks.emit(...)`` is
the webhook dispatcher (``webhooks/dispatcher.py``), ``emulator.services.faults`` the fault chain
(``faults/chain.py``). A family's own services are reached by their class,
``emulator.services.family(CallsService)``, so the kernel never names a family.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from emulator.core.journal import Journal
from emulator.core.lifecycles import Lifecycles
from emulator.core.persistence import Persistence
from emulator.core.rules import BusinessRule
from emulator.core.settings import Settings
from emulator.core.snapshot import Participant, StoreNames
from emulator.core.state import EmulatorState, TenantState
from emulator.fakes.llm import ModelEngine
from emulator.faults.chain import FaultChain
from emulator.openapi.index import Operation, OperationIndex
from emulator.openapi.loader import SpecDocument
from emulator.openapi.synth import Synthesizer
from emulator.openapi.validate import RequestValidator
from emulator.runtime.implicit import IdKind, ImplicitResources
from emulator.webhooks.dispatcher import WebhookDispatcher

T = TypeVar("T")

Handler = Callable[[Any], Awaitable[Any]]
"""An operation handler (``http/binding.py`` types its argument as the request context)."""


class Fallback(Protocol):
    """The stateful CRUD fallback (``crud/generic.py``), as the runtime and fixtures see it."""

    def serves(self, operation: Operation) -> bool: ...

    async def handle(self, ctx: Any) -> Any: ...

    def seed_records(self, tenant: TenantState, path: str, records: list[dict[str, Any]]) -> None: ...

    def id_kinds(self) -> tuple[IdKind[Emulator], ...]: ...


class FixtureSet(Protocol):
    """The parsed fixtures (``runtime/fixtures.py``), as the control API sees them."""

    def add(self, kind: str, data: Any, source: str) -> list[Any]: ...

    def describe(self) -> list[dict[str, Any]]: ...


@runtime_checkable
class Lifespan(Protocol):
    """A service with work at app start and stop (delivery tasks, debounced saves, ...)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Services:
    """The runtime's long-lived services, each typed.

    ``crud``, ``implicit`` and ``fixtures`` are assigned right after the runtime exists (they read it);
    family services are added in ``FAMILIES`` order by ``emulator/app.py``.
    """

    crud: Fallback
    fixtures: FixtureSet
    implicit: ImplicitResources[Emulator]

    def __init__(
        self,
        *,
        webhooks: WebhookDispatcher,
        model: ModelEngine,
        faults: FaultChain,
        journal: Journal,
        lifecycles: Lifecycles,
        persistence: Persistence | None,
    ) -> None:
        self.webhooks = webhooks
        self.model = model
        self.faults = faults
        self.journal = journal
        self.lifecycles = lifecycles
        self.persistence = persistence
        self._families: dict[type[Any], object] = {}

    def add_family_service(self, service: object) -> None:
        if type(service) in self._families:
            raise RuntimeError(f"two family services of type {type(service).__name__}")
        self._families[type(service)] = service

    def family(self, kind: type[T]) -> T:
        """The family service of class ``kind`` (KeyError names it when no family installed it)."""
        found = self._families.get(kind)
        if found is None:
            raise KeyError(f"no family service {kind.__name__} is installed")
        assert isinstance(found, kind)
        return found

    def all(self) -> Iterator[object]:
        """Every service, in start order (kernel first, then families)."""
        yield from (self.webhooks, self.model, self.faults, self.journal, self.lifecycles)
        if self.persistence is not None:
            yield self.persistence
        yield from self._families.values()

    def lifespans(self) -> list[Lifespan]:
        return [s for s in self.all() if isinstance(s, Lifespan)]

    def snapshot_participants(self) -> Mapping[str, Participant]:
        """Services whose non-tenant state joins snapshots, by their stable ``snapshot_name``."""
        return {s.snapshot_name: s for s in self.all() if isinstance(s, Participant)}


@dataclass
class Emulator:
    settings: Settings
    doc: SpecDocument
    index: OperationIndex
    validator: RequestValidator
    synthesizer: Synthesizer
    handlers: Mapping[str, Handler]
    state: EmulatorState
    services: Services
    store_names: StoreNames
    """Snapshot key -> store class, for every store the families declare (``core/snapshot.py``)."""
    business_rules: tuple[BusinessRule, ...] = ()
    """Every check the families make beyond the document (``core/rules.py``)."""

    def kind_of(self, operation: Operation) -> str:
        """How an operation is served: ``handler``, ``generic`` (stateful CRUD) or ``synthesized``."""
        if operation.operation_id in self.handlers:
            return "handler"
        if self.services.crud.serves(operation):
            return "generic"
        return "synthesized"
