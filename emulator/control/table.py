"""Control routes and the control API's OpenAPI document, both built from one table of
:class:`~emulator.runtime.family.ControlRoute` (the kernel's and every family's)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import Route

from emulator.core.version import VERSION as __version__
from emulator.runtime.family import ControlRoute

API_KEY_PARAM: dict[str, Any] = {"name": "api_key", "in": "query", "required": True, "schema": {"type": "string"}}
"""The tenant a control request steers (``control/requests.py``: ``tenant_key``), as documented."""

_CONVERTOR = re.compile(r"\{(\w+):\w+\}")
"""Starlette's ``{name:path}`` convertors, which an OpenAPI path template writes ``{name}``."""


def build_routes(table: Iterable[ControlRoute]) -> list[Route]:
    """One Starlette route per (method, path); Starlette tries the next route with the same path
    when only the method differs, and answers 405 when none matches."""
    return [Route(r.path, r.endpoint, methods=[r.method], name=r.operation_id) for r in table]


def control_document(table: Iterable[ControlRoute]) -> dict[str, Any]:
    """The control API's own OpenAPI document (served at ``/_emulator/openapi.json``)."""
    paths: dict[str, dict[str, Any]] = {}
    for r in table:
        paths.setdefault(_CONVERTOR.sub(r"{\1}", r.path), {})[r.method.lower()] = {"operationId": r.operation_id, "summary": r.summary, **r.spec}
    return {"openapi": "3.1.0", "info": {"title": "telnyx-emulator control API", "version": __version__}, "paths": paths}
