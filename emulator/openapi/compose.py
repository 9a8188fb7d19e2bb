"""Schema plumbing the value generator needs: following refs (``#`` included, which recursive
caller schemas use), folding ``allOf``, the effective type of a schema, discriminator tagging,
and making inline schemas' local refs resolvable against the document."""

from __future__ import annotations

import copy
from typing import Any

from emulator.openapi.loader import SpecDocument

DOC_URI = "urn:emulator:document"  # the document's URI in the validators' registry


def no_fetch(uri: str) -> Any:
    """A validator's retriever: the emulator is offline, a reference outside the root is never
    fetched (the schema is refused instead)."""
    raise ValueError(f"remote reference {uri} is not fetched (the emulator is offline)")


def lookup(doc: SpecDocument, ref: str) -> Any:
    """What a local reference points to; ``#`` is the whole document (a caller's root schema)."""
    return doc.raw if ref == "#" else doc.resolve(ref)


def deref(doc: SpecDocument, obj: Any) -> Any:
    """Follow ``$ref`` at the top of ``obj`` until it is a concrete schema (cycles give up)."""
    seen = 0
    while isinstance(obj, dict) and isinstance(obj.get("$ref"), str) and seen < 64:
        obj = lookup(doc, obj["$ref"])
        seen += 1
    return obj


def fresh(value: Any) -> Any:
    """A private copy of a document value, so callers may mutate what they are given."""
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        concrete = [k for k in kind if k != "null"]
        return concrete[0] if concrete else "null"
    if kind is not None:
        return kind
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    enum = [v for v in schema.get("enum") or [] if v is not None]
    if enum:
        return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(enum[0]))
    return None


def write_only(schema: Any) -> bool:
    return isinstance(schema, dict) and bool(schema.get("writeOnly"))


def ref_of(schema: Any) -> Any:
    return schema.get("$ref") if isinstance(schema, dict) else None


def is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and type_of(schema) == "null"


_ANNOTATIONS = frozenset({"description", "title", "nullable", "readOnly", "writeOnly", "deprecated", "x-stainless-param"})


def has_constraints(base: dict[str, Any]) -> bool:
    return any(not k.startswith("x-") and k not in _ANNOTATIONS for k in base)


def tag_branch(value: Any, discriminator: dict[str, Any], branch: Any) -> Any:
    """Set the discriminator property to the value that names ``branch`` (SDKs dispatch on it)."""
    prop = discriminator.get("propertyName")
    if not prop or not isinstance(value, dict) or not isinstance(branch, dict) or "$ref" not in branch:
        return value
    value = dict(value)
    ref = branch["$ref"]
    mapping = discriminator.get("mapping") or {}
    names = [k for k, target in mapping.items() if target == ref]
    if names and value.get(prop) not in names:
        value[prop] = names[0]
    elif not mapping and prop not in value:
        value[prop] = ref.rsplit("/", 1)[-1]
    return value


def absolute_refs(schema: Any) -> Any:
    """A copy of an inline schema whose local ``#/...`` refs point into the registered document."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = DOC_URI + value
            else:
                out[key] = absolute_refs(value)
        return out
    if isinstance(schema, list):
        return [absolute_refs(v) for v in schema]
    return schema


def merge_all_of(doc: SpecDocument, schema: dict[str, Any]) -> dict[str, Any]:
    """One schema equivalent (for generation) to ``schema`` with its ``allOf`` folded in.

    Properties are united (a property declared twice keeps both as an ``allOf``), ``required``
    lists are united, and other keywords keep their first occurrence."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = deref(doc, part)
        if not isinstance(part, dict):
            continue
        if "allOf" in part:
            part = merge_all_of(doc, part)
        for key, value in part.items():
            if key == "properties":
                props = merged["properties"] = dict(merged.get("properties") or {})  # never mutate the document
                for name, sub in value.items():
                    props[name] = {"allOf": [props[name], sub]} if name in props and props[name] != sub else sub
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*(merged.get("required") or []), *value]))
            else:
                merged.setdefault(key, value)
    return merged
