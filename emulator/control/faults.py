"""Control API for failure scenarios: fault rules, latency profiles, rate limits.

A tenant caller (``Bearer <API key>``) adds, lists and deletes only rules that match its own key;
the latency and rate-limit switches act on everyone, so only the admin changes them.

``POST /_emulator/faults`` adds a rule (or a list of rules, all-or-nothing), ``GET`` lists them
with their counters, ``DELETE`` clears them (or one, by id). ``GET|POST /_emulator/latency`` and
``GET|POST /_emulator/ratelimit`` read and change the switches set at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Reply, confine, emulator_of, json_body, own_key, owned, parse, reply
from emulator.core.errors import ApiError, ErrorItem, NotFound
from emulator.faults.latency import DelaySpec
from emulator.faults.rules import ActiveRule, FaultRule
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.faults.chain import FaultChain


class FaultRules(RootModel[FaultRule | list[FaultRule]]):
    """What ``POST /_emulator/faults`` takes: one rule, or a list added all or nothing. Each
    rule is validated by :class:`~emulator.faults.rules.FaultRule` (``FaultRules.add``)."""


RuleView = dict[str, Any]
"""A stored rule as posted (fields left unset omitted) with ``fired``, ``remaining``, ``active``."""


class FaultsAdded(Reply):
    data: RuleView | list[RuleView]


class FaultList(Reply):
    data: list[RuleView]


class Deleted(Reply):
    deleted: int


class DeletedOne(Reply):
    deleted: int
    id: str


class LatencyView(Reply):
    enabled: bool
    scale: int | float
    categories: dict[str, dict[str, Any]] = Field(description="per category, its delay distribution")


class RateLimitView(Reply):
    enabled: bool
    rps: int | float
    burst: int
    dial_cps: int | float


def scenarios_of(request: Request) -> FaultChain:
    return emulator_of(request).services.faults


def _for_caller(request: Request, data: Any) -> Any:
    """A rule a tenant caller posts matches its own key only (``match.api_key`` forced; another
    key named there is a 403). Anything malformed is left for the rule's validation to name."""
    mine = own_key(request)
    if mine is None or not isinstance(data, dict):
        return data
    match = data.get("match", {})
    if not isinstance(match, dict):
        return data
    return {**data, "match": {**match, "api_key": confine(request, match.get("api_key"))}}


def _visible(request: Request, rules: list[ActiveRule]) -> list[ActiveRule]:
    """The rules a caller sees and deletes: all for the admin, a tenant's own for a tenant."""
    mine = own_key(request)
    return rules if mine is None else [r for r in rules if r.rule.match.api_key == mine]


async def add_faults(request: Request) -> Response:
    """One rule object, or a JSON list of rules (validated all together before any is added)."""
    scenarios = scenarios_of(request)
    body = await json_body(request, allow_list=True)
    rules = [_for_caller(request, data) for data in (body if isinstance(body, list) else [body])]
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
    return reply(FaultsAdded(data=views if isinstance(body, list) else views[0]), status_code=201)


async def list_faults(request: Request) -> Response:
    scenarios = scenarios_of(request)
    return reply(FaultList(data=[a.view() for a in _visible(request, scenarios.faults.list())]))


async def clear_faults(request: Request) -> Response:
    scenarios = scenarios_of(request)
    if own_key(request) is None:
        return reply(Deleted(deleted=scenarios.faults.clear()))
    mine = _visible(request, scenarios.faults.list())
    return reply(Deleted(deleted=sum(scenarios.faults.remove(r.id) for r in mine)))


async def delete_fault(request: Request) -> Response:
    scenarios = scenarios_of(request)
    rule_id = request.path_params["rule_id"]
    missing = NotFound(f"No fault rule with id {rule_id!r}.")
    found = next((r for r in scenarios.faults.list() if r.id == rule_id), None)
    if found is None:
        raise missing
    owned(request, found.rule.match.api_key, missing)
    scenarios.faults.remove(rule_id)
    return reply(DeletedOne(deleted=1, id=rule_id))


class LatencyUpdate(BaseModel):
    # Not strict like control/requests.py's Body: DelaySpec (shared with fault rules) is lax.
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


async def latency(request: Request) -> Response:
    scenarios = scenarios_of(request)
    if request.method == "POST":
        update = await parse(request, LatencyUpdate)
        scenarios.latency.configure(enabled=update.enabled, scale=update.scale, categories=update.categories)
    return reply(LatencyView.model_validate(scenarios.latency.view()))


async def ratelimit(request: Request) -> Response:
    scenarios = scenarios_of(request)
    if request.method == "POST":
        update = await parse(request, RateLimitUpdate)
        scenarios.ratelimit.configure(enabled=update.enabled, rps=update.rps, burst=update.burst, dial_cps=update.dial_cps)
    return reply(RateLimitView.model_validate(scenarios.ratelimit.view()))


_RULES_RESPONSES: dict[str, Any] = {
    "responses": {"201": {"description": "added"}, "422": {"description": "invalid rule; the error names the field"}},
}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/faults", add_faults, "addFaults",
        "Add a fault rule (or a list of them)",
        _RULES_RESPONSES,
        body=FaultRules, response=FaultsAdded,
        access="tenant",  # a tenant's rules match its own key only
    ),
    ControlRoute(
        "GET", "/_emulator/faults", list_faults, "listFaults",
        "Fault rules with their counters",
        {"responses": {"200": {"description": "rules"}}},
        response=FaultList,
        access="tenant",  # a tenant sees its own rules
    ),
    ControlRoute(
        "DELETE", "/_emulator/faults", clear_faults, "clearFaults",
        "Delete every fault rule",
        {"responses": {"200": {"description": "deleted"}}},
        response=Deleted,
        access="tenant",  # a tenant deletes its own rules
    ),
    ControlRoute(
        "DELETE", "/_emulator/faults/{rule_id}", delete_fault, "deleteFault",
        "Delete one fault rule",
        {
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "deleted"}, "404": {"description": "no such rule"}},
        },
        response=DeletedOne,
        access="tenant",  # its own rule only (others' ids are 404s)
    ),
    ControlRoute(
        "GET", "/_emulator/latency", latency, "getLatency",
        "Latency profile switch and ranges",
        {"responses": {"200": {"description": "profile"}}},
        response=LatencyView,
        access="tenant",  # reading the switch tells nothing about anyone
    ),
    ControlRoute(
        "POST", "/_emulator/latency", latency, "setLatency",
        "Turn latency profiles on/off, scale them, override categories",
        {"responses": {"200": {"description": "profile"}}},
        body=LatencyUpdate, response=LatencyView,
        access="admin",  # slows every tenant
    ),
    ControlRoute(
        "GET", "/_emulator/ratelimit", ratelimit, "getRateLimit",
        "Rate limiting switch and limits",
        {"responses": {"200": {"description": "limits"}}},
        response=RateLimitView,
        access="tenant",
    ),
    ControlRoute(
        "POST", "/_emulator/ratelimit", ratelimit, "setRateLimit",
        "Turn rate limiting on/off and change limits",
        {"responses": {"200": {"description": "limits"}}},
        body=RateLimitUpdate, response=RateLimitView,
        access="admin",  # limits every tenant
    ),
)
