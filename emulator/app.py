"""``create_app(settings)`` → a Starlette app that is one complete, independent emulator."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.admin import admin_routes
from emulator.http.dispatch import api_endpoint
from emulator.http.middleware import RequestIdMiddleware
from emulator.resources import handler_modules
from emulator.resources.registry import collect
from emulator.scenarios.middleware import ScenarioMiddleware
from emulator.runtime import Emulator
from emulator.settings import Settings
from emulator.spec.index import OperationIndex
from emulator.spec.loader import SpecDocument, load_document
from emulator.spec.synth import Synthesizer
from emulator.spec.validate import RequestValidator
from emulator.store.state import EmulatorState
from emulator.webhooks.keys import load_signing_key

log = logging.getLogger("emulator")

CONTROL_PREFIX = "/_emulator"


def build_emulator(settings: Settings, doc: SpecDocument | None = None) -> Emulator:
    """Load and compile everything the app needs (the slow part of start-up, done once)."""
    if doc is None:
        doc = load_document(settings.spec, cache_dir=settings.state_dir / "spec-cache")
    index = OperationIndex(doc)
    state = EmulatorState(settings, load_signing_key(settings.signing_key, settings.state_dir))
    emulator = Emulator(
        settings=settings,
        doc=doc,
        index=index,
        validator=RequestValidator(doc, index),
        synthesizer=Synthesizer(doc, seed=settings.seed),
        handlers=collect(handler_modules()),
        state=state,
    )
    unknown = sorted(op_id for op_id in emulator.handlers if op_id not in index.by_id)
    if unknown and settings.spec is None:
        # Our handlers must match our embedded document; with a user's --spec, handlers for
        # operations it lacks simply never run.
        raise RuntimeError(f"handlers bound to operations the document lacks: {unknown}")
    from emulator.services import install_services  # noqa: PLC0415

    install_services(emulator)
    return emulator


def create_app(settings: Settings | None = None, *, doc: SpecDocument | None = None) -> Starlette:
    """A complete emulator. Call it twice and you get two emulators that share nothing."""
    settings = settings or Settings()
    emulator = build_emulator(settings, doc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        emulator.state.scheduler.start()
        for service in emulator.services.values():
            start = getattr(service, "start", None)
            if callable(start):
                await start()
        try:
            yield
        finally:
            for service in reversed(list(emulator.services.values())):
                stop = getattr(service, "stop", None)
                if callable(stop):
                    await stop()
            await emulator.state.scheduler.stop()

    app = EmulatorApp(
        routes=admin_routes(),
        # Control-API requests take Starlette's usual path, with our middleware around them.
        middleware=[Middleware(RequestIdMiddleware, log_requests=settings.access_log)],
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    # API requests skip Starlette's middleware stack and router entirely (see EmulatorApp).
    # ScenarioMiddleware is outermost: it drops connections for transport faults, fills the journal.
    app.api = ScenarioMiddleware(
        RequestIdMiddleware(api_asgi, log_requests=settings.access_log), emulator=emulator
    )
    app.state.emulator = emulator
    return app


async def api_asgi(scope: Scope, receive: Receive, send: Send) -> None:
    """The API endpoint as a bare ASGI app: ``api_endpoint`` renders every error itself."""
    response = await api_endpoint(Request(scope, receive, send))
    await response(scope, receive, send)


class EmulatorApp(Starlette):
    """Starlette for the control API; a direct path for everything else.

    The API is one catch-all endpoint that routes, authenticates and renders errors itself, so
    Starlette's error/exception middleware and router (which would first try every control
    route's regex: ~45 matches, a third of a request's CPU) only add cost on the API path.
    """

    api: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(CONTROL_PREFIX):
            scope["app"] = self
            await self.api(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
