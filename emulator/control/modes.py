"""Control routes for strict/lenient modes per API key and the table of business rules.

``GET /_emulator/modes`` shows the default (from settings) and each key's override;
``PUT /_emulator/modes/{api_key}`` sets one key's ``unknown_ids`` / ``business_rules`` (or
``lenient: true|false`` for both); ``DELETE`` drops the override. ``GET /_emulator/business-rules``
lists every rule the families enforce beyond the document, with what the warn mode does instead.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, confine, emulator_of, own_key, parse, reply
from emulator.core.errors import NotFound
from emulator.core.modes import LENIENT, STRICT
from emulator.runtime.family import ControlRoute


class ModeRequest(Body):
    lenient: bool | None = Field(default=None, description="true = unknown_ids create + business_rules warn; false = both strict")
    unknown_ids: Literal["404", "create"] | None = None
    business_rules: Literal["enforce", "warn"] | None = None


class ModeView(Reply):
    mode: str
    unknown_ids: str
    business_rules: str


class KeyMode(ModeView):
    api_key: str


class Modes(Reply):
    default: ModeView
    keys: dict[str, ModeView] = Field(description="API keys with a mode of their own")


class RuleRow(Reply):
    name: str
    checks: str
    substitute: str
    real_api: bool = Field(description="the real Telnyx API is known to enforce it too")


class BusinessRules(Reply):
    data: list[RuleRow]


async def list_modes(request: Request) -> Response:
    modes = emulator_of(request).state.modes
    mine = own_key(request)
    keys = {k: m.dump() for k, m in sorted(modes.overrides().items()) if mine is None or k == mine}
    return reply(Modes.model_validate({"default": modes.default.dump(), "keys": keys}))


async def set_mode(request: Request) -> Response:
    body = await parse(request, ModeRequest)
    modes = emulator_of(request).state.modes
    api_key = confine(request, request.path_params["api_key"])
    if body.lenient is not None:
        base = LENIENT if body.lenient else STRICT
        modes.set(api_key, unknown_ids=base.unknown_ids, business_rules=base.business_rules)
    mode = modes.set(api_key, unknown_ids=body.unknown_ids, business_rules=body.business_rules)
    return reply(KeyMode.model_validate({"api_key": api_key, **mode.dump()}))


async def clear_mode(request: Request) -> Response:
    api_key = confine(request, request.path_params["api_key"])
    if not emulator_of(request).state.modes.clear(api_key):
        raise NotFound(f"API key {api_key!r} has no mode of its own (it uses the default).")
    return Response(status_code=204)


async def business_rules(request: Request) -> Response:
    rules = emulator_of(request).business_rules
    return reply(BusinessRules.model_validate({"data": [r.dump() for r in sorted(rules, key=lambda r: r.name)]}))


_KEY_PARAM: dict[str, object] = {"name": "api_key", "in": "path", "required": True, "schema": {"type": "string"}}

CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/modes", list_modes, "listModes", "The default mode and each API key's own",
        {"responses": {"200": {"description": "modes"}}}, response=Modes,
        access="tenant",  # the default and the caller's own
    ),
    ControlRoute(
        "PUT", "/_emulator/modes/{api_key}", set_mode, "setMode", "Set one API key's strict/lenient mode",
        {"parameters": [_KEY_PARAM], "responses": {"200": {"description": "the key's mode"}}},
        body=ModeRequest, response=KeyMode,
        access="tenant",  # its own key only
    ),
    ControlRoute(
        "DELETE", "/_emulator/modes/{api_key}", clear_mode, "clearMode", "Drop one API key's mode (back to the default)",
        {"parameters": [_KEY_PARAM], "responses": {"204": {"description": "dropped"}}},
        access="tenant",  # its own key only
    ),
    ControlRoute(
        "GET", "/_emulator/business-rules", business_rules, "businessRules",
        "Every check the emulator makes beyond the document, with what the warn mode does instead",
        {"responses": {"200": {"description": "the rules"}}},
        response=BusinessRules,
        access="tenant",  # the families' rules, no tenant's data
    ),
)
