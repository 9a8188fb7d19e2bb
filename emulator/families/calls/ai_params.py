"""Turning what the other party says into an AI-gather ``result`` for a JSON Schema of
``parameters`` — and, with no script, inventing a seeded answer that satisfies the schema.

Extraction is rule-based (no model): explicit phrases ("my name is Ada", "my city is Paris",
"email: a@b.c"), then numbers for integer/number fields (an ``age`` prefers "I am 42" /
"42 years old"), yes/no for booleans, and any enum value mentioned. Good enough to script
"my name is Ada and I am 42" → ``{"name": "Ada", "age": 42}`` deterministically.

Invented answers come from the shared :class:`~emulator.openapi.generator.ValueGenerator`; this
module adds only its per-key hints (a first name for a name, a city for a place, an adult age,
an address that reads back cleanly), which a caller hears spoken by :func:`utterance_for`.
"""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema_rs

from emulator.openapi.compose import no_fetch, type_of
from emulator.openapi.generator import MISSING, ValueGenerator
from emulator.openapi.loader import SpecDocument

NAMES = ("Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken")
CITIES = ("Paris", "Chicago", "Dublin", "Austin", "Lisbon", "Toronto")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
YES = re.compile(r"\b(yes|yeah|yep|sure|correct|true|i do|absolutely)\b", re.I)
NO = re.compile(r"\b(no|nope|false|not really|i don't|i do not)\b", re.I)


def properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return {k: (v if isinstance(v, dict) else {}) for k, v in (props or {}).items()}


def _type(prop: dict[str, Any]) -> str:
    t = prop.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    return t if t in ("string", "integer", "number", "boolean", "array", "object") else "string"


def _words(key: str) -> str:
    return key.replace("_", " ").replace("-", " ").strip()


def _coerce(value: str, prop: dict[str, Any]) -> Any:
    kind = _type(prop)
    if kind == "integer":
        m = NUMBER.search(value)
        return int(float(m.group())) if m else None
    if kind == "number":
        m = NUMBER.search(value)
        return float(m.group()) if m else None
    if kind == "boolean":
        return True if YES.search(value) else False if NO.search(value) else None
    return value.strip().strip(".,;!?") or None


def extract(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """The fields of ``schema`` that ``text`` states."""
    props = properties(schema)
    out: dict[str, Any] = {}
    used_numbers: set[int] = set()
    # 1. explicit "my <field> is <value>" / "<field>: <value>"
    for key, prop in props.items():
        label = re.escape(_words(key))
        stop = r"(?=\s+(?:and|but|so)\b|[,.;!?]|$)"
        m = re.search(rf"\b(?:my\s+)?{label}\s*(?:is|=|:|'s)\s*(.+?){stop}", text, re.I)
        if m:
            value = _coerce(m.group(1), prop)
            if value is not None:
                out[key] = value
                if _type(prop) in ("integer", "number"):
                    nm = NUMBER.search(m.group(1))
                    if nm:
                        used_numbers.add(m.start(1) + nm.start())
    numbers = [(m.start(), m.group()) for m in NUMBER.finditer(text) if m.start() not in used_numbers]
    # 2. an age-like field: "I am 42", "I'm 42", "42 years old"
    for key, prop in props.items():
        if key in out or _type(prop) not in ("integer", "number") or "age" not in key.lower():
            continue
        m = re.search(r"\b(?:i am|i'm|im)\s+(\d+)\b|\b(\d+)\s+years?\s+old\b", text, re.I)
        if m:
            pos = m.start(1) if m.group(1) else m.start(2)
            out[key] = int(m.group(1) or m.group(2))
            numbers = [n for n in numbers if n[0] != pos]
    # 3. other numeric fields take the remaining numbers in order
    for key, prop in props.items():
        if key in out or _type(prop) not in ("integer", "number") or not numbers:
            continue
        _, raw = numbers.pop(0)
        out[key] = int(float(raw)) if _type(prop) == "integer" else float(raw)
    # 4. names, enums, booleans, e-mail addresses
    for key, prop in props.items():
        if key in out:
            continue
        kind = _type(prop)
        if "enum" in prop:
            for option in prop["enum"]:
                if isinstance(option, str) and re.search(rf"\b{re.escape(option)}\b", text, re.I):
                    out[key] = option
                    break
        elif kind == "boolean":
            value = _coerce(text, prop)
            if value is not None:
                out[key] = value
        elif kind == "string" and "name" in key.lower():
            m = re.search(r"\b(?:my name is|i am|i'm|this is|call me)\s+([A-Z][\w'-]*)", text)
            if m:
                out[key] = m.group(1)
        elif kind == "string" and ("mail" in key.lower() or prop.get("format") == "email"):
            m = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
            if m:
                out[key] = m.group()
    return out


def _hint(key: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """What a person on the phone would plausibly say for a field called ``key``."""
    low = key.lower()
    kind = type_of(schema)
    if kind == "integer" and "age" in low:
        return rng.randint(18, 80)
    if kind not in ("string", None):
        return MISSING
    if schema.get("format") == "email" or "mail" in low:
        return f"{rng.choice(NAMES).lower()}@example.com"
    if "name" in low:
        return rng.choice(NAMES)
    if any(w in low for w in ("city", "location", "address", "place")):
        return rng.choice(CITIES)
    return MISSING


def _generator(root: dict[str, Any]) -> ValueGenerator:
    return ValueGenerator(SpecDocument(raw=root, source="gather parameters"), name_hint=_hint)


def _coerced(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its fields' types made ones a validator knows (see :func:`is_valid`)."""
    props = {k: ({**v, "type": _type(v)} if "type" in v else v) for k, v in properties(schema).items()}
    return {**schema, "type": "object", "properties": props}


def fake_value(key: str, prop: dict[str, Any], rng: random.Random) -> Any:
    """A plausible value for one field, from the seeded generator."""
    prop = {**prop, "type": _type(prop)} if "type" in prop else prop
    return _generator(prop).from_rng(prop, rng, name=key)


def fake_result(schema: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A seeded answer to every field of ``schema`` (what an unscripted party says)."""
    if not isinstance(schema, dict):
        return {}
    root = _coerced(schema)
    value = _generator(root).from_rng(root, rng)
    return value if isinstance(value, dict) else {}


def utterance_for(result: dict[str, Any]) -> str:
    """What the unscripted party says to give ``result`` (it parses back to the same result)."""
    parts = []
    for key, value in result.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(f"my {_words(key)} is {value}")
    text = ", ".join(parts) + "."
    return text[0].upper() + text[1:] if parts else "Okay."


def is_valid(schema: dict[str, Any], result: dict[str, Any]) -> bool:
    """Does ``result`` satisfy the schema? Field types the validator does not know (the
    published example uses ``"type": "webhook"``) count as strings."""
    props = properties(schema)
    required = [r for r in (schema.get("required") or []) if isinstance(r, str)]
    if any(r not in result for r in required):
        return False
    cleaned = {
        "type": "object",
        "properties": {k: ({**v, "type": _type(v)} if "type" in v else v) for k, v in props.items()},
        "required": required,
    }
    try:
        validator = jsonschema_rs.Draft202012Validator(cleaned, retriever=no_fetch)
    except ValueError:  # jsonschema_rs.ValidationError: not a schema we can check, required only
        return all(r in result for r in required)
    return bool(validator.is_valid(result))


def missing_fields(schema: dict[str, Any], result: dict[str, Any]) -> list[str]:
    required = [r for r in (schema.get("required") or []) if isinstance(r, str)]
    return [r for r in required if r not in result]
