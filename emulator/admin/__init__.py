"""The control API under ``/_emulator``: what tests use to inspect and steer the emulator.

Each admin module exports ``routes`` (Starlette routes) and ``OPENAPI_PATHS`` (its part of the
control API's own OpenAPI document, served at ``/_emulator/openapi.json``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from starlette.routing import BaseRoute


def admin_modules() -> tuple[ModuleType, ...]:
    from emulator.admin import core, rules, webhooks  # noqa: PLC0415
    from emulator.admin import buckets, transcripts  # noqa: PLC0415

    from emulator.admin import faults, state_control  # noqa: PLC0415

    from emulator.admin import calls  # noqa: PLC0415
    from emulator.admin import lifecycles, reports  # noqa: PLC0415

    return (core, webhooks, rules, buckets, transcripts, faults, state_control, calls, lifecycles, reports)


def admin_routes() -> list[BaseRoute]:
    return [route for module in admin_modules() for route in module.routes]


def control_document() -> dict[str, Any]:
    from emulator import __version__  # noqa: PLC0415

    paths: dict[str, Any] = {}
    for module in admin_modules():
        paths.update(module.OPENAPI_PATHS)
    return {"openapi": "3.1.0", "info": {"title": "telnyx-emulator control API", "version": __version__}, "paths": paths}
