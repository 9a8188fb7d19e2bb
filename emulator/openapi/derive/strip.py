"""Strip prose, keep facts: the walker that copies one published object into the embedded document.

Its own module because it is the part of the derivation that knows OpenAPI's object shapes —
which maps hold *names* (``properties``, ``responses``, ``content``...) and which values are *data*
(``example``, ``default``, ``enum``...), so a property called ``description`` is kept while
Telnyx's ``description`` text is dropped. ``build.py`` applies it to the selected path items and
webhooks, ``components.py`` to each referenced component. Where OpenAPI requires text (a
response's ``description``) it writes our own words (:data:`STATUS_TEXT`).
"""

from __future__ import annotations

import copy
from typing import Any

from emulator.openapi.derive.corrections import CORRECTION_KEY
from emulator.openapi.loader import HTTP_METHODS

# Extensions that state facts about the API (kept); every other ``x-`` key is documentation or
# SDK-generator tooling (x-codeSamples, x-stainless-*, x-readme, x-group-parameters, ...).
FACT_EXTENSIONS = frozenset({"x-latency-category", "x-endpoint-cost", "x-format", "x-webhook-equivalent"})

# Our own words for response objects (OpenAPI requires a ``description`` on each).
STATUS_TEXT: dict[str, str] = {
    "200": "OK",
    "201": "Created",
    "202": "Accepted",
    "204": "No content",
    "206": "Partial content",
    "301": "Moved permanently",
    "302": "Found",
    "303": "See other",
    "307": "Temporary redirect",
    "400": "Bad request",
    "401": "Unauthorized",
    "402": "Payment required",
    "403": "Forbidden",
    "404": "Not found",
    "405": "Method not allowed",
    "408": "Request timeout",
    "409": "Conflict",
    "410": "Gone",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "422": "Validation error",
    "429": "Too many requests",
    "500": "Server error",
    "501": "Not implemented",
    "502": "Bad gateway",
    "503": "Service unavailable",
    "504": "Gateway timeout",
    "default": "Error",
    "1XX": "Informational",
    "2XX": "Success",
    "3XX": "Redirect",
    "4XX": "Client error",
    "5XX": "Server error",
}
GENERIC_RESPONSE_TEXT = "Response"  # a component response whose status we cannot know

# Schema keywords whose value is one schema / a list of schemas / a map of name -> schema.
_SCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
               "unevaluatedProperties", "unevaluatedItems", "additionalItems", "contentSchema")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keys whose value is API data, copied verbatim even if it holds a "description" key.
_DATA = ("example", "examples", "default", "enum", "const", "discriminator", "xml")
# Prose keys of every kind of object (schema, operation, parameter, media, example, tag, info...).
_PROSE = ("description", "externalDocs", "$comment")


def _keep_extension(key: str) -> bool:
    return key in FACT_EXTENSIONS or key == CORRECTION_KEY


def _ref(obj: dict[str, Any]) -> dict[str, Any]:
    # In 3.1 a Reference may carry summary/description siblings: prose, dropped.
    return {"$ref": obj["$ref"]}


