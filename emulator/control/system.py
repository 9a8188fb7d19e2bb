"""Core control API: health, reset, state dump, webhook public key, operation catalogue."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, caller_of, emulator_of, parse, reply, scope_key
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
    api_key: str | None = Field(default=None, description="reset only this API key's state (or ?api_key=); omitted = everything (for a Bearer API key caller: its own)")


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
        persistence=_own_view(request, p.status()) if (p := emulator.services.persistence) is not None else None,
    ))


def _own_view(request: Request, status: dict[str, Any]) -> dict[str, Any]:
    """Health is public, and a save problem is keyed ``tenant:<API key>``: only the admin reads
    other tenants' keys there; anyone else sees its own and how many others failed."""
    caller = caller_of(request)
    if caller.admin:
        return status
    problems: dict[str, str] = status.get("problems", {})
    mine = {k: v for k, v in problems.items() if not k.startswith("tenant:") or k == f"tenant:{caller.api_key}"}
    if hidden := len(problems) - len(mine):
        mine["tenant:*"] = f"{hidden} other tenant(s) could not be saved (the admin sees which)"
    return {**status, "problems": mine}


async def reset(request: Request) -> Response:
    """Reset everything, or one API key's state with ``{"api_key": "..."}`` / ``?api_key=``; a
    tenant caller resets its own state only, whatever it names."""
    emulator = emulator_of(request)
    body = await parse(request, ResetRequest)
    api_key = scope_key(request, body)
    emulator.state.reset(api_key)
    return reply(ResetDone(reset=api_key or "all"))


async def state_dump(request: Request) -> Response:
    emulator = emulator_of(request)
    api_key = scope_key(request)
    if api_key is None:
        return reply(StateDump(tenants=emulator.state.dump()))
    tenant = emulator.state.tenants.get(api_key)  # only this one is dumped: it cannot see (or trip on) others
    return reply(StateDump(tenants={api_key: tenant.dump() if tenant is not None else {}}))


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
        access="public",  # without the admin token: Docker's HEALTHCHECK sends none
    ),
    ControlRoute(
        "POST", "/_emulator/reset", reset, "reset",
        "Reset all state or one API key's",
        {"responses": {"200": {"description": "reset"}}},
        body=ResetRequest, response=ResetDone,
        access="tenant",  # a tenant resets itself only
    ),
    ControlRoute(
        "GET", "/_emulator/state", state_dump, "state",
        "JSON dump of the state, per API key",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "state"}},
        },
        response=StateDump,
        access="tenant",  # a tenant sees itself only
    ),
    ControlRoute(
        "GET", "/_emulator/public-key", public_key, "publicKey",
        "Base64 Ed25519 public key that verifies webhook signatures",
        {"responses": {"200": {"description": "key"}}},
        response=PublicKey,
        access="tenant",  # what every tenant needs to verify its webhooks
    ),
    ControlRoute(
        "GET", "/_emulator/operations", operations, "operations",
        "Every operation and how it is served (handler, generic, synthesized)",
        {"responses": {"200": {"description": "catalogue"}}},
        response=OperationCatalogue,
        access="tenant",  # the loaded document, no tenant's data
    ),
    ControlRoute(
        "GET", "/_emulator/openapi.json", openapi, "controlDocument",
        "This document: the control API's own OpenAPI description",
        {"responses": {"200": {"description": "OpenAPI 3.1 document"}}},
        response=ControlDocument,
        access="tenant",
    ),
)
