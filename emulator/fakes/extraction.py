"""What a spoken sentence says about a JSON Schema: the values an AI gather hears.

A fake of the model behind ``gather_using_ai`` — rules, no network, no model, and
deterministic: the same (schema, sentence, day) always gives the same values. The schema is
flattened to its leaves (nested objects recurse by sub-property names); each leaf gets a
*meaning* from its type, format, name and description (an age, a person's name, a place, an
e-mail address, a phone number, a date, a yes/no, an enum, a list), and the sentence is read in
passes so that one phrase feeds one leaf:

1. labelled answers — "my <field> is …", "<field>: …" (the field's words or its description's);
2. things with a shape of their own — e-mail addresses, phone numbers, dates and times;
3. cues of meaning — "I am 42", "42 years old", "my name is Jane Doe", "I live in Chicago",
   "from New York", enum values (or their usual synonyms), "I don't smoke" for ``smoker``;
4. numbers left over ("42", "forty two", "three point five") go to numeric fields in order;
5. a bare answer ("Chicago", "yes") fills the one field the assistant just asked about.

Spoken numbers and dates are read by :mod:`emulator.fakes.spoken`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from emulator.fakes import fields, spoken

# The end of a spoken value: a conjunction, a clause mark, or the end of the sentence.
STOP = r"(?=\s+(?:and|but|so|because)\b|\s*[,;!?]|\.(?:\s|$)|$)"
CLAUSE_END = r"(?=[;!?]|\.(?:\s|$)|$)"
PERSON_NOT = {"i", "and", "but", "so", "the", "a", "yes", "no", "not", "from", "in", "at", "sure", "okay", "ok", "well", "hello", "hi"}
FILLER = re.compile(
    r"^(?:(?:yes|yeah|yep|sure|ok|okay|well|um|uh|so|hi|hello|it's|it is|that's|that is|i think|i'd say|"
    r"i live in|i'm from|i am from|from|my \w+ is|call me|i'm|i am)[\s,]+)+",
    re.I,
)
NEGATION = re.compile(r"\b(?:no|not|never|nope|nah|none|don't|dont|doesn't|isn't|aren't|haven't|hasn't|won't|can't|cannot|without)\b|n't\b", re.I)
# "I do." answers a yes/no question; "I am 42" does not.
YES = re.compile(r"^\W*(?:(?:yes|yeah|yep|yup|sure|correct|right|true|absolutely|definitely|of course|please do)\b|(?:i do|i am|i have|i will|i did)\b(?!\s+\w))", re.I)
NO = re.compile(r"^\W*(?:no|nope|nah|false|not really|never|i don't|i do not|i'm not|i am not|i haven't|i won't)\b", re.I)
REFUSAL = re.compile(
    r"\b(?:rather not|don't know|do not know|no idea|not sure|can't say|cannot say|prefer not|not telling|won't say|"
    r"none of your|skip|pass)\b",
    re.I,
)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "yes": ("yeah", "yep", "sure"), "no": ("nope", "nah"),
    "small": ("little",), "large": ("big",), "mobile": ("cell", "cellphone"),
    "phone": ("telephone", "call"), "sms": ("text message", "text"), "email": ("e-mail", "mail"),
    "morning": ("a.m.", "am"), "afternoon": ("p.m.", "pm"), "evening": ("tonight",),
    "male": ("man",), "female": ("woman",), "high": ("urgent",), "low": ("minor",),
    "credit_card": ("card", "visa", "mastercard"), "cancel": ("cancellation",),
}


@dataclass
class Reading:
    """The sentence being read: which character spans earlier passes already used."""

    text: str
    today: date
    used: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.used)

    def take(self, start: int, end: int) -> None:
        self.used.append((start, end))


# ---------------------------------------------------------------------------------------------
# values of one type from a phrase


def _clean(phrase: str) -> str:
    return FILLER.sub("", phrase.strip()).strip(" \t.,;!?\"'")


def _proper(phrase: str) -> str:
    """What was said, with a lower-case transcript's proper noun capitalised."""
    return phrase.title() if phrase == phrase.lower() else phrase


