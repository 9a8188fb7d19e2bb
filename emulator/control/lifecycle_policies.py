"""Control API for time-driven transitions (see ``emulator/core/lifecycles.py``).

``GET  /_emulator/lifecycles?api_key=K``           policies per kind + pending chains
``PUT  /_emulator/lifecycles/{kind}?api_key=K``    ``{"mode": "after"|"immediate"|"manual", "seconds": N}``
``POST /_emulator/lifecycles/advance?api_key=K``   ``{"kind"?, "id"?, "steps"?}`` run manual steps
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body, tenant_key
from emulator.control.table import API_KEY_PARAM
from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute


async def view(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(emulator.services.lifecycles.view(tenant_key(request)))


async def set_policy(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await json_body(request, keys=("api_key", "mode", "seconds"))
    key = tenant_key(request, body)
    policy = emulator.services.lifecycles.set_policy(key, request.path_params["kind"], body.get("mode", "after"), body.get("seconds"))
    return JSONResponse({"kind": request.path_params["kind"], **policy.view()})


async def advance(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await json_body(request, keys=("api_key", "kind", "id", "steps"))
    key = tenant_key(request, body)
    kind, ref, steps = body.get("kind"), body.get("id"), body.get("steps")
    kinds = emulator.services.lifecycles.kinds
    if kind is not None and kind not in kinds:
        raise ValidationFailed(items=[ErrorItem(f"kind must be one of {', '.join(kinds)}", pointer="/kind")])
    if ref is not None and not isinstance(ref, str):
        raise ValidationFailed(items=[ErrorItem("id must be a string", pointer="/id")])
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValidationFailed(items=[ErrorItem("steps must be a positive integer (omit it for all)", pointer="/steps")])
    moved = emulator.services.lifecycles.advance_manual(key, kind, ref, steps)
    return JSONResponse({"advanced": moved})


def control(kinds: tuple[str, ...]) -> tuple[ControlRoute, ...]:
    """The routes, documenting the kinds the families' manifests declare (``Lifecycles.kinds``)."""
    kind = {"type": "string", "enum": list(kinds)}
    return (
        ControlRoute(
            "GET", "/_emulator/lifecycles", view, "lifecycles",
            "Transition policies per resource kind and pending transitions",
            {"parameters": [API_KEY_PARAM], "responses": {"200": {"description": "policies"}}},
        ),
        ControlRoute(
            "POST", "/_emulator/lifecycles/advance", advance, "advanceLifecycles",
            "Run pending transitions now (for the manual policy)",
            {
                "parameters": [API_KEY_PARAM],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "kind": kind,
                                    "id": {"type": "string"},
                                    "steps": {"type": "integer", "minimum": 1},
                                },
                            },
                        },
                    },
                },
                "responses": {"200": {"description": "what moved"}},
            },
        ),
        ControlRoute(
            "PUT", "/_emulator/lifecycles/{kind}", set_policy, "setLifecyclePolicy",
            "Set how one kind of resource moves through its statuses",
            {
                "parameters": [
                    API_KEY_PARAM,
                    {
                        "name": "kind",
                        "in": "path",
                        "required": True,
                        "schema": kind,
                    },
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "mode": {"type": "string", "enum": ["after", "immediate", "manual"]},
                                    "seconds": {"type": "number", "minimum": 0},
                                },
                            },
                        },
                    },
                },
                "responses": {"200": {"description": "policy"}},
            },
        ),
    )
