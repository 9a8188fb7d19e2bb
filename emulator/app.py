"""The composition root: ``create_app(settings)`` → one complete, independent emulator.

It builds the runtime from the kernel and ``FAMILIES`` (the only list of API families) and lists
the API request chain in order, outermost first::

    exchange (request id, journal, save after writes, transport faults, access log) →
        route → auth → body → faults/rate/latency → validate → handler → render

The exchange is one ASGI layer (``http/exchange.py``); the rest is
:class:`emulator.http.dispatch.Api`, one step per line. Control-API requests (``/_emulator``) take Starlette's router instead, behind one
admin-token guard and one exception handler (``control/guard.py``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.control import faults as control_faults
from emulator.control import index as control_index
from emulator.control import journal as control_journal
from emulator.control import lifecycle_policies, modes, state_control, system
from emulator.control import webhooks as control_webhooks
from emulator.control.guard import AdminGuard, api_error_handler
from emulator.control.table import build_routes
from emulator.core.clock import parse_clock_start
from emulator.core.errors import ApiError
from emulator.core.journal import Journal
from emulator.core.lifecycles import Lifecycles
from emulator.core.paths import fixtures_dir
from emulator.core.persistence import Persistence
from emulator.core.settings import Settings
from emulator.core.snapshot import StoreNames
from emulator.core.state import EmulatorState
from emulator.crud.generic import GenericCrud, GenericStore
from emulator.dashboard import routes as dashboard
from emulator.fakes.llm import ModelEngine
from emulator.families import FAMILIES
from emulator.faults.chain import FaultChain
from emulator.http.binding import collect
from emulator.http.dispatch import Api
from emulator.http.exchange import Exchanges
from emulator.http.request_id import RequestIdMiddleware
from emulator.openapi.index import OperationIndex
from emulator.openapi.loader import SpecDocument, load_document
from emulator.openapi.synth import Synthesizer
from emulator.openapi.validate import RequestValidator
from emulator.runtime.emulator import Emulator, Services
from emulator.runtime.family import ControlRoute, Family
from emulator.runtime.fixtures import Fixtures, kernel_kinds
from emulator.runtime.implicit import ImplicitResources, Tombstones
from emulator.webhooks.dispatcher import WebhookDispatcher
from emulator.webhooks.keys import load_signing_key

log = logging.getLogger("emulator")

CONTROL_PREFIX = "/_emulator"



def kernel_control(lifecycle_kinds: tuple[str, ...]) -> tuple[ControlRoute, ...]:
    """The kernel's control routes (each family adds its own through its manifest)."""
    return (
        system.CONTROL
        + control_webhooks.CONTROL
        + control_faults.CONTROL
        + state_control.CONTROL
        + lifecycle_policies.control(lifecycle_kinds)
        + modes.CONTROL
        + control_journal.CONTROL
        + control_index.CONTROL
        + dashboard.CONTROL
    )


def build_emulator(settings: Settings, doc: SpecDocument | None = None, families: tuple[Family, ...] = FAMILIES) -> Emulator:
    """Load and compile everything the app needs (the slow part of start-up, done once).

    Order matters: fixtures are parsed first (a malformed file stops start-up, naming it), then a
    persisted state is restored (restored tenants keep their data; fixtures seed only tenants
    created afterwards), then the clock is placed where the settings say.
    """
    if doc is None:
        doc = load_document(settings.spec, cache_dir=settings.state_dir / "spec-cache")
    index = OperationIndex(doc)
    synthesizer = Synthesizer(doc, seed=settings.seed)
    state = EmulatorState(settings)
    handlers = collect(module for family in families for module in family.handler_modules)
    unknown = sorted(op_id for op_id in handlers if op_id not in index.by_id)
    if unknown and settings.spec is None:
        # Our handlers must match our embedded document; with a user's --spec, handlers for
        # operations it lacks simply never run.
        raise RuntimeError(f"handlers bound to operations the document lacks: {unknown}")
    names = StoreNames((GenericStore, Tombstones, *(store for family in families for store in family.stores)))
    services = Services(
        webhooks=WebhookDispatcher(settings, state, load_signing_key(settings.signing_key, settings.state_dir)),
        model=ModelEngine(settings, state),
        faults=FaultChain(settings, index),
        journal=Journal(settings.journal_size),
        lifecycles=Lifecycles(state, tuple(kind for f in families for kind in f.lifecycle_kinds)),
        persistence=None,
    )
    emulator = Emulator(
        settings=settings,
        doc=doc,
        index=index,
        validator=RequestValidator(doc, index),
        synthesizer=synthesizer,
        handlers=handlers,
        state=state,
        services=services,
        store_names=names,
        business_rules=tuple(rule for family in families for rule in family.business_rules),
    )
    services.crud = GenericCrud(emulator)
    for family in families:
        for factory in family.services:
            services.add_family_service(factory(emulator))
    services.implicit = ImplicitResources(emulator, (*services.crud.id_kinds(), *(k for f in families for k in f.id_kinds)))
    kinds = {**kernel_kinds(), **{k: p for f in families for k, p in f.fixture_kinds.items()}}
    folders = [fixtures_dir(), *([settings.fixtures] if settings.fixtures is not None else [])]
    services.fixtures = Fixtures(emulator, kinds, folders)
    if settings.persist:
        services.persistence = Persistence(settings, state, names, services.snapshot_participants)
        services.persistence.load()
    _place_clock(emulator)
    state.on_reset(_after_reset(emulator))
    return emulator


