"""The fields of a JSON Schema as a speaker names them: each leaf's path, type and *meaning*.

A meaning (an age, a person's name, a place, an e-mail address, a phone number, a date, a
yes/no, an enum, a list) comes from the field's type, format, name and description — what an
assistant asking for it, and a person answering, would go by. Nested objects flatten to their
sub-properties (``address.city``). Read by :mod:`emulator.fakes.extraction`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

KNOWN_TYPES = ("string", "integer", "number", "boolean", "array", "object")
GENERIC_WORDS = {"number", "of", "count", "num", "total", "how", "many", "the", "is", "has", "have", "does", "do", "are",
                 "wants", "want", "can", "will", "a", "an", "customer", "user", "caller", "customers", "s"}
NOT_PERSON = ("company", "business", "product", "street", "city", "pet", "dog", "cat", "file", "user", "brand", "town")
PLACE_WORDS = ("location", "city", "town", "place", "country", "state", "region", "hometown", "destination", "origin",
               "where", "live", "lives", "province", "county")


@dataclass


@dataclass
class Leaf:
    """One scalar (or list) field: its path from the root, schema and meaning."""

    path: tuple[str, ...]
    schema: dict[str, Any]
    kind: str  # the JSON type
    meaning: str
    words: list[str]  # the field name's words, e.g. ["number", "of", "children"]
    labels: list[str]  # phrases a speaker uses to name it ("age", "home city")


def type_of(schema: dict[str, Any]) -> str:
    """The JSON type a value for ``schema`` has; unknown types (the published example uses
    ``"webhook"``) read as strings."""
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t in KNOWN_TYPES:
        return str(t)
    if t is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(e, bool) for e in enum):
            return "boolean"
        if isinstance(enum, list) and enum and all(isinstance(e, int) and not isinstance(e, bool) for e in enum):
            return "integer"
    return "string"


def normalized(schema: Any) -> Any:
    """``schema`` with every type a validator knows (unknown ones become ``string``)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if "type" in out:
        out["type"] = type_of(schema) if not isinstance(out["type"], list) else [
            x if x in (*KNOWN_TYPES, "null") else "string" for x in out["type"]
        ]
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: normalized(v) for k, v in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = normalized(out["items"])
    return out


def _name_words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", key)
    return [w for w in re.split(r"[\s_\-.]+", spaced.lower()) if w]


def _description_label(schema: dict[str, Any]) -> str | None:
    """"The age of the customer." → "age"; "The customer's account number" → "account number"."""
    desc = schema.get("description")
    if not isinstance(desc, str) or not desc.strip():
        return None
    text = re.split(r"[.,;(]| of | for | that | which | to ", desc.strip().lower(), maxsplit=1)[0]
    text = re.sub(r"^(?:the|a|an|your|their)\s+", "", text)
    text = re.sub(r"^\w+'s\s+", "", text).strip()
    return text if 0 < len(text.split()) <= 4 else None


def meaning(words: list[str], schema: dict[str, Any], kind: str) -> str:
    fmt = schema.get("format")
    desc = str(schema.get("description") or "").lower()
    every = set(words) | set(re.findall(r"[a-z]+", desc))
    if kind == "array":
        return "list"
    if kind == "boolean":
        return "boolean"
    if "enum" in schema:
        return "enum"
    if kind in ("integer", "number"):
        return "age" if "age" in words or "years old" in desc else "number"
    if fmt in ("email", "idn-email") or every & {"email", "mail", "e-mail"}:
        return "email"
    if fmt in ("date", "date-time", "time"):
        return {"date": "date", "date-time": "datetime", "time": "time"}[str(fmt)]
    if every & {"phone", "telephone", "mobile", "cell", "callback"}:
        return "phone"
    if set(words) & {"date", "birthday", "dob", "day", "when"}:
        return "date"
    if "name" in words and not set(words) & set(NOT_PERSON):
        if "first" in words or "given" in words:
            return "first_name"
        if set(words) & {"last", "family", "surname"}:
            return "last_name"
        return "name"
    if "address" in words:
        return "address"
    if set(words) & set(PLACE_WORDS) or (not words and every & set(PLACE_WORDS)):
        return "place"
    return "string"


def leaves(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[Leaf]:
    """The fields of an object schema, nested objects flattened by their sub-properties."""
    out: list[Leaf] = []
    props = schema.get("properties") if isinstance(schema, dict) else None
    for key, sub in (props or {}).items():
        sub = sub if isinstance(sub, dict) else {}
        kind = type_of(sub)
        if kind == "object" and isinstance(sub.get("properties"), dict):
            out.extend(leaves(sub, (*prefix, key)))
            continue
        words = _name_words(key)
        labels = [" ".join(words)]
        if prefix:
            labels.insert(0, " ".join(_name_words(prefix[-1]) + words))
        described = _description_label(sub)
        if described and described not in labels:
            labels.append(described)
        out.append(Leaf((*prefix, key), sub, kind, meaning(words, sub, kind), words, labels))
    return out


def stems(leaf: Leaf) -> list[str]:
    words = [w for w in leaf.words if w not in GENERIC_WORDS and len(w) > 2]
    return [re.sub(r"(?:ren|ies|es|s|ing|er|ed)$", "", w) if len(w) > 5 else w for w in words]
