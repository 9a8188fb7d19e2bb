"""Control API for time-driven transitions (see ``emulator/core/lifecycles.py``).

``GET  /_emulator/lifecycles?api_key=K``           policies per kind + pending chains
``PUT  /_emulator/lifecycles/{kind}?api_key=K``    ``{"mode": "after"|"immediate"|"manual", "seconds": N}``
``POST /_emulator/lifecycles/advance?api_key=K``   ``{"kind"?, "id"?, "steps"?}`` run manual steps
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, emulator_of, parse, reply, tenant_key
from emulator.control.table import API_KEY_PARAM
from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.runtime.family import ControlRoute

_TENANT = "the API key whose resources move (or ?api_key=)"


class PolicyRequest(Body):
    api_key: str | None = Field(default=None, description=_TENANT)
    mode: Literal["after", "immediate", "manual"] = "after"
    seconds: float | None = Field(default=None, ge=0, description="for after: the delay of each step")


class Policy(Reply):
    kind: str
    mode: str
    seconds: int | float | None


class AdvanceRequest(Body):
    api_key: str | None = Field(default=None, description=_TENANT)
    kind: str | None = Field(default=None, description="one kind (see the path parameter of setLifecyclePolicy); omitted = all")
    id: str | None = Field(default=None, description="one resource; omitted = every pending one")
    steps: int | None = Field(default=None, ge=1, description="steps per chain; omitted = all remaining")


class Moved(Reply):
    advanced: list[dict[str, Any]] = Field(description="per chain moved: kind, id, steps_run, remaining")


class LifecycleView(Reply):
    policies: dict[str, dict[str, Any]] = Field(description="per kind: mode and seconds")
    pending: list[dict[str, Any]] = Field(description="pending chains: kind, id, done, remaining, paused, next")


async def view(request: Request) -> Response:
    emulator = emulator_of(request)
    return reply(LifecycleView.model_validate(emulator.services.lifecycles.view(tenant_key(request))))


async def set_policy(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await parse(request, PolicyRequest)
    key = tenant_key(request, body)
    policy = emulator.services.lifecycles.set_policy(key, request.path_params["kind"], body.mode, body.seconds)
    return reply(Policy.model_validate({"kind": request.path_params["kind"], **policy.view()}))


async def advance(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await parse(request, AdvanceRequest)
    key = tenant_key(request, body)
    kinds = emulator.services.lifecycles.kinds
    if body.kind is not None and body.kind not in kinds:
        raise ValidationFailed(items=[ErrorItem(f"kind must be one of {', '.join(kinds)}", pointer="/kind")])
    moved = emulator.services.lifecycles.advance_manual(key, body.kind, body.id, body.steps)
    return reply(Moved(advanced=moved))


def control(kinds: tuple[str, ...]) -> tuple[ControlRoute, ...]:
    """The routes, documenting the kinds the families' manifests declare (``Lifecycles.kinds``)."""
    kind = {"type": "string", "enum": list(kinds)}
    return (
        ControlRoute(
            "GET", "/_emulator/lifecycles", view, "lifecycles",
            "Transition policies per resource kind and pending transitions",
            {"parameters": [API_KEY_PARAM], "responses": {"200": {"description": "policies"}}},
            response=LifecycleView,
            access="tenant",  # tenant_key: the caller's own
        ),
        ControlRoute(
            "POST", "/_emulator/lifecycles/advance", advance, "advanceLifecycles",
            "Run pending transitions now (for the manual policy)",
            {"parameters": [API_KEY_PARAM], "responses": {"200": {"description": "what moved"}}},
            body=AdvanceRequest, response=Moved,
            access="tenant",
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
                "responses": {"200": {"description": "policy"}},
            },
            body=PolicyRequest, response=Policy,
            access="tenant",
        ),
    )
