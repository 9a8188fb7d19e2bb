"""What an AI gather asks, hears and decides, for a JSON Schema of ``parameters`` — and, with no
script, a seeded answer that satisfies the schema.

Hearing is :func:`emulator.fakes.extraction.extract` (rules, no model): every user turn is read on
its own — knowing which fields the assistant had just asked for, so a bare "Chicago" answers
"where do you live?" — and later answers win. The conversation around it is this module's: the
assistant asks again, naming what is still missing or wrong, up to :data:`MAX_ANSWERS` answers
while the party can still answer; the gather is ``valid`` exactly when the result satisfies the
schema (checked with jsonschema-rs), and the closing line says so either way.

Invented answers come from the shared :class:`~emulator.openapi.generator.ValueGenerator`; this
module adds only its per-key hints (a first name for a name, a city for a place, an adult age,
an address that reads back cleanly), which a caller hears spoken by :func:`utterance_for`.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime
from typing import Any

import jsonschema_rs

from emulator.fakes import extraction, fields
from emulator.families.calls.model import AiSession, Remote
from emulator.openapi.compose import no_fetch, type_of
from emulator.openapi.generator import MISSING, ValueGenerator
from emulator.openapi.loader import SpecDocument

NAMES = ("Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken")
CITIES = ("Paris", "Chicago", "Dublin", "Austin", "Lisbon", "Toronto")
MAX_ANSWERS = 3  # user turns an AI gather listens to before it gives up on what is missing
DONE = "Thank you, I have everything I need."


def properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return {k: (v if isinstance(v, dict) else {}) for k, v in (props or {}).items()}


def _words(key: str) -> str:
    return key.replace("_", " ").replace("-", " ").strip()


def extract(schema: dict[str, Any], text: str, *, today: date | None = None, expecting: list[str] | None = None) -> dict[str, Any]:
    """The fields of ``schema`` that ``text`` states (on a call, ``today`` is the emulator
    clock's day; it anchors "tomorrow")."""
    return extraction.extract(schema, text, today=today or datetime.now(UTC).date(), expecting=expecting)


def day_of(now: float) -> date:
    return datetime.fromtimestamp(now, tz=UTC).date()


def gathered(session: AiSession, now: float) -> dict[str, Any]:
    """The result so far: each user turn read on its own (a turn right after an assistant
    turn answers what was still missing then), later answers winning, nested objects merged."""
    result: dict[str, Any] = {}
    previous = None
    for message in session.message_history:
        if message.get("role") == "user":
            expecting = problems(session.parameters, result) if previous == "assistant" else None
            _merge(result, extract(session.parameters, str(message.get("content") or ""), today=day_of(now), expecting=expecting))
        previous = message.get("role")
    return result


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


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
    """``schema`` with every type one the generator knows (see :func:`problems`)."""
    return {**fields.normalized(schema), "type": "object"}


def fake_value(key: str, prop: dict[str, Any], rng: random.Random) -> Any:
    """A plausible value for one field, from the seeded generator."""
    prop = fields.normalized(prop)
    return _generator(prop).from_rng(prop, rng, name=key)


def fake_result(schema: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A seeded answer to every field of ``schema`` (what an unscripted party says)."""
    if not isinstance(schema, dict):
        return {}
    root = _coerced(schema)
    value = _generator(root).from_rng(root, rng)
    return value if isinstance(value, dict) else {}


def utterance_for(result: dict[str, Any]) -> str:
    """What the unscripted party says to give ``result`` (it reads back to the same result):
    "My age is 42, my address city is Dublin, my toppings are ham and olives."."""
    parts = [f"my {label} {'are' if isinstance(value, list) else 'is'} {_spoken(value)}" for label, value in _flat(result, ())]
    text = ", ".join(parts) + "."
    return text[0].upper() + text[1:] if parts else "Okay."


def _flat(value: dict[str, Any], prefix: tuple[str, ...]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        if isinstance(item, dict):
            out.extend(_flat(item, (*prefix, key)))
        else:
            out.append((" ".join(_words(k) for k in (*prefix[-1:], key)), item))
    return out


def _spoken(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        said = [_spoken(v) for v in value]
        return " and ".join([", ".join(said[:-1]), said[-1]]) if len(said) > 1 else "".join(said) or "none"
    return str(value)


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator | None:
    """A validator for the schema as the gather reads it (field types the validator does not
    know — the published example uses ``"type": "webhook"`` — count as strings)."""
    try:
        return jsonschema_rs.Draft202012Validator({**fields.normalized(schema), "type": "object"}, retriever=no_fetch)
    except ValueError:  # jsonschema_rs.ValidationError: not a schema we can check
        return None


def problems(schema: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """The fields (dotted paths, in schema order) that are missing or do not satisfy the schema."""
    found: list[str] = []
    validator = _validator(schema)
    if validator is None:
        required = schema.get("required")
        return [r for r in (required if isinstance(required, list) else []) if isinstance(r, str) and r not in result]
    for error in validator.iter_errors(result):
        path = [str(p) for p in error.instance_path if isinstance(p, str)]
        missing = getattr(error.kind, "property", None)
        if isinstance(missing, str) and type(error.kind).__name__ == "Required":
            path.append(missing)
        if path:
            found.append(".".join(path))
    order = [".".join(leaf.path) for leaf in fields.leaves(schema)]

    def rank(p: str) -> int:
        return next((i for i, o in enumerate(order) if o == p or o.startswith(p + ".") or p.startswith(o + ".")), len(order))

    return sorted(dict.fromkeys(found), key=rank)


def is_valid(schema: dict[str, Any], result: dict[str, Any]) -> bool:
    """Does ``result`` satisfy the schema?"""
    validator = _validator(schema)
    if validator is None:
        return not problems(schema, result)
    return bool(validator.is_valid(result))


def status(schema: dict[str, Any], result: dict[str, Any]) -> str:
    return "valid" if is_valid(schema, result) else "invalid"


def _asked(schema: dict[str, Any], paths: list[str]) -> str:
    """"your age", "your age and your location", "your name and whether you have insurance" —
    the fields as an assistant asks for them (a yes/no field by its "Whether …" description)."""
    by_path = {".".join(leaf.path): leaf for leaf in fields.leaves(schema)}
    said = []
    for path in paths:
        leaf = by_path.get(path)
        desc = str(leaf.schema.get("description") or "") if leaf else ""
        m = re.match(r"\s*(?:whether|if)\s+(.+?)\.?\s*$", desc, re.I) if leaf and leaf.kind == "boolean" else None
        said.append(f"whether {_second_person(m.group(1))}" if m else f"your {_words(path.replace('.', ' '))}")
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def _second_person(clause: str) -> str:
    """"the customer has insurance" → "you have insurance" (said to the customer)."""
    verbs = {"has": "have", "is": "are", "does": "do", "wants": "want", "needs": "need", "was": "were"}
    who = r"\b(?:the )?(?:customer|caller|user|person|patient|client)"
    clause = re.sub(who + r"'s\b", "your", clause, flags=re.I)
    clause = re.sub(who + r"\s+(\w+)", lambda m: "you " + verbs.get(m.group(1).lower(), m.group(1)), clause, flags=re.I)
    return re.sub(r"\bthey\b", "you", clause)


def can_answer_again(remote: Remote) -> bool:
    """Will the party answer another question? Its next scripted step is speech (or silence,
    which the user-response timeout ends); with nothing scripted left, an unscripted party
    answers and a party driven live (``auto`` off) may be told to ``say`` something — but a
    script that has run out has nothing more to say."""
    if remote.steps:
        return remote.steps[0].action in ("say", "silence")
    return remote.answers_by_default or remote.auto is False


def follow_up(session: AiSession, result: dict[str, Any], remote: Remote) -> str | None:
    """The assistant's next question, naming what is still missing or wrong — or None when the
    gather should end (complete, out of turns, or nobody left to answer)."""
    wanted = problems(session.parameters, result)
    if not wanted or session.turns >= MAX_ANSWERS or not can_answer_again(remote):
        return None
    return f"Could you tell me {_asked(session.parameters, wanted)}?"


def closing(session: AiSession, result: dict[str, Any]) -> str:
    """The assistant's last line: ``gather_ended_speech`` (or a thank-you) when the result is
    valid; when it is not, it says what is still missing first."""
    wanted = problems(session.parameters, result)
    if is_valid(session.parameters, result):
        return session.gather_ended_speech or DONE
    sorry = f"I'm sorry, I still don't know {_asked(session.parameters, wanted)}." if wanted else "I'm sorry, I couldn't get everything I need."
    return f"{sorry} {session.gather_ended_speech}" if session.gather_ended_speech else sorry
