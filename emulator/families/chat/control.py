"""Control API for the fake model's scripted replies (``/_emulator/rules``).

``POST`` adds a rule (or ``{"rules": [...]}`` adds several, in order), ``GET`` lists them with
their hit counts (``?api_key=`` shows the rules that key sees), ``DELETE`` clears all (or one
tenant's with ``?api_key=``), ``DELETE /_emulator/rules/{id}`` removes one. The rule format is
described in :mod:`emulator.fakes.reply_rules`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, RootModel
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, emulator_of, json_body, reply, validate
from emulator.core.errors import NotFound
from emulator.fakes.reply_rules import parse_rule
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.fakes.llm import ModelEngine


class RuleMatch(Body):
    contains: str | None = None
    regex: str | None = None
    model: str | None = None
    turn: Literal["user", "tool"] | None = Field(default=None, description="the conversation ends with a user message or with tool results")


class ScriptedToolCall(Body):
    name: str
    arguments: Any = Field(default=None, description="an object, or a JSON string")


class ScriptedError(Body):
    status: int = Field(default=500, description="an HTTP error status, 400-599")
    code: str | None = None
    detail: str | None = None
    message: str | None = Field(default=None, description="said instead of detail")


class ScriptedReply(Body):
    content: str | None = None
    tool_calls: list[ScriptedToolCall] | None = None
    error: ScriptedError | None = None


class RuleSpec(Body):
    """One scripted reply (checked further by ``fakes/reply_rules.parse_rule``)."""

    match: RuleMatch | None = None
    reply: ScriptedReply = Field(description="content, tool_calls and/or error")
    times: int | None = Field(default=1, description="how often it fires; null = forever")
    repeat: bool = False
    api_key: str | None = Field(default=None, description="scope the rule to one tenant; omitted = every API key")


class RuleBatch(Body):
    rules: list[RuleSpec] = Field(description="added in order, all or nothing")


class AddRules(RootModel[RuleSpec | RuleBatch]):
    """What ``POST /_emulator/rules`` takes: one rule, or ``{"rules": [...]}``."""


RuleView = dict[str, Any]
"""A rule as stored: id, match, reply, api_key, times, repeat, hits."""


class RulesAdded(Reply):
    data: RuleView | list[RuleView]


class RuleTotal(Reply):
    total: int


class RuleList(Reply):
    data: list[RuleView]
    meta: RuleTotal


def _engine(request: Request) -> ModelEngine:
    return emulator_of(request).services.model


async def add_rules(request: Request) -> Response:
    engine = _engine(request)
    body = await json_body(request)
    if "rules" in body:
        specs = validate(RuleBatch, body).rules
    else:
        specs = [validate(RuleSpec, body)]
    items = [spec.model_dump(exclude_unset=True) for spec in specs]
    book = engine.rules
    # Parse everything first so a bad rule in a batch adds none of them.
    for item in items:
        parse_rule(item, "check")
    added = [book.add(item).to_json() for item in items]
    return reply(RulesAdded(data=added if "rules" in body else added[0]), status_code=201)


async def list_rules(request: Request) -> Response:
    api_key = request.query_params.get("api_key")
    rows = [r.to_json() for r in _engine(request).rules.list(api_key)]
    return reply(RuleList(data=rows, meta=RuleTotal(total=len(rows))))


async def clear_rules(request: Request) -> Response:
    api_key = request.query_params.get("api_key")
    _engine(request).rules.clear(api_key)
    return Response(status_code=204)


async def delete_rule(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not _engine(request).rules.remove(rule_id):
        raise NotFound(f"No scripted rule with id {rule_id!r}.")
    return Response(status_code=204)


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/rules", add_rules, "addRules",
        "Add scripted model replies (one rule, or {rules: [...]})",
        {"responses": {"201": {"description": "added"}}},
        body=AddRules, response=RulesAdded,
    ),
    ControlRoute(
        "GET", "/_emulator/rules", list_rules, "listRules",
        "Scripted rules with hit counts",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "rules"}},
        },
        response=RuleList,
    ),
    ControlRoute(
        "DELETE", "/_emulator/rules", clear_rules, "clearRules",
        "Remove all rules (or one API key's)",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"204": {"description": "cleared"}},
        },
    ),
    ControlRoute(
        "DELETE", "/_emulator/rules/{rule_id}", delete_rule, "deleteRule",
        "Remove one rule",
        {
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "removed"}, "404": {"description": "no such rule"}},
        },
    ),
)
