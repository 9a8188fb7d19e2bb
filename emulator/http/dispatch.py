"""The API endpoint, one step per line: route → auth → body → faults/rate/latency → validate →
handler → render.

Every API request goes through :class:`Api` (one catch-all endpoint; a Starlette route per path
costs ~10x in throughput at the document's 782 paths). Errors of any kind are rendered here, in
the error style of the matched operation's family, and nowhere else. What wraps it (transport
faults, journal, request id) is listed in ``emulator/app.py``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator.core.errors import ApiError, ErrorStyle, InternalError, ValidationFailed
from emulator.core.rules import WARNING_HEADER
from emulator.http.auth import authenticate
from emulator.http.bodies import parse_body, read_body
from emulator.http.clean_bodies import CleanBodies
from emulator.http.context import RequestContext
from emulator.http.deadlines import TaskDeadline
from emulator.http.responses import JSONResponse, render_error, to_response
from emulator.runtime.implicit import IMPLICIT_HEADER

if TYPE_CHECKING:
    from emulator.faults.chain import FaultChain
    from emulator.http.binding import Handler
    from emulator.openapi.index import Operation
    from emulator.runtime.emulator import Emulator

log = logging.getLogger("emulator")


class _NoQuery(QueryParams):
    """An absent query string: what an empty ``QueryParams`` answers, without Starlette's
    ``Mapping.get`` → ``__getitem__`` → ``getlist`` chain on every read (list handlers read their
    filters on every request, and most requests have no query string)."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def getlist(self, key: Any) -> list[Any]:
        return []


_NO_QUERY = _NoQuery()


class _Headers(Headers):
    """Starlette's headers with one-lookup ``get``/``[]``/``in`` (Starlette scans and re-encodes
    the raw list on each; a request asks four to six times). First value wins, as there."""

    def __init__(self, scope: Scope) -> None:
        raw = scope["headers"]
        if not isinstance(raw, list):  # what Starlette's Headers(scope=) does for other iterables
            raw = scope["headers"] = list(raw)
        self._list = raw
        # Reversed, so that the first of repeated names is written last and wins.
        self._first = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(raw)}

    def __getitem__(self, key: str) -> str:
        return self._first[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:
        return self._first.get(key.lower(), default)

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and key.lower() in self._first


class ApiRequest(Request):
    """Starlette's request, minus parsing an absent query string on every read of
    ``query_params`` (most API requests have none; handlers ask for it anyway) and with
    :class:`_Headers`."""

    @property
    def query_params(self) -> QueryParams:
        return super().query_params if self.scope["query_string"] else _NO_QUERY

    @property
    def headers(self) -> Headers:
        try:
            return self._headers
        except AttributeError:  # the first read (a try costs nothing when it does not raise)
            self._headers: Headers = _Headers(self.scope)
            return self._headers


class Api:
    """The API as a bare ASGI app over one runtime."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.accepted_keys = emulator.settings.accepted_api_keys()  # settings hold for the app's life
        self.body_deadline = TaskDeadline(emulator.settings.body_timeout)
        self.clean_bodies = CleanBodies()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(ApiRequest(scope, receive, send))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        emulator = self.emulator
        scope = request.scope
        state = scope.setdefault("state", {})  # what the exchange journals (http/exchange.py)
        style = ErrorStyle.TELNYX
        try:
            # scope["path"], not request.url.path: building a URL object costs ~10 µs per request.
            operation, path_params = emulator.index.match(scope["method"], scope["path"])  # route
            style = operation.style
            state["operation_id"] = operation.operation_id
            api_key = state["api_key"] = authenticate(scope["headers"], self.accepted_keys)  # auth
            raw = await read_body(request, emulator.settings.max_body_bytes, self.body_deadline)  # body
            # faults/rate/latency: before validation, so a forced error never half-writes state
            faults: FaultChain = emulator.services.faults
            await faults.before_handler(request, operation, path_params, api_key, raw)
            headers = request.headers
            content_type = headers.get("content-type")
            clean = self.clean_bodies.key(operation, content_type, raw) if raw else None
            checked = clean is not None and clean in self.clean_bodies  # these very bytes were storable and valid before
            refused = None if checked else self.clean_bodies.refusal(clean)  # ... or storable and invalid
            known = checked or refused is not None
            media_type, body = await parse_body(request, operation, raw, content_type, checked=known)
            mode = emulator.state.modes.of(api_key)
            lenient = mode.creates_unknown_ids
            remember = clean is not None and not known and media_type is not None and "json" in media_type
            try:
                # Positional, in the parameters' order (keywords cost more, on every request):
                # operation, path params, query items, headers, media type, body, any path ids,
                # body checked, body refused.
                validated = emulator.validator.validate(  # validate
                    operation, path_params, request.query_params.multi_items() if scope["query_string"] else [], headers,
                    media_type, body, lenient, known, refused,
                )
            except ValidationFailed as failed:
                if remember:
                    self.clean_bodies.refuse(clean, failed.body_items)
                raise
            if remember:
                self.clean_bodies.add(clean)
            # implicit resources: what the request names and the tenant lacks (lenient mode only)
            implicit = emulator.services.implicit.resolve(operation, api_key, validated.path) if lenient else []
            # Positional, in the parameters' order: request, emulator, operation, api key, path,
            # query, headers, body, raw body, media type, mode.
            ctx = RequestContext(request, emulator, operation, api_key, validated.path, validated.query, validated.headers,
                                 validated.body, raw, media_type, mode)
            result = await self.handler_for(operation)(ctx)  # handler
            response = to_response(result, operation)  # render
            if operation.method == "DELETE" and response.status_code < 300:
                emulator.services.implicit.deleted(operation, api_key, validated.path)
            if implicit:
                response.headers[IMPLICIT_HEADER] = state["implicit"] = ", ".join(implicit)
            if ctx.warnings:
                response.headers[WARNING_HEADER] = state["warnings"] = ", ".join(ctx.warnings)
            return response
        except ApiError as err:
            return render_error(err, style)
        except Exception:  # a bug of ours: log it, never leak a traceback to the client
            log.exception("unhandled error serving %s %s", request.method, request.scope["path"])
            return render_error(InternalError("The emulator hit an internal error; see its log."), ErrorStyle.TELNYX)

    def handler_for(self, operation: Operation) -> Handler:
        """A family's handler; else the stateful CRUD fallback; else a synthesized response."""
        handler = self.emulator.handlers.get(operation.operation_id)
        if handler is not None:
            return handler
        crud = self.emulator.services.crud
        if crud.serves(operation):
            return crud.handle
        return synthesized


async def synthesized(ctx: RequestContext) -> Response:
    """The fallback for operations with neither a handler nor generic CRUD behaviour."""
    seed_key = f"{ctx.api_key}|{ctx.operation.key}|{ctx.request.url.path}|{ctx.request.url.query}"
    status, media_type, body = ctx.emulator.synthesizer.response_for(ctx.operation, seed_key=seed_key)
    headers = {"x-emulator-synthesized": "true"}
    if body is None:
        return Response(status_code=status, headers=headers)
    if media_type and "json" not in media_type:
        payload = body if isinstance(body, bytes) else str(body).encode()
        return Response(payload, status_code=status, media_type=media_type, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)