def _enum_value(leaf_schema: dict[str, Any], r: Reading, lo: int = 0, hi: int | None = None) -> tuple[Any, int, int] | None:
    """The enum option mentioned first in ``r.text[lo:hi]`` (its value or a synonym)."""
    hi = len(r.text) if hi is None else hi
    best: tuple[Any, int, int] | None = None
    for option in leaf_schema.get("enum") or []:
        if isinstance(option, bool) or option is None:
            continue
        if isinstance(option, (int, float)):
            for n in spoken.numbers(r.text[lo:hi]):
                if n.value == option and (best is None or lo + n.start < best[1]):
                    best = (option, lo + n.start, lo + n.end)
            continue
        base = str(option).lower()
        variants = {base, base.replace("_", " ").replace("-", " "), *SYNONYMS.get(base, ())}
        for variant in variants:
            for m in re.finditer(rf"(?<![\w@]){re.escape(variant)}(?:s|es)?(?![\w@])", r.text[lo:hi], re.I):
                start, end = lo + m.start(), lo + m.end()
                before = r.text[max(0, start - 8):start].lower()
                if r.free(start, end) and not re.search(r"\b(?:not|no)\s+$", before) and (best is None or start < best[1]):
                    best = (option, start, end)
    return best


def _scalar(leaf: fields.Leaf, phrase: str, today: date) -> Any:
    """``phrase`` (a labelled answer) read as a value for ``leaf``; None if it is not one."""
    phrase = phrase.strip().strip(" \t.,;!?\"'")
    if not phrase:
        return None
    kind, meaning = leaf.kind, leaf.meaning
    if kind in ("integer", "number"):
        nums = spoken.numbers(phrase)
        if not nums:
            return None
        value = nums[0].value
        if kind == "integer":
            return int(value) if float(value).is_integer() else None
        return value
    if kind == "boolean":
        return False if NO.search(phrase) or NEGATION.search(phrase) else True if YES.search(phrase) or phrase else None
    if meaning == "enum":
        found = _enum_value(leaf.schema, Reading(phrase, today))
        return found[0] if found else None
    if meaning in ("date", "datetime", "time"):
        when = spoken.when(phrase, today)
        return spoken.render(when, meaning) if when else None
    if meaning == "email":
        return spoken.email(phrase) or None
    if meaning == "phone":
        found = spoken.phone(phrase)
        return found[0] if found else phrase
    if meaning in ("name", "first_name", "last_name", "place"):
        return _proper(phrase)
    return phrase


# ---------------------------------------------------------------------------------------------
# the passes


def _labelled(leaf: fields.Leaf, r: Reading) -> Any:
    stop = CLAUSE_END if leaf.kind == "array" else STOP
    for label in leaf.labels:
        words = r"[\s_-]+".join(re.escape(w) for w in label.split())
        pattern = rf"\b(?:my|the|our|your)?\s*{words}\s*(?:is|are|was|would be|will be|=|:|'s)\s*(?P<v>.+?){stop}"
        for m in re.finditer(pattern, r.text, re.I):
            if not r.free(m.start("v"), m.end("v")):
                continue
            if leaf.kind == "array":
                value: Any = _list(leaf, m.group("v"), r.today)
            else:
                value = _scalar(leaf, m.group("v"), r.today)
            if value not in (None, []):
                r.take(m.start(), m.end())
                return value
    return None


def _items(leaf: fields.Leaf) -> dict[str, Any]:
    items = leaf.schema.get("items")
    return items if isinstance(items, dict) else {}


def _list(leaf: fields.Leaf, phrase: str, today: date) -> list[Any]:
    items = _items(leaf)
    item = fields.Leaf(leaf.path, items, fields.type_of(items), fields.meaning(leaf.words, items, fields.type_of(items)), leaf.words, leaf.labels)
    if item.meaning == "enum":
        r, out = Reading(phrase, today), []
        while (found := _enum_value(items, r)) is not None:
            out.append(found[0])
            r.take(found[1], found[2])
        return list(dict.fromkeys(out))
    if item.kind in ("integer", "number"):
        nums = [n.value for n in spoken.numbers(phrase)]
        return [int(n) for n in nums if float(n).is_integer()] if item.kind == "integer" else nums
    if item.kind == "object":
        return []
    parts = re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*", phrase.strip(" .!?"))
    parts = [re.sub(r"^(?:a|an|the|some)\s+", "", p.strip(), flags=re.I) for p in parts]
    values = [_scalar(item, p, today) for p in parts if p]
    return [v for v in values if v is not None]


