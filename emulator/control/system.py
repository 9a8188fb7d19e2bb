"""Core control API: health, reset, state dump, webhook public key, operation catalogue."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, emulator_of, parse, reply
from emulator.control.table import control_document
from emulator.core.version import VERSION as __version__
from emulator.runtime.family import ControlRoute


class Health(Reply):
    status: Literal["ok"]
    version: str
    document: str = Field(description="embedded, or the path given with --spec")
    operations: int = Field(description="operations of the loaded document")
    persistence: dict[str, Any] | None = Field(description="where and how state is saved; null without --persist")


class ResetRequest(Body):
    api_key: str | None = Field(default=None, description="reset only this API key's state (or ?api_key=); omitted = everything")


class ResetDone(Reply):
    reset: str = Field(description="the API key reset, or all")


class StateDump(Reply):
    tenants: dict[str, Any] = Field(description="per API key, each store's state")


class PublicKey(Reply):
    public_key: str = Field(description="base64 Ed25519 public key")


class OperationRow(Reply):
    operation_id: str
    method: str
    path: str
    served_by: str = Field(description="handler, generic (stateful CRUD) or synthesized")
    error_style: str


class Total(Reply):
    total: int


class OperationCatalogue(Reply):
    data: list[OperationRow]
    meta: Total


class ControlDocument(Reply):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


async def health(request: Request) -> Response:
    emulator = emulator_of(request)
    return reply(Health(
        status="ok",
        version=__version__,
        document=emulator.doc.source,
        operations=len(emulator.index.operations),
        persistence=p.status() if (p := emulator.services.persistence) is not None else None,
    ))


async def reset(request: Request) -> Response:
    """Reset everything, or one API key's state with ``{"api_key": "..."}`` / ``?api_key=``."""
    emulator = emulator_of(request)
    body = await parse(request, ResetRequest)
    api_key = body.api_key or request.query_params.get("api_key")
    emulator.state.reset(api_key)
    return reply(ResetDone(reset=api_key or "all"))


async def state_dump(request: Request) -> Response:
    emulator = emulator_of(request)
    api_key = request.query_params.get("api_key")
    dump = emulator.state.dump()
    if api_key is not None:
        dump = {api_key: dump.get(api_key, {})}
    return reply(StateDump(tenants=dump))


async def public_key(request: Request) -> Response:
    emulator = emulator_of(request)
    return reply(PublicKey(public_key=emulator.services.webhooks.signing_key.public_key_b64))


async def operations(request: Request) -> Response:
    emulator = emulator_of(request)
    rows = [
        OperationRow(
            operation_id=op.operation_id,
            method=op.method,
            path=op.path,
            served_by=emulator.kind_of(op),
            error_style=op.style.value,
        )
        for op in emulator.index.operations
    ]
    return reply(OperationCatalogue(data=rows, meta=Total(total=len(rows))))


async def openapi(request: Request) -> Response:
    return reply(ControlDocument.model_validate(control_document(request.app.state.control_table)))


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/health", health, "health",
        "Liveness and the loaded document",
        {"responses": {"200": {"description": "ok"}}},
        response=Health,
        public=True,  # without the admin token: Docker's HEALTHCHECK sends none
    ),
    ControlRoute(
        "POST", "/_emulator/reset", reset, "reset",
        "Reset all state or one API key's",
        {"responses": {"200": {"description": "reset"}}},
        body=ResetRequest, response=ResetDone,
    ),
    ControlRoute(
        "GET", "/_emulator/state", state_dump, "state",
        "JSON dump of the state, per API key",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "state"}},
        },
        response=StateDump,
    ),
    ControlRoute(
        "GET", "/_emulator/public-key", public_key, "publicKey",
        "Base64 Ed25519 public key that verifies webhook signatures",
        {"responses": {"200": {"description": "key"}}},
        response=PublicKey,
    ),
    ControlRoute(
        "GET", "/_emulator/operations", operations, "operations",
        "Every operation and how it is served (handler, generic, synthesized)",
        {"responses": {"200": {"description": "catalogue"}}},
        response=OperationCatalogue,
    ),
    ControlRoute(
        "GET", "/_emulator/openapi.json", openapi, "controlDocument",
        "This document: the control API's own OpenAPI description",
        {"responses": {"200": {"description": "OpenAPI 3.1 document"}}},
        response=ControlDocument,
    ),
)
