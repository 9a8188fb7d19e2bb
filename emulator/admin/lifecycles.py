"""Control API for time-driven transitions (see ``emulator/scenarios/lifecycle.py``).

``GET  /_emulator/lifecycles?api_key=K``           policies per kind + pending chains
``PUT  /_emulator/lifecycles/{kind}?api_key=K``    ``{"mode": "after"|"immediate"|"manual", "seconds": N}``
``POST /_emulator/lifecycles/advance?api_key=K``   ``{"kind"?, "id"?, "steps"?}`` run manual steps
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.admin.core import admin_endpoint, emulator_of, json_body
from emulator.errors import BadRequest, ErrorItem, ValidationFailed
from emulator.http.responses import JSONResponse
from emulator.scenarios.lifecycle import KINDS, MODES, lifecycles


def _api_key(request: Request, body: dict[str, Any] | None = None) -> str:
    key = (body or {}).get("api_key") or request.query_params.get("api_key")
    if not isinstance(key, str) or not key:
        raise BadRequest("Name the tenant: ?api_key=<the API key whose resources you steer>.")
    return key


@admin_endpoint
async def view(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(lifecycles(emulator).view(_api_key(request)))


@admin_endpoint
async def set_policy(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    key = _api_key(request, body)
    policy = lifecycles(emulator).set_policy(key, request.path_params["kind"], body.get("mode", "after"), body.get("seconds"))
    return JSONResponse({"kind": request.path_params["kind"], **policy.view()})


@admin_endpoint
async def advance(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    key = _api_key(request, body)
    kind, ref, steps = body.get("kind"), body.get("id"), body.get("steps")
    if kind is not None and kind not in KINDS:
        raise ValidationFailed(items=[ErrorItem(f"kind must be one of {', '.join(KINDS)}", pointer="/kind")])
    if ref is not None and not isinstance(ref, str):
        raise ValidationFailed(items=[ErrorItem("id must be a string", pointer="/id")])
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValidationFailed(items=[ErrorItem("steps must be a positive integer (omit it for all)", pointer="/steps")])
    moved = lifecycles(emulator).advance_manual(key, kind, ref, steps)
    return JSONResponse({"advanced": moved})


@admin_endpoint
async def end_conversation(request: Request) -> Response:
    """End a conversation now (what a call hang-up does): runs its assistant's insight group."""
    from emulator.store.conversations import conversation_store  # noqa: PLC0415

    emulator = emulator_of(request)
    key = _api_key(request)
    runs = conversation_store(emulator, key).end(request.path_params["conversation_id"])
    return JSONResponse({"conversation_id": request.path_params["conversation_id"], "insight_runs": runs})


_KEY = {"name": "api_key", "in": "query", "required": True, "schema": {"type": "string"}}
OPENAPI_PATHS: dict[str, Any] = {
    "/_emulator/lifecycles": {"get": {"operationId": "lifecycles", "summary": "Transition policies per resource kind and pending transitions",
                                      "parameters": [_KEY], "responses": {"200": {"description": "policies"}}}},
    "/_emulator/lifecycles/{kind}": {"put": {
        "operationId": "setLifecyclePolicy", "summary": "Set how one kind of resource moves through its statuses",
        "parameters": [_KEY, {"name": "kind", "in": "path", "required": True, "schema": {"type": "string", "enum": list(KINDS)}}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "mode": {"type": "string", "enum": list(MODES)}, "seconds": {"type": "number", "minimum": 0}}}}}},
        "responses": {"200": {"description": "policy"}}}},
    "/_emulator/lifecycles/advance": {"post": {
        "operationId": "advanceLifecycles", "summary": "Run pending transitions now (for the manual policy)",
        "parameters": [_KEY],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": list(KINDS)}, "id": {"type": "string"}, "steps": {"type": "integer", "minimum": 1}}}}}},
        "responses": {"200": {"description": "what moved"}}}},
    "/_emulator/conversations/{conversation_id}/end": {"post": {
        "operationId": "endConversation", "summary": "End an AI conversation (runs its assistant's insights)",
        "parameters": [_KEY, {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "insight runs started"}, "404": {"description": "unknown conversation"}}}},
}

routes = [
    Route("/_emulator/lifecycles", view, methods=["GET"]),
    Route("/_emulator/lifecycles/advance", advance, methods=["POST"]),
    Route("/_emulator/lifecycles/{kind}", set_policy, methods=["PUT"]),
    Route("/_emulator/conversations/{conversation_id}/end", end_conversation, methods=["POST"]),
]