def _shaped(leaf: fields.Leaf, r: Reading) -> Any:
    """E-mail addresses, phone numbers, dates and times: recognisable wherever they are."""
    if leaf.meaning == "email":
        for m in spoken.EMAIL_SPAN.finditer(r.text):
            found = spoken.email(m.group())
            if found and r.free(m.start(), m.end()):
                r.take(m.start(), m.end())
                return found
    elif leaf.meaning == "phone":
        number = spoken.phone(r.text)
        if number and r.free(number[1], number[2]):
            r.take(number[1], number[2])
            return number[0]
    elif leaf.meaning in ("date", "datetime", "time"):
        when = spoken.when(r.text, r.today, free=r.free)
        if when:
            for span in when.spans:
                r.take(*span)
            return spoken.render(when, leaf.meaning)
    return None


def _cued(leaf: fields.Leaf, r: Reading, nums: list[spoken.Number]) -> Any:
    meaning, text = leaf.meaning, r.text
    if meaning == "age":
        for n in nums:
            before, after = text[:n.start].lower(), text[n.end:].lower()
            if (re.search(r"\b(?:i am|i'm|im|aged|age|turned|turning)\s+$", before) or re.match(r"\s*(?:years?|yrs?)\b", after)) and r.free(n.start, n.end):
                r.take(n.start, n.end)
                return int(n.value) if leaf.kind == "integer" and float(n.value).is_integer() else n.value
    if meaning in ("name", "first_name", "last_name"):
        m = re.search(r"\b(?:my (?:full )?name is|my name's|name is|call me)\s+(?P<v>[A-Za-z][\w'-]*(?:\s+(?!and\b|but\b|from\b|i\b)[A-Za-z][\w'-]*){0,2})", text, re.I)
        m = m or re.search(r"\b(?:i am|i'm|this is|it's)\s+(?P<v>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,2})", text)
        if m and m.group("v").split()[0].lower() not in PERSON_NOT and r.free(m.start("v"), m.end("v")):
            if meaning == "name":  # a first and a last name may both come from one full name
                r.take(m.start("v"), m.end("v"))
            parts = _proper(m.group("v")).split()
            if meaning == "first_name":
                return parts[0]
            if meaning == "last_name":
                return parts[-1] if len(parts) > 1 else None
            return " ".join(parts)
    if meaning in ("place", "address"):
        strong = r"\b(?:i live in|live in|living in|i'm from|i am from|from|based in|located in|moved to|reside in|live at|address is)\s+"
        for cue in (strong, r"\b(?:in|at|near)\s+(?=[A-Z])"):
            for m in re.finditer(cue + r"(?P<v>.+?)" + (CLAUSE_END if meaning == "address" else STOP), text, re.I if cue == strong else 0):
                value = _place(m.group("v"), lower_ok=cue == strong)
                if value and r.free(m.start("v"), m.start("v") + len(value)):
                    r.take(m.start("v"), m.end("v"))
                    return value if meaning == "place" else m.group("v").strip()
    if meaning == "enum":
        found = _enum_value(leaf.schema, r)
        if found:
            r.take(found[1], found[2])
            return found[0]
    if meaning == "boolean":
        stems = fields.stems(leaf)
        for clause in re.split(r"[,.;!?]|\b(?:and|but|so)\b", text):
            words = re.findall(r"[a-z']+", clause.lower())
            if stems and any(w.startswith(s) for s in stems for w in words):
                return not NEGATION.search(clause)
    if meaning == "list":
        return _mentioned_list(leaf, r)
    return None


def _mentioned_list(leaf: fields.Leaf, r: Reading) -> list[Any] | None:
    """A list said without its label: every enum option mentioned, or what follows the field's
    noun in its clause ("I'm allergic to peanuts and shellfish" for ``allergies``)."""
    items = _items(leaf)
    if "enum" in items:
        out = []
        while (found := _enum_value(items, r)) is not None:
            out.append(found[0])
            r.take(found[1], found[2])
        return list(dict.fromkeys(out)) or None
    stems = fields.stems(leaf)
    for m in re.finditer(r"[^;!?]+?" + CLAUSE_END, r.text):
        for w in re.finditer(r"[a-z]+", m.group().lower()):
            if stems and any(w.group().startswith(s) for s in stems):
                start = m.start() + w.end()
                rest = re.sub(r"^\s*(?:to|are|is|include|including|of|:)?\s*", "", r.text[start:m.end()])
                values = _list(leaf, rest, r.today) if rest else []
                if values and r.free(start, m.end()):
                    r.take(start, m.end())
                    return values
    return None


