"""Derive the embedded OpenAPI document from a published Telnyx document.

``telnyx-emulator derive-spec --from telnyx-spec3.yml --out fixtures/openapi/telnyx-ai.json``

Why a tool and not a hand-edited file: Telnyx changes its API; re-running this on their newest
document refreshes ours in one step, and a test re-runs it to tell us when the committed file is
stale. The output is deterministic (sorted keys, fixed formatting): same input, same bytes.

What it does, in order:

1. **Select** what the API families own (:class:`Selection`: the AI and voice-AI surface and the call webhooks).
2. **Strip prose, keep facts.** Telnyx's ``description``/``summary`` text, ``externalDocs``, tag
   descriptions and documentation-only ``x-`` extensions are dropped. Everything a client or a
   validator depends on is kept: paths, parameters, schemas, enums, ``required``, types, formats,
   defaults, bounds, patterns, example *values*, titles, operationIds, tags, security. The walker
   knows which maps hold *names* (``properties``, ``responses``, ``content``...) and which values
   are *data* (``example``, ``default``, ``enum``...), so a property called ``description`` is kept.
3. **Write our own words** where OpenAPI requires text: every response gets a short status phrase,
   every operation a short generated ``summary``, ``info`` is ours.
4. **Copy referenced components** transitively, and nothing unreferenced.
5. **Correct** what the published document gets wrong, marking each changed object with
   ``x-emulator-correction`` and listing every change in :attr:`Derived.corrections`.
6. **Add** what the official SDK calls and the published document lacks (``additions.py``), for
   the paths the families own, marked ``x-emulator-addition`` and listed in :attr:`Derived.additions`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.openapi.derive.additions import apply_additions
from emulator.openapi.derive.corrections import CORRECTION_KEY, Correction, apply_corrections
from emulator.openapi.derive.summaries import summarize
from emulator.openapi.loader import HTTP_METHODS, load_document

# Extensions that state facts about the API (kept); every other ``x-`` key is documentation or
# SDK-generator tooling (x-codeSamples, x-stainless-*, x-readme, x-group-parameters, ...).
FACT_EXTENSIONS = frozenset({"x-latency-category", "x-endpoint-cost", "x-format", "x-webhook-equivalent"})

COMPONENT_KINDS = ("schemas", "parameters", "responses", "requestBodies", "headers", "examples", "securitySchemes", "links", "callbacks")

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

INFO = {
    "title": "Telnyx API v2 — AI and voice-AI subset",
    "description": (
        "Telnyx API v2 — AI and voice-AI subset, derived by telnyx-emulator from the published "
        "Telnyx OpenAPI document: AI, text-to-speech, call control, AI calls and their webhooks. "
        "Facts only; corrections are marked with x-emulator-correction."
    ),
}
SERVERS = [{"url": "/v2"}]


@dataclass(frozen=True)
class Selection:
    """Which parts of the published document the embedded one keeps: the paths and webhooks the
    API families own (``Family.paths`` / ``Family.webhooks``; ``runtime/family.py`` builds it)."""

    path: Callable[[str], bool]
    webhook: Callable[[str], bool]


@dataclass
class Derived:
    document: dict[str, Any]
    corrections: list[Correction] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)
    """JSON pointers of what ``additions.py`` added (path items, webhooks, component schemas)."""

    def to_bytes(self) -> bytes:
        return dump_document(self.document)


def dump_document(document: dict[str, Any]) -> bytes:
    """Stable bytes: sorted keys, one-space indent, UTF-8, trailing newline."""
    return (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# -- prose stripping --------------------------------------------------------------------------
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


def _strip_example_object(example: Any) -> Any:
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
            out[key] = {name: _strip_example_object(v) for name, v in value.items()}
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
            out[key] = {name: _strip_example_object(v) for name, v in value.items()}
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


def strip_component(kind: str, name: str, obj: Any) -> Any:
    if kind == "schemas":
        return strip_schema(obj)
    if kind in ("parameters", "headers"):
        return strip_parameter(obj)
    if kind == "responses":
        return strip_response(obj, name if name in STATUS_TEXT else None)
    if kind == "requestBodies":
        return strip_request_body(obj)
    if kind == "examples":
        return _strip_example_object(obj)
    if kind == "securitySchemes":
        return strip_security_scheme(obj)
    raise DeriveError(f"components/{kind}/{name}: this kind of component is not supported")


class DeriveError(Exception):
    """The source document cannot be derived from (the message says why)."""


# -- references -------------------------------------------------------------------------------
def _refs(obj: Any, found: set[str]) -> None:
    if isinstance(obj, dict):
        ref = obj.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in obj.values():
            _refs(value, found)
    elif isinstance(obj, list):
        for value in obj:
            _refs(value, found)


def _component_of(ref: str) -> tuple[str, str]:
    parts = ref.split("/")
    if len(parts) != 4 or parts[:2] != ["#", "components"] or parts[2] not in COMPONENT_KINDS:
        raise DeriveError(f"unsupported reference {ref!r} (only #/components/<kind>/<name>)")
    return parts[2], parts[3].replace("~1", "/").replace("~0", "~")


def _security_names(requirements: Any) -> set[str]:
    names: set[str] = set()
    for req in requirements or []:
        names.update(req)
    return names


# -- derivation -------------------------------------------------------------------------------
def derive(source: dict[str, Any], selection: Selection) -> Derived:
    """The embedded document (and the corrections applied) from a published document."""
    corrections: list[Correction] = []
    paths: dict[str, Any] = {}
    for path, item in (source.get("paths") or {}).items():
        if selection.path(path):
            paths[path] = strip_path_item(item, lambda method, _op, p=path: summarize(method, p))
    webhooks: dict[str, Any] = {}
    for name, item in (source.get("webhooks") or {}).items():
        if selection.webhook(name):
            webhooks[name] = strip_path_item(item, lambda _method, _op, n=name: f"Event: {n}")

    security_names = _security_names(source.get("security"))
    tags: set[str] = set()
    for item in [*paths.values(), *webhooks.values()]:
        for method in HTTP_METHODS:
            op = item.get(method)
            if op:
                tags.update(op.get("tags") or [])
                security_names |= _security_names(op.get("security"))

    components = _collect_components(source, {"paths": paths, "webhooks": webhooks}, security_names)
    doc: dict[str, Any] = {
        "openapi": source.get("openapi", "3.1.0"),
        "info": {**INFO, "version": str((source.get("info") or {}).get("version", "0"))},
        "servers": copy.deepcopy(SERVERS),
        "paths": paths,
        "webhooks": webhooks,
        "components": components,
        "tags": [{"name": t["name"]} for t in source.get("tags") or [] if t.get("name") in tags],
    }
    if source.get("security") is not None:
        doc["security"] = copy.deepcopy(source["security"])
    if "jsonSchemaDialect" in source:
        doc["jsonSchemaDialect"] = source["jsonSchemaDialect"]

    apply_corrections(doc, corrections)
    added = apply_additions(doc, selection.path, source)
    # Corrections may drop or add references; recompute the component closure on the result.
    doc["components"] = _prune_components(doc)
    kept = [p for p in added if not p.startswith("#/components/schemas/") or p.rsplit("/", 1)[1] in doc["components"].get("schemas", {})]
    return Derived(document=doc, corrections=sorted(corrections, key=lambda c: (c.pointer, c.why)), additions=sorted(kept))


def _collect_components(source: dict[str, Any], roots: dict[str, Any], security_names: set[str]) -> dict[str, Any]:
    src_components = source.get("components") or {}
    found: set[str] = set()
    _refs(roots, found)
    pending = sorted(found)  # sorted: the same walk (and error messages) on every run
    done: set[str] = set()
    out: dict[str, dict[str, Any]] = {}
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        kind, name = _component_of(ref)
        try:
            original = src_components[kind][name]
        except KeyError as exc:
            raise DeriveError(f"unresolvable reference {ref!r}") from exc
        stripped = strip_component(kind, name, original)
        out.setdefault(kind, {})[name] = stripped
        found = set()
        _refs(stripped, found)
        pending.extend(sorted(found - done))
    out = {kind: dict(sorted(items.items())) for kind, items in sorted(out.items())}
    schemes = src_components.get("securitySchemes") or {}
    for name in sorted(security_names):
        if name in schemes:
            out.setdefault("securitySchemes", {})[name] = strip_security_scheme(schemes[name])
    return out


def _prune_components(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop components no longer reachable from paths/webhooks (after corrections)."""
    components = doc.get("components") or {}
    reachable: set[str] = set()
    pending: set[str] = set()
    _refs({"paths": doc.get("paths"), "webhooks": doc.get("webhooks")}, pending)
    while pending:
        ref = pending.pop()
        if ref in reachable:
            continue
        reachable.add(ref)
        kind, name = _component_of(ref)
        found: set[str] = set()
        _refs(components.get(kind, {}).get(name), found)
        pending |= found - reachable
    out: dict[str, Any] = {}
    for kind, items in components.items():
        if kind == "securitySchemes":
            out[kind] = items
            continue
        kept = {n: v for n, v in items.items() if f"#/components/{kind}/{n.replace('~', '~0').replace('/', '~1')}" in reachable}
        if kept:
            out[kind] = kept
    return out


def derive_file(source: Path, selection: Selection, out: Path | None = None, cache_dir: Path | None = None) -> Derived:
    """Load ``source`` (YAML or JSON), derive, and write to ``out`` when given."""
    derived = derive(load_document(source, cache_dir=cache_dir).raw, selection)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(derived.to_bytes())
        tmp.replace(out)
    return derived
