"""The API endpoint: route → authenticate → read and validate → handle → serialise.

Every API request goes through :func:`api_endpoint` (one catch-all route; a Starlette route per
path costs ~10x in throughput at the document's 782 paths). Errors of any kind are rendered here,
in the error style of the matched operation's family, and nowhere else.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from emulator.errors import ApiError, ErrorStyle, InternalError, Unauthorized, render_error
from emulator.http.bodies import parse_body, read_body
from emulator.http.context import RequestContext
from emulator.http.responses import to_response
from emulator.spec.index import Operation

if TYPE_CHECKING:
    from emulator.runtime import Emulator

log = logging.getLogger("emulator")


def authenticate(request: Request, emulator: Emulator) -> str:
    """The caller's API key: ``Authorization: Bearer <key>``. Keys partition state."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "The required authentication headers were either invalid or not included in the request."
        )
    accepted = emulator.settings.accepted_api_keys()
    if accepted and token not in accepted:
        raise Unauthorized("The API key provided is not valid.")
    return token


async def build_context(request: Request, emulator: Emulator, operation: Operation, path_params: dict[str, str]) -> RequestContext:
    api_key = authenticate(request, emulator)
    raw = await read_body(request, emulator.settings.max_body_bytes)
    scenarios = emulator.services.get("scenarios")
    if scenarios is not None:  # fault rules, rate limits, latency (emulator/scenarios/hooks.py)
        await scenarios.before_handler(request, operation, path_params, api_key, raw)
    media_type, body = await parse_body(request, operation, raw)
    validated = emulator.validator.validate(
        operation,
        path_params=path_params,
        query_items=request.query_params.multi_items() if request.scope["query_string"] else [],
        headers=request.headers,
        media_type=media_type,
        body=body,
    )
    return RequestContext(
        request=request,
        emulator=emulator,
        operation=operation,
        api_key=api_key,
        path=validated.path,
        query=validated.query,
        headers=validated.headers,
        body=validated.body,
        raw_body=raw,
        media_type=media_type,
    )


async def synthesized(ctx: RequestContext) -> Response:
    """The fallback for operations with neither a handler nor generic CRUD behaviour."""
    from emulator.http.responses import JSONResponse

    seed_key = f"{ctx.api_key}|{ctx.operation.key}|{ctx.request.url.path}|{ctx.request.url.query}"
    status, media_type, body = ctx.emulator.synthesizer.response_for(ctx.operation, seed_key=seed_key)
    headers = {"x-emulator-synthesized": "true"}
    if body is None:
        return Response(status_code=status, headers=headers)
    if media_type and "json" not in media_type:
        payload = body if isinstance(body, bytes) else str(body).encode()
        return Response(payload, status_code=status, media_type=media_type, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def api_endpoint(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    style = ErrorStyle.TELNYX
    try:
        # scope["path"], not request.url.path: building a URL object costs ~10 µs per request.
        operation, path_params = emulator.index.match(request.method, request.scope["path"])
        style = operation.style
        request.state.operation_id = operation.operation_id
        ctx = await build_context(request, emulator, operation, path_params)
        handler = emulator.handlers.get(operation.operation_id)
        if handler is None:
            generic = emulator.services.get("generic")
            if generic is not None and generic.serves(operation):
                handler = generic.handle
            else:
                handler = synthesized
        result = await handler(ctx)
        return to_response(result, operation)
    except ApiError as err:
        return render_error(err, style)
    except Exception:  # a bug of ours: log it, never leak a traceback to the client
        log.exception("unhandled error serving %s %s", request.method, request.url.path)
        return render_error(InternalError("The emulator hit an internal error; see its log."), ErrorStyle.TELNYX)
