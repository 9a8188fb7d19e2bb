"""Control API for failure scenarios: fault rules, latency profiles, rate limits.

``POST /_emulator/faults`` adds a rule (or a list of rules, all-or-nothing), ``GET`` lists them
with their counters, ``DELETE`` clears them (or one, by id). ``GET|POST /_emulator/latency`` and
``GET|POST /_emulator/ratelimit`` read and change the switches set at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core.errors import ApiError, ErrorItem, NotFound, ValidationFailed
from emulator.faults.latency import DelaySpec
from emulator.faults.rules import pydantic_items
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.faults.chain import FaultChain


def scenarios_of(request: Request) -> FaultChain:
    return emulator_of(request).services.faults


async def add_faults(request: Request) -> Response:
    """One rule object, or a JSON list of rules (validated all together before any is added)."""
    scenarios = scenarios_of(request)
    body = await json_body(request, allow_list=True)
    rules = body if isinstance(body, list) else [body]
    added = []
    try:
        for i, data in enumerate(rules):
            try:
                added.append(scenarios.faults.add(data))
            except ApiError as err:
                if isinstance(body, list):  # point into the list
                    err.items = [
                        ErrorItem(f"[{i}] {it.detail}", pointer=f"/{i}{it.pointer or ''}") for it in err.items
                    ]
                raise
    except ApiError:
        for active in added:
            scenarios.faults.remove(active.id)
        raise
    views = [a.view() for a in added]
    return JSONResponse({"data": views if isinstance(body, list) else views[0]}, status_code=201)


async def list_faults(request: Request) -> Response:
    scenarios = scenarios_of(request)
    return JSONResponse({"data": [a.view() for a in scenarios.faults.list()]})


async def clear_faults(request: Request) -> Response:
    scenarios = scenarios_of(request)
    return JSONResponse({"deleted": scenarios.faults.clear()})


async def delete_fault(request: Request) -> Response:
    scenarios = scenarios_of(request)
    rule_id = request.path_params["rule_id"]
    if not scenarios.faults.remove(rule_id):
        raise NotFound(f"No fault rule with id {rule_id!r}.")
    return JSONResponse({"deleted": 1, "id": rule_id})


class LatencyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    scale: float | None = Field(default=None, ge=0)
    categories: dict[str, DelaySpec] | None = None


class RateLimitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    rps: float | None = Field(default=None, gt=0)
    burst: int | None = Field(default=None, ge=1)
    dial_cps: float | None = Field(default=None, gt=0)


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(items=pydantic_items(exc)) from exc


async def latency(request: Request) -> Response:
    scenarios = scenarios_of(request)
    if request.method == "POST":
        update: LatencyUpdate = _validate(LatencyUpdate, await json_body(request))
        scenarios.latency.configure(enabled=update.enabled, scale=update.scale, categories=update.categories)
    return JSONResponse(scenarios.latency.view())


async def ratelimit(request: Request) -> Response:
    scenarios = scenarios_of(request)
    if request.method == "POST":
        update: RateLimitUpdate = _validate(RateLimitUpdate, await json_body(request))
        scenarios.ratelimit.configure(enabled=update.enabled, rps=update.rps, burst=update.burst, dial_cps=update.dial_cps)
    return JSONResponse(scenarios.ratelimit.view())


_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "match": {
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("operation_id", "method", "path", "path_regex", "api_key", "call_id")}
            | {"body": {"type": "object", "description": "JSON pointer -> expected value"}},
        },
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "headers": {"type": "object"},
        "retry_after": {"type": "number"},
        "delay": {"description": "milliseconds, or {distribution: fixed|uniform|lognormal, ms|min_ms,max_ms|median_ms,sigma}"},
        "transport": {"enum": ["reset", "empty", "truncate", "stream_cut"]},
        "cut_after_bytes": {"type": "integer"},
        "cut_after_chunks": {"type": "integer"},
        "times": {"type": ["integer", "null"], "description": "default 1; null = forever"},
        "probability": {"type": "number"},
        "seed": {"type": "integer"},
    },
}


_RULES_RESPONSES: dict[str, Any] = {
    "responses": {"201": {"description": "added"}, "422": {"description": "invalid rule; the error names the field"}},
}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/faults", add_faults, "addFaults",
        "Add a fault rule (or a list of them)",
        {"requestBody": {"content": {"application/json": {"schema": {"oneOf": [_RULE_SCHEMA, {"type": "array", "items": _RULE_SCHEMA}]}}}}, **_RULES_RESPONSES},
    ),
    ControlRoute(
        "GET", "/_emulator/faults", list_faults, "listFaults",
        "Fault rules with their counters",
        {"responses": {"200": {"description": "rules"}}},
    ),
    ControlRoute(
        "DELETE", "/_emulator/faults", clear_faults, "clearFaults",
        "Delete every fault rule",
        {"responses": {"200": {"description": "deleted"}}},
    ),
    ControlRoute(
        "DELETE", "/_emulator/faults/{rule_id}", delete_fault, "deleteFault",
        "Delete one fault rule",
        {
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "deleted"}, "404": {"description": "no such rule"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/latency", latency, "getLatency",
        "Latency profile switch and ranges",
        {"responses": {"200": {"description": "profile"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/latency", latency, "setLatency",
        "Turn latency profiles on/off, scale them, override categories",
        {"responses": {"200": {"description": "profile"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/ratelimit", ratelimit, "getRateLimit",
        "Rate limiting switch and limits",
        {"responses": {"200": {"description": "limits"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/ratelimit", ratelimit, "setRateLimit",
        "Turn rate limiting on/off and change limits",
        {"responses": {"200": {"description": "limits"}}},
    ),
)
