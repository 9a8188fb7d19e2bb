"""Corrections the embedded document applies to the published Telnyx document.

Each one fixes something the published document states wrongly or that makes it invalid
OpenAPI; each changed object is marked ``x-emulator-correction: "<why>"`` and listed in the
report (``telnyx-emulator derive-spec --report``). The rules are generic (they look for the
problem, not for a named schema) so that a refreshed Telnyx document is corrected the same way.

1. **Streaming answers.** An operation whose JSON request body has a boolean ``stream`` field
   answers ``text/event-stream`` when it is true; the document declares only JSON for some of
   them, so we add the SSE media type to the 200 response.
2. **``default: null`` on a non-nullable type.** Invalid under openapi-spec-validator. Telnyx's
   services return ``null`` for these fields when unset (e.g. a call control application's
   ``inbound.channel_limit``), so the type is made nullable rather than the default dropped.
3. **Duplicate operationIds** (invalid OpenAPI): later duplicates get a unique suffix.
4. **OpenAI compatibility of the chat request.** ``/ai/openai/chat/completions`` is documented
   as compatible with the OpenAI API, and both chat endpoints share ``ChatCompletionRequest``; but
   that schema rejects what the official ``openai`` SDK sends in ordinary use: a ``json_schema``
   response format, ``content: null`` on an assistant message that carries ``tool_calls`` (the
   SDK's own reply appended to the history, or with no ``content`` key at all as
   ``model_dump(exclude_none=True)`` sends it), the ``developer`` role, and a named ``tool_choice``
   object. Each widened keyword is marked; the widening only ever *adds* accepted values.
5. **Optional bodies marked required.** An operation whose request body is marked required
   although its schema requires no property (every field optional: call-control commands such as
   ``gather_stop`` or ``siprec_start``, ``update`` calls) is sent with no body at all by Telnyx's
   own examples and SDKs, and the service accepts it. The body is made optional; an absent body
   is an empty object (``openapi/validate.py`` applies the same rule to any loaded document).
6. **Per-event webhook URL lists.** A ``webhook_urls`` map (dial, answer, transfer) is published
   with one URL per event type, but the official ``telnyx`` SDK (generated from Telnyx's newer
   document) sends a list of URLs per event type; each value may now be either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.openapi.loader import HTTP_METHODS

CORRECTION_KEY = "x-emulator-correction"
SSE = "text/event-stream"

WHY_STREAM = "answers text/event-stream when the request sets stream: true"
WHY_NULLABLE = "default null on a non-nullable type: made nullable (the service returns null when unset)"
WHY_DUPLICATE_ID = "duplicate operationId in the published document: renamed"
WHY_OPENAI = "OpenAI compatibility: accepts what the openai SDK sends"
WHY_OPTIONAL_BODY = "body marked required but no property is required: absent body = empty object"
WHY_URL_LISTS = "the telnyx SDK sends a list of URLs per event type: a value may be a URL or a list of them"

# (schema name, JSON pointer inside it, what to add) for the OpenAI-compatibility correction.
# "enum+" appends enum values; "oneOf+" appends an alternative schema; "property+" adds a property.
OPENAI_WIDENINGS: tuple[tuple[str, str, str, Any], ...] = (
    ("ChatCompletionResponseFormatParam", "/properties/type", "enum+", ["json_schema"]),
    ("ChatCompletionResponseFormatParam", "", "property+", ("json_schema", {"type": "object"})),
    ("ChatCompletionSystemMessageParam", "/properties/content", "oneOf+", {"type": "null"}),
    ("ChatCompletionSystemMessageParam", "/properties/role", "enum+", ["developer"]),
    # model_dump(exclude_none=True) of the SDK's assistant reply has tool_calls and no content key
    # (content stays required for every message without tool_calls)
    ("ChatCompletionSystemMessageParam", "", "required-or", ["content", "tool_calls"]),
    ("ChatCompletionRequest", "/properties/tool_choice", "oneOf+", {
        "type": "object",
        "required": ["type", "function"],
        "properties": {
            "type": {"type": "string", "enum": ["function"]},
            "function": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        },
    }),
)


@dataclass(frozen=True)
class Correction:
    pointer: str  # JSON pointer of the changed object in the embedded document
    why: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.why}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(doc: dict[str, Any], obj: Any, depth: int = 0) -> Any:
    while isinstance(obj, dict) and "$ref" in obj and depth < 64:
        node: Any = doc
        for part in obj["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
        depth += 1
    return obj


def _properties(doc: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """Properties of a schema, following $ref and allOf."""
    schema = _resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return {}
    props = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        props.update(_properties(doc, part, depth + 1))
    return props


def _mark(obj: dict[str, Any], why: str) -> None:
    previous = obj.get(CORRECTION_KEY)
    obj[CORRECTION_KEY] = why if previous in (None, why) else f"{previous}; {why}"


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for section in ("paths", "webhooks"):
        for key, item in (doc.get(section) or {}).items():
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    found.append((section, key, method, item[method]))
    return found


def correct_streaming(doc: dict[str, Any], out: list[Correction]) -> None:
    for section, key, method, op in _operations(doc):
        if section != "paths" or "requestBody" not in op:
            continue
        body = _resolve(doc, op["requestBody"])
        schema = ((body.get("content") or {}).get("application/json") or {}).get("schema")
        stream = _resolve(doc, _properties(doc, schema).get("stream"))
        if not isinstance(stream, dict):
            continue
        kind = stream.get("type")
        if "boolean" not in (kind if isinstance(kind, list) else [kind]):
            continue
        responses = op.get("responses") or {}
        if "200" not in responses:
            continue
        response = responses["200"]
        if "$ref" in response:  # do not change a shared component: inline a copy here
            response = dict(_resolve(doc, response))
            responses["200"] = response
        content = response.setdefault("content", {})
        if SSE in content:
            continue
        content[SSE] = {"schema": {"type": "string"}}
        _mark(response, WHY_STREAM)
        out.append(Correction(f"#/{section}/{_escape(key)}/{method}/responses/200", WHY_STREAM))


# Maps whose keys are names (a property may be called "default" or "example"), not keywords.
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
                        "paths", "webhooks", "schemas", "responses", "requestBodies", "headers", "content"})
_DATA_KEYS = frozenset({"example", "examples", "enum", "const", "default"})


def _walk_schemas(node: Any, pointer: str, visit: Any, names: bool = False) -> None:
    """Visit every dict under ``node`` except data values (``visit`` picks the schemas it fixes)."""
    if isinstance(node, dict):
        if not names:
            visit(node, pointer)
        for key, value in node.items():
            if key in _DATA_KEYS and not names:
                continue  # data, not schemas
            _walk_schemas(value, f"{pointer}/{_escape(str(key))}", visit, names=not names and key in _NAME_MAPS)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk_schemas(value, f"{pointer}/{i}", visit)


def correct_null_defaults(doc: dict[str, Any], out: list[Correction]) -> None:
    def visit(node: dict[str, Any], pointer: str) -> None:
        if "default" not in node or node["default"] is not None or "type" not in node:
            return
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not all(isinstance(t, str) for t in types):
            return  # a property literally named "type" (its value is a schema): not this rule
        changed = False
        if "null" not in types:
            node["type"] = [*types, "null"]
            changed = True
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
            changed = True
        if changed:
            _mark(node, WHY_NULLABLE)
            out.append(Correction(pointer, WHY_NULLABLE))

    for section in ("paths", "webhooks", "components"):
        _walk_schemas(doc.get(section), f"#/{section}", visit, names=section != "components")


def correct_duplicate_ids(doc: dict[str, Any], out: list[Correction]) -> None:
    seen: set[str] = set()
    for section, key, method, op in _operations(doc):
        op_id = op.get("operationId")
        if not isinstance(op_id, str):
            continue
        if op_id in seen:
            n = 2
            while f"{op_id}_{n}" in seen:
                n += 1
            op["operationId"] = f"{op_id}_{n}"
            _mark(op, WHY_DUPLICATE_ID)
            out.append(Correction(f"#/{section}/{_escape(key)}/{method}", f"{WHY_DUPLICATE_ID} {op_id} -> {op_id}_{n}"))
            op_id = op["operationId"]
        seen.add(op_id)


def correct_openai_compatibility(doc: dict[str, Any], out: list[Correction]) -> None:
    schemas = (doc.get("components") or {}).get("schemas") or {}
    for name, pointer, how, addition in OPENAI_WIDENINGS:
        node: Any = schemas.get(name)
        for part in [p for p in pointer.split("/") if p]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue  # a refreshed document may have renamed or fixed it
        if how == "enum+" and "enum" in node:
            missing = [v for v in addition if v not in node["enum"]]
            if not missing:
                continue
            node["enum"] = [*node["enum"], *missing]
        elif how == "oneOf+":
            if "oneOf" in node:
                node["oneOf"] = [*node["oneOf"], addition]
            else:  # wrap the single schema: keep it as the first alternative
                original = {k: v for k, v in node.items() if k != CORRECTION_KEY}
                node.clear()
                node["oneOf"] = [original, addition]
        elif how == "property+":
            key, schema = addition
            if key in node.get("properties", {}):
                continue
            node.setdefault("properties", {})[key] = schema
        elif how == "required-or":  # "a required" becomes "a or b required"
            first, alternative = addition
            required = node.get("required") or []
            if first not in required or "anyOf" in node:
                continue
            node["required"] = [v for v in required if v != first]
            node["anyOf"] = [{"required": [first]}, {"required": [alternative]}]
        else:
            continue
        _mark(node, f"{WHY_OPENAI} ({how})")
        out.append(Correction(f"#/components/schemas/{_escape(name)}{pointer}", f"{WHY_OPENAI} ({how})"))


def _requires_something(doc: dict[str, Any], schema: Any, depth: int = 0) -> bool:
    """Whether ``{}`` could fail ``schema``: a required property, a minimum size, a type other
    than object, or a union none of whose branches accepts ``{}`` (conservative: unknown = yes)."""
    schema = _resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return True
    kind = schema.get("type", "object")
    if (kind != "object" and not (isinstance(kind, list) and "object" in kind)) or schema.get("required") or schema.get("minProperties"):
        return True
    if any(_requires_something(doc, part, depth + 1) for part in schema.get("allOf") or []):
        return True
    return any(
        bool(schema.get(union)) and all(_requires_something(doc, b, depth + 1) for b in schema[union]) for union in ("oneOf", "anyOf")
    )


def correct_optional_bodies(doc: dict[str, Any], out: list[Correction]) -> None:
    for section, key, method, op in _operations(doc):
        body = op.get("requestBody")
        if section != "paths" or not isinstance(body, dict) or "$ref" in body or not body.get("required"):
            continue
        content = body.get("content") or {}
        schemas = [m.get("schema") for m in content.values() if isinstance(m, dict) and m.get("schema") is not None]
        if not schemas or any(_requires_something(doc, s) for s in schemas):
            continue
        body["required"] = False
        _mark(body, WHY_OPTIONAL_BODY)
        out.append(Correction(f"#/{section}/{_escape(key)}/{method}/requestBody", WHY_OPTIONAL_BODY))


def correct_webhook_url_lists(doc: dict[str, Any], out: list[Correction]) -> None:
    for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        urls = (schema.get("properties") or {}).get("webhook_urls") if isinstance(schema, dict) else None
        value = urls.get("additionalProperties") if isinstance(urls, dict) else None
        if not isinstance(value, dict) or value.get("type") != "string":
            continue
        one = {k: v for k, v in value.items() if k != CORRECTION_KEY}
        value.clear()
        value["oneOf"] = [one, {"type": "array", "items": dict(one)}]
        _mark(value, WHY_URL_LISTS)
        out.append(Correction(f"#/components/schemas/{_escape(name)}/properties/webhook_urls/additionalProperties", WHY_URL_LISTS))


def apply_corrections(doc: dict[str, Any], out: list[Correction]) -> None:
    """Apply every correction to ``doc`` in place; append what was changed to ``out``."""
    correct_streaming(doc, out)
    correct_null_defaults(doc, out)
    correct_duplicate_ids(doc, out)
    correct_openai_compatibility(doc, out)
    correct_optional_bodies(doc, out)
    correct_webhook_url_lists(doc, out)
