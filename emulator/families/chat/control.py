"""Control API for the fake model's scripted replies (``/_emulator/rules``).

``POST`` adds a rule (or ``{"rules": [...]}`` adds several, in order), ``GET`` lists them with
their hit counts (``?api_key=`` shows the rules that key sees), ``DELETE`` clears all (or one
tenant's with ``?api_key=``), ``DELETE /_emulator/rules/{id}`` removes one. The rule format is
described in :mod:`emulator.fakes.reply_rules`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core.errors import NotFound
from emulator.fakes.reply_rules import parse_rule
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.fakes.llm import ModelEngine


def _engine(request: Request) -> ModelEngine:
    return emulator_of(request).services.model


async def add_rules(request: Request) -> Response:
    engine = _engine(request)
    body = await json_body(request)
    items = body["rules"] if isinstance(body.get("rules"), list) else [body]
    book = engine.rules
    # Parse everything first so a bad rule in a batch adds none of them.

    for item in items:
        parse_rule(item, "check")
    added = [book.add(item).to_json() for item in items]
    return JSONResponse({"data": added if "rules" in body else added[0]}, status_code=201)


async def list_rules(request: Request) -> Response:
    api_key = request.query_params.get("api_key")
    rows = [r.to_json() for r in _engine(request).rules.list(api_key)]
    return JSONResponse({"data": rows, "meta": {"total": len(rows)}})


async def clear_rules(request: Request) -> Response:
    api_key = request.query_params.get("api_key")
    _engine(request).rules.clear(api_key)
    return Response(status_code=204)


async def delete_rule(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not _engine(request).rules.remove(rule_id):
        raise NotFound(f"No scripted rule with id {rule_id!r}.")
    return Response(status_code=204)


_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "match": {"type": "object", "properties": {"contains": {"type": "string"}, "regex": {"type": "string"}, "model": {"type": "string"},
                                                 "turn": {"enum": ["user", "tool"], "description": "Conversation ends with a user message or with tool results"}}},
        "reply": {"type": "object", "properties": {
            "content": {"type": "string"},
            "tool_calls": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "arguments": {}}}},
            "error": {"type": "object", "properties": {"status": {"type": "integer"}, "code": {"type": "string"}, "detail": {"type": "string"}}},
        }},
        "times": {"type": "integer", "minimum": 1, "default": 1},
        "repeat": {"type": "boolean", "default": False},
        "api_key": {"type": "string", "description": "Scope the rule to one tenant; omitted = every API key."},
    },
    "required": ["reply"],
}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/rules", add_rules, "addRules",
        "Add scripted model replies (one rule, or {rules: [...]})",
        {
            "requestBody": {"content": {"application/json": {"schema": _RULE_SCHEMA}}},
            "responses": {"201": {"description": "added"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/rules", list_rules, "listRules",
        "Scripted rules with hit counts",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "rules"}},
        },
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