def _place_clock(emulator: Emulator) -> None:
    settings, clock = emulator.settings, emulator.state.clock
    if settings.clock_start is not None:
        clock.set(parse_clock_start(settings.clock_start), freeze=settings.clock_frozen)
    elif settings.clock_frozen and not clock.frozen:
        clock.set(clock.now(), freeze=True)


def _after_reset(emulator: Emulator) -> Callable[[EmulatorState, str | None], None]:
    services = emulator.services

    def on_reset(_state: EmulatorState, api_key: str | None) -> None:
        if api_key is None:  # a full reset re-inits the emulator: rules, journal and clock included
            services.faults.reset()
            services.journal.clear()
            emulator.state.clock.restart()
            _place_clock(emulator)
        if services.persistence is not None:
            services.persistence.mark_dirty()

    return on_reset


def _self_check(emulator: Emulator) -> Callable[[ASGIApp], ASGIApp]:
    """The --self-check wrapper. Imported only when asked for: openapi-core costs ~46 MB and
    ~0.65 s at start-up, which nobody else should pay."""
    from emulator.http.self_check import SelfCheck  # noqa: PLC0415 - see the docstring

    return lambda app: SelfCheck(app, emulator=emulator)


def api_chain(emulator: Emulator) -> ASGIApp:
    """The API request path, outermost first (see the module docstring)."""
    settings, services = emulator.settings, emulator.services
    app: ASGIApp = Api(emulator)
    if settings.self_check:
        app = _self_check(emulator)(app)
    return Exchanges(
        app,
        journal=services.journal,
        clock=emulator.state.clock,
        persistence=services.persistence,
        log_requests=settings.access_log,
    )


GC_YOUNG_THRESHOLD = 20_000
"""Allocations between young-generation collections while an emulator serves (the default is 700)."""


def create_app(settings: Settings | None = None, *, doc: SpecDocument | None = None, families: tuple[Family, ...] = FAMILIES) -> Starlette:
    """A complete emulator. Call it twice and you get two emulators that share nothing."""
    settings = settings or Settings()
    emulator = build_emulator(settings, doc, families)
    control = kernel_control(emulator.services.lifecycles.kinds) + tuple(route for family in families for route in family.control)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        emulator.state.scheduler.start()
        started = emulator.services.lifespans()
        for service in started:
            await service.start()
        # The loaded document, validators and fixtures live as long as the process: frozen, the
        # garbage collector stops re-walking them (millions of objects with the published
        # document: each full collection paused every request for ~0.5 s, the p99 tail).
        gc.freeze()
        collecting = gc.isenabled()
        gc.enable()  # the command line loads the app with it off (``__main__.run``)
        # Young collections less often: a request allocates a few hundred containers that die
        # with it, and at the default 700 the collector ran every couple of requests (3–5 % of
        # the CPU under load) walking the ones still in flight. What survives is the journal,
        # the webhook log and memos, all bounded, so full collections stay as rare as before.
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            if not collecting:
                gc.disable()
            gc.unfreeze()  # several apps in one process (tests): what this one held is collectable again
            for service in reversed(started):
                await service.stop()
            await emulator.state.scheduler.stop()

    app = EmulatorApp(
        routes=build_routes(control),
        # Control-API requests take Starlette's usual path, with our middleware around them.
        middleware=[
            Middleware(RequestIdMiddleware, log_requests=settings.access_log),
            Middleware(AdminGuard, settings=settings, table=control),
        ],
        exception_handlers={ApiError: api_error_handler},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.api = api_chain(emulator)
    app.state.emulator = emulator
    app.state.control_table = control
    return app


class EmulatorApp(Starlette):
    """Starlette for the control API; a direct path for everything else.

    The API is one catch-all endpoint that routes, authenticates and renders errors itself, so
    Starlette's error/exception middleware and router (which would first try every control
    route's regex: ~50 matches, a third of a request's CPU) only add cost on the API path.
    """

    api: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(CONTROL_PREFIX):
            scope["app"] = self
            await self.api(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

