"""Control routes for strict/lenient modes per API key and the table of business rules.

``GET /_emulator/modes`` shows the default (from settings) and each key's override;
``PUT /_emulator/modes/{api_key}`` sets one key's ``unknown_ids`` / ``business_rules`` (or
``lenient: true|false`` for both); ``DELETE`` drops the override. ``GET /_emulator/business-rules``
lists every rule the families enforce beyond the document, with what the warn mode does instead.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core.errors import ErrorItem, NotFound, ValidationFailed
from emulator.core.modes import LENIENT, STRICT
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute

_CHOICES: dict[str, tuple[str, ...]] = {"unknown_ids": ("404", "create"), "business_rules": ("enforce", "warn")}


async def list_modes(request: Request) -> Response:
    modes = emulator_of(request).state.modes
    return JSONResponse({"default": modes.default.dump(), "keys": {k: m.dump() for k, m in sorted(modes.overrides().items())}})


async def set_mode(request: Request) -> Response:
    body: dict[str, Any] = await json_body(request)
    errors = [ErrorItem(f"Unknown key {k!r}; expected one of lenient, unknown_ids, business_rules", pointer=f"/{k}") for k in body if k not in ("lenient", *_CHOICES)]
    for name, choices in _CHOICES.items():
        if name in body and body[name] not in choices:
            errors.append(ErrorItem(f"Must be one of {', '.join(choices)}", pointer=f"/{name}", kind="enum"))
    if "lenient" in body and not isinstance(body["lenient"], bool):
        errors.append(ErrorItem("Must be a boolean", pointer="/lenient", kind="bool_type"))
    if errors:
        raise ValidationFailed(items=errors)
    modes = emulator_of(request).state.modes
    api_key = request.path_params["api_key"]
    if "lenient" in body:
        base = LENIENT if body["lenient"] else STRICT
        modes.set(api_key, unknown_ids=base.unknown_ids, business_rules=base.business_rules)
    mode = modes.set(api_key, unknown_ids=body.get("unknown_ids"), business_rules=body.get("business_rules"))
    return JSONResponse({"api_key": api_key, **mode.dump()})


async def clear_mode(request: Request) -> Response:
    api_key = request.path_params["api_key"]
    if not emulator_of(request).state.modes.clear(api_key):
        raise NotFound(f"API key {api_key!r} has no mode of its own (it uses the default).")
    return Response(status_code=204)


async def business_rules(request: Request) -> Response:
    rules = emulator_of(request).business_rules
    return JSONResponse({"data": [r.dump() for r in sorted(rules, key=lambda r: r.name)]})


_MODE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "lenient": {"type": "boolean", "description": "true = unknown_ids create + business_rules warn; false = both strict"},
        "unknown_ids": {"type": "string", "enum": ["404", "create"]},
        "business_rules": {"type": "string", "enum": ["enforce", "warn"]},
    },
}
_KEY_PARAM: dict[str, Any] = {"name": "api_key", "in": "path", "required": True, "schema": {"type": "string"}}

CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute("GET", "/_emulator/modes", list_modes, "listModes", "The default mode and each API key's own", {"responses": {"200": {"description": "modes"}}}),
    ControlRoute(
        "PUT", "/_emulator/modes/{api_key}", set_mode, "setMode", "Set one API key's strict/lenient mode",
        {"parameters": [_KEY_PARAM], "requestBody": {"content": {"application/json": {"schema": _MODE_SCHEMA}}}, "responses": {"200": {"description": "the key's mode"}}},
    ),
    ControlRoute(
        "DELETE", "/_emulator/modes/{api_key}", clear_mode, "clearMode", "Drop one API key's mode (back to the default)",
        {"parameters": [_KEY_PARAM], "responses": {"204": {"description": "dropped"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/business-rules", business_rules, "businessRules",
        "Every check the emulator makes beyond the document, with what the warn mode does instead",
        {"responses": {"200": {"description": "the rules"}}},
    ),
)