def _place(phrase: str, *, lower_ok: bool) -> str | None:
    m = re.match(r"(?:the city of\s+)?([A-Z][\w.'-]*(?:\s+(?:de|of|upon|on|la|del|du)?\s*[A-Z][\w.'-]*)*)", phrase.strip())
    if m and m.group(1).split()[0].lower() not in PERSON_NOT:
        return m.group(1)
    if lower_ok:
        words = phrase.strip().split()
        if 0 < len(words) <= 3 and not re.search(r"\d", phrase):
            return _proper(" ".join(words))
    return None


def _counted(leaf: fields.Leaf, r: Reading, nums: list[spoken.Number]) -> Any:
    """"3 kids" / "two children" for ``number_of_children``: a number before the field's noun."""
    stems = fields.stems(leaf)
    for n in nums:
        after = r.text[n.end:n.end + 30].lower()
        m = re.match(r"\s+(?:\w+\s+)?([a-z]+)", after)
        if stems and m and any(m.group(1).startswith(s) for s in stems) and r.free(n.start, n.end):
            r.take(n.start, n.end)
            return n.value
    return None


def _numeric(leaf: fields.Leaf, value: Any) -> Any:
    if leaf.kind == "integer":
        return int(value) if float(value).is_integer() else None
    return value


def _bare(leaf: fields.Leaf, r: Reading, nums: list[spoken.Number]) -> Any:
    """The whole answer as a value for the one field just asked about."""
    if leaf.kind in ("integer", "number"):
        for n in nums:
            if r.free(n.start, n.end) and _numeric(leaf, n.value) is not None:
                return _numeric(leaf, n.value)
        return None
    if leaf.kind == "boolean":
        return False if NO.search(r.text) else True if YES.search(r.text) else None
    if leaf.kind == "array":
        return _list(leaf, _clean(r.text), r.today) or None
    if r.used or REFUSAL.search(r.text):  # it answered something else, or it declines
        return None
    cleaned = _clean(r.text)
    if leaf.meaning in ("name", "first_name", "last_name", "place"):
        return _place(cleaned, lower_ok=True)
    return _scalar(leaf, cleaned, r.today)


def extract(schema: dict[str, Any], text: str, *, today: date, expecting: list[str] | None = None) -> dict[str, Any]:
    """The values ``text`` states for the fields of the object ``schema`` (nested objects as
    nested dicts). ``today`` anchors "tomorrow"; ``expecting`` names the fields (top-level or
    dotted paths) the question just asked for, so a bare "Chicago" answers the one missing."""
    every = fields.leaves(schema)
    r = Reading(text, today)
    found: dict[tuple[str, ...], Any] = {}
    for step in ("labelled", "shaped", "cued", "counted", "leftover"):
        nums = [n for n in spoken.numbers(text) if r.free(n.start, n.end)]
        for leaf in every:
            if leaf.path in found:
                continue
            value: Any = None
            if step == "labelled":
                value = _labelled(leaf, r)
            elif step == "shaped":
                value = _shaped(leaf, r)
            elif step == "cued":
                value = _cued(leaf, r, nums)
            elif step == "counted" and leaf.kind in ("integer", "number"):
                value = _counted(leaf, r, nums)
                value = None if value is None else _numeric(leaf, value)
            elif step == "leftover" and leaf.kind in ("integer", "number") and (not expecting or _asked(leaf.path, expecting)):
                for n in nums:
                    if r.free(n.start, n.end) and _numeric(leaf, n.value) is not None:
                        r.take(n.start, n.end)
                        value = _numeric(leaf, n.value)
                        break
            if value is not None:
                found[leaf.path] = value
    flags = [leaf for leaf in every if leaf.kind == "boolean"]
    if len(flags) == 1 and flags[0].path not in found:  # "Yes, I do." answers the one yes/no question
        value = False if NO.search(text) else True if YES.search(text) else None
        if value is not None:
            found[flags[0].path] = value
    asked = [leaf for leaf in every if leaf.path not in found and _asked(leaf.path, expecting)]
    if len(asked) == 1:
        value = _bare(asked[0], r, [n for n in spoken.numbers(text) if r.free(n.start, n.end)])
        if value is not None:
            found[asked[0].path] = value
    out: dict[str, Any] = {}
    for leaf in every:  # in schema order
        if leaf.path in found:
            node = out
            for key in leaf.path[:-1]:
                node = node.setdefault(key, {})
            node[leaf.path[-1]] = found[leaf.path]
    return out


def _asked(path: tuple[str, ...], expecting: list[str] | None) -> bool:
    if not expecting:
        return False
    dotted = ".".join(path)
    return any(dotted == e or dotted.startswith(e + ".") for e in expecting)