def strip_schema(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return copy.deepcopy(schema)  # boolean schemas
    if "$ref" in schema and len(schema) == 1:
        return {"$ref": schema["$ref"]}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _PROSE or (key.startswith("x-") and not _keep_extension(key)):
            continue
        if key in _SCHEMA_ONE:
            out[key] = strip_schema(value)
        elif (key in _SCHEMA_LIST or key == "items") and isinstance(value, list):
            out[key] = [strip_schema(v) for v in value]
        elif key in _SCHEMA_MAP and isinstance(value, dict):
            out[key] = {name: strip_schema(v) for name, v in value.items()}
        elif key == "dependencies" and isinstance(value, dict):
            out[key] = {n: (strip_schema(v) if isinstance(v, dict) else copy.deepcopy(v)) for n, v in value.items()}
        else:
            out[key] = copy.deepcopy(value)  # facts and data (_DATA, type, format, bounds...)
    return out


def strip_example(example: Any) -> Any:
    """An Example object: only its value survives (its summary and description are prose)."""
    if not isinstance(example, dict):
        return copy.deepcopy(example)
    if "$ref" in example:
        return _ref(example)
    return {k: copy.deepcopy(v) for k, v in example.items() if k in ("value", "externalValue") or _keep_extension(k)}


def _strip_media(media: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in media.items():
        if key in _PROSE or (key.startswith("x-") and not _keep_extension(key)):
            continue
        if key == "schema":
            out[key] = strip_schema(value)
        elif key == "examples" and isinstance(value, dict):
            out[key] = {name: strip_example(v) for name, v in value.items()}
        elif key == "encoding" and isinstance(value, dict):
            out[key] = {
                name: {
                    k: ({h: strip_parameter(hv) for h, hv in v.items()} if k == "headers" else copy.deepcopy(v))
                    for k, v in enc.items()
                    if k not in _PROSE and (not k.startswith("x-") or _keep_extension(k))
                }
                for name, enc in value.items()
            }
        else:
            out[key] = copy.deepcopy(value)
    return out


def _strip_content(content: dict[str, Any]) -> dict[str, Any]:
    return {mt: _strip_media(media or {}) for mt, media in content.items()}


def strip_parameter(param: dict[str, Any]) -> dict[str, Any]:
    """A Parameter or Header object."""
    if "$ref" in param:
        return _ref(param)
    out: dict[str, Any] = {}
    for key, value in param.items():
        if key in _PROSE or (key.startswith("x-") and not _keep_extension(key)):
            continue
        if key == "schema":
            out[key] = strip_schema(value)
        elif key == "content" and isinstance(value, dict):
            out[key] = _strip_content(value)
        elif key == "examples" and isinstance(value, dict):
            out[key] = {name: strip_example(v) for name, v in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def strip_request_body(body: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in body:
        return _ref(body)
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in _PROSE or (key.startswith("x-") and not _keep_extension(key)):
            continue
        out[key] = _strip_content(value) if key == "content" and isinstance(value, dict) else copy.deepcopy(value)
    return out


def strip_response(response: dict[str, Any], status: str | None) -> dict[str, Any]:
    if "$ref" in response:
        return _ref(response)
    out: dict[str, Any] = {"description": STATUS_TEXT.get(status or "", GENERIC_RESPONSE_TEXT)}
    for key, value in response.items():
        if key in _PROSE or key == "links" or (key.startswith("x-") and not _keep_extension(key)):
            continue
        if key == "content" and isinstance(value, dict):
            out[key] = _strip_content(value)
        elif key == "headers" and isinstance(value, dict):
            out[key] = {name: strip_parameter(h) for name, h in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def strip_operation(op: dict[str, Any], summary: str) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": summary}
    for key, value in op.items():
        if key in _PROSE or key in ("summary", "servers", "callbacks") or (key.startswith("x-") and not _keep_extension(key)):
            continue
        if key == "parameters":
            out[key] = [strip_parameter(p) for p in value]
        elif key == "requestBody":
            out[key] = strip_request_body(value)
        elif key == "responses":
            out[key] = {str(status): strip_response(r, str(status)) for status, r in value.items()}
        else:
            out[key] = copy.deepcopy(value)  # operationId, tags, security, deprecated
    return out


def strip_path_item(item: dict[str, Any], summarize: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.get("parameters"):
        out["parameters"] = [strip_parameter(p) for p in item["parameters"]]
    for method in HTTP_METHODS:
        if isinstance(item.get(method), dict):
            out[method] = strip_operation(item[method], summarize(method, item[method]))
    return out


def strip_security_scheme(scheme: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in scheme:
        return _ref(scheme)
    return {k: copy.deepcopy(v) for k, v in scheme.items()
            if k not in _PROSE and (not k.startswith("x-") or _keep_extension(k))}
