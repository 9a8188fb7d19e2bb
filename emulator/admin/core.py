"""Core control API: health, reset, state dump, webhook public key, operation catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import __version__
from emulator.errors import BadRequest, Unauthorized, render_error
from emulator.http.responses import JSONResponse

if TYPE_CHECKING:
    from emulator.runtime import Emulator


def emulator_of(request: Request) -> Emulator:
    """The runtime, after checking the optional admin token (the one gate for admin routes)."""
    emulator: Emulator = request.app.state.emulator
    token = emulator.settings.admin_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or given.strip() != token:
            raise Unauthorized("The control API needs Authorization: Bearer <admin token>.")
    return emulator


async def json_body(request: Request, *, allow_list: bool = False) -> Any:
    """The control-API request body: a JSON object (``{}`` when empty), or with ``allow_list``
    also a JSON array (e.g. several fault rules posted at once)."""
    import orjson

    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict) and not (allow_list and isinstance(value, list)):
        raise BadRequest("The request body must be a JSON object" + (" or array." if allow_list else "."))
    return value


def admin_endpoint(fn: Any) -> Any:
    """Wrap a control-API coroutine so its ApiErrors render in the Telnyx envelope."""
    from emulator.errors import ApiError

    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except ApiError as err:
            return render_error(err)

    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint


@admin_endpoint
async def health(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "document": emulator.doc.source,
            "operations": len(emulator.index.operations),
        }
    )


@admin_endpoint
async def reset(request: Request) -> Response:
    """Reset everything, or one API key's state with ``{"api_key": "..."}`` / ``?api_key=``."""
    emulator = emulator_of(request)
    body = await json_body(request)
    api_key = body.get("api_key") or request.query_params.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        raise BadRequest("api_key must be a string.")
    emulator.state.reset(api_key)
    return JSONResponse({"reset": api_key or "all"})


@admin_endpoint
async def state_dump(request: Request) -> Response:
    emulator = emulator_of(request)
    api_key = request.query_params.get("api_key")
    dump = emulator.state.dump()
    if api_key is not None:
        dump = {api_key: dump.get(api_key, {})}
    return JSONResponse({"tenants": dump})


@admin_endpoint
async def public_key(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse({"public_key": emulator.state.signing_key.public_key_b64})


@admin_endpoint
async def operations(request: Request) -> Response:
    emulator = emulator_of(request)
    rows = [
        {
            "operation_id": op.operation_id,
            "method": op.method,
            "path": op.path,
            "served_by": emulator.kind_of(op),
            "error_style": op.style.value,
        }
        for op in emulator.index.operations
    ]
    return JSONResponse({"data": rows, "meta": {"total": len(rows)}})


@admin_endpoint
async def openapi(request: Request) -> Response:
    from emulator.admin import control_document  # noqa: PLC0415

    emulator_of(request)
    return JSONResponse(control_document())


OPENAPI_PATHS: dict[str, Any] = {
        "/_emulator/health": {"get": {"operationId": "health", "summary": "Liveness and the loaded document", "responses": {"200": {"description": "ok"}}}},
        "/_emulator/reset": {"post": {"operationId": "reset", "summary": "Reset all state or one API key's", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"api_key": {"type": "string"}}}}}}, "responses": {"200": {"description": "reset"}}}},
        "/_emulator/state": {"get": {"operationId": "state", "summary": "JSON dump of the state, per API key", "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "state"}}}},
        "/_emulator/public-key": {"get": {"operationId": "publicKey", "summary": "Base64 Ed25519 public key that verifies webhook signatures", "responses": {"200": {"description": "key"}}}},
        "/_emulator/operations": {"get": {"operationId": "operations", "summary": "Every operation and how it is served (handler, generic, synthesized)", "responses": {"200": {"description": "catalogue"}}}},
}

routes = [
    Route("/_emulator/health", health, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/state", state_dump, methods=["GET"]),
    Route("/_emulator/public-key", public_key, methods=["GET"]),
    Route("/_emulator/operations", operations, methods=["GET"]),
    Route("/_emulator/openapi.json", openapi, methods=["GET"]),
]
