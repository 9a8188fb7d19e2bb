"""Core control API: health, reset, state dump, webhook public key, operation catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.control.table import control_document
from emulator.core.errors import BadRequest
from emulator.core.version import VERSION as __version__
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    pass


async def health(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "document": emulator.doc.source,
            "operations": len(emulator.index.operations),
            "persistence": p.status() if (p := emulator.services.persistence) is not None else None,
        }
    )


async def reset(request: Request) -> Response:
    """Reset everything, or one API key's state with ``{"api_key": "..."}`` / ``?api_key=``."""
    emulator = emulator_of(request)
    body = await json_body(request, keys=("api_key",))
    api_key = body.get("api_key") or request.query_params.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        raise BadRequest("api_key must be a string.")
    emulator.state.reset(api_key)
    return JSONResponse({"reset": api_key or "all"})


async def state_dump(request: Request) -> Response:
    emulator = emulator_of(request)
    api_key = request.query_params.get("api_key")
    dump = emulator.state.dump()
    if api_key is not None:
        dump = {api_key: dump.get(api_key, {})}
    return JSONResponse({"tenants": dump})


async def public_key(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse({"public_key": emulator.services.webhooks.signing_key.public_key_b64})


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


async def openapi(request: Request) -> Response:
    return JSONResponse(control_document(request.app.state.control_table))


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/health", health, "health",
        "Liveness and the loaded document",
        {"responses": {"200": {"description": "ok"}}},
        public=True,  # without the admin token: Docker's HEALTHCHECK sends none
    ),
    ControlRoute(
        "POST", "/_emulator/reset", reset, "reset",
        "Reset all state or one API key's",
        {
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"type": "object", "properties": {"api_key": {"type": "string"}}}},
                },
            },
            "responses": {"200": {"description": "reset"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/state", state_dump, "state",
        "JSON dump of the state, per API key",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "state"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/public-key", public_key, "publicKey",
        "Base64 Ed25519 public key that verifies webhook signatures",
        {"responses": {"200": {"description": "key"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/operations", operations, "operations",
        "Every operation and how it is served (handler, generic, synthesized)",
        {"responses": {"200": {"description": "catalogue"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/openapi.json", openapi, "controlDocument",
        "This document: the control API's own OpenAPI description",
        {"responses": {"200": {"description": "OpenAPI 3.1 document"}}},
    ),
)
