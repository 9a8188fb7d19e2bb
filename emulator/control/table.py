"""Control routes and the control API's OpenAPI document, both built from one table of
:class:`~emulator.runtime.family.ControlRoute` (the kernel's and every family's).

Request and response schemas are generated from the pydantic models each route names
(``body`` / ``response``) — the same models its endpoint parses with and answers from — so the
document cannot promise what the code does not do. Shared models appear once, under
``components/schemas``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.routing import Route

from emulator.core.version import VERSION as __version__
from emulator.runtime.family import ControlRoute

API_KEY_PARAM: dict[str, Any] = {"name": "api_key", "in": "query", "required": True, "schema": {"type": "string"}}
"""The tenant a control request steers (``control/requests.py``: ``tenant_key``), as documented."""

ACCESS_EXTENSION = "x-emulator-access"
"""Each operation's ``ControlRoute.access`` (public, tenant or admin), for readers of the document."""

_CONVERTOR = re.compile(r"\{(\w+):\w+\}")
"""Starlette's ``{name:path}`` convertors, which an OpenAPI path template writes ``{name}``."""


def build_routes(table: Iterable[ControlRoute]) -> list[Route]:
    """One Starlette route per (method, path); Starlette tries the next route with the same path
    when only the method differs, and answers 405 when none matches."""
    return [Route(r.path, r.endpoint, methods=[r.method], name=r.operation_id) for r in table]


_REF = "#/components/schemas/{model}"
_BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def control_document(table: Iterable[ControlRoute]) -> dict[str, Any]:
    """The control API's own OpenAPI document (served at ``/_emulator/openapi.json``)."""
    routes = list(table)
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for r in routes:
        wanted += [(r.body, "validation")] if r.body is not None else []
        wanted += [(r.response, "serialization")] if r.response is not None else []
    refs, defs = models_json_schema(list(dict.fromkeys(wanted)), ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        op: dict[str, Any] = {"operationId": r.operation_id, "summary": r.summary, **r.spec, ACCESS_EXTENSION: r.access}
        if r.query is not None:
            op["parameters"] = [*query_parameters(r.query), *r.spec.get("parameters", ())]
        if r.body is not None:
            op["requestBody"] = {**r.spec.get("requestBody", {}), "content": {"application/json": {"schema": refs[(r.body, "validation")]}}}
        if r.response is not None:
            responses = dict(op.get("responses", {}))
            answers = [s for s in responses if s.startswith("2") and s != "204"] or ["200"]
            for status in answers:  # e.g. 200 delivered and 202 still pending: the same model
                responses[status] = {"description": "OK", **responses.get(status, {}), "content": {"application/json": {"schema": refs[(r.response, "serialization")]}}}
            op["responses"] = responses
        template = _CONVERTOR.sub(r"{\1}", r.path)
        paths.setdefault(template, {})[r.method.lower()] = _with_path_parameters(_bytes_where_untyped(op), template)
    info = {"title": "telnyx-emulator control API", "version": __version__, "description": ACCESS_NOTE}
    return {"openapi": "3.1.0", "info": info, "paths": paths, "components": {"schemas": defs.get("$defs", {})}}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A query model's fields as OpenAPI query parameters (their schemas without titles)."""
    return [
        {"name": name, "in": "query", "schema": {k: v for k, v in schema.items() if k != "title"}}
        for name, schema in model.model_json_schema()["properties"].items()
    ]


ACCESS_NOTE = (
    "Each operation's x-emulator-access says who may call it. admin: Authorization: Bearer <admin token>, "
    "or no Authorization header while no --admin-token is set. tenant: the admin, or Bearer <API key>, "
    "which then acts on that key's tenant only (another api_key is a 403). public: anyone."
)


def _with_path_parameters(op: dict[str, Any], template: str) -> dict[str, Any]:
    """Every ``{name}`` of the path is a declared path parameter (a string unless the route's
    own entry says more), as OpenAPI requires."""
    declared = {p.get("name") for p in op.get("parameters", []) if p.get("in") == "path"}
    missing = [n for n in re.findall(r"\{(\w+)\}", template) if n not in declared]
    if missing:
        op["parameters"] = [*op.get("parameters", []), *({"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in missing)]
    return op


def _bytes_where_untyped(op: dict[str, Any]) -> dict[str, Any]:
    """A non-JSON media type declared without a schema (audio, CSV) carries raw bytes: say so."""
    op = copy.deepcopy(op)  # the spec pieces are module constants, shared by several routes
    for place in ("responses", "requestBody"):
        entries = op.get(place)
        if not entries:
            continue
        for entry in entries.values() if place == "responses" else [entries]:
            content: dict[str, Any] = (entry.get("content") if isinstance(entry, dict) else None) or {}
            for media, spec in content.items():
                if "json" not in media and isinstance(spec, dict) and "schema" not in spec:
                    content[media] = {**spec, "schema": _BINARY}
    return op
