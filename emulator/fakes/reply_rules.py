"""Scripted replies: rules that make the fake model answer exactly what a test wants.

A rule matches on the last user message (``contains`` substring, case-insensitive, and/or
``regex``), the requested ``model``, and/or the ``turn`` (``user`` when the conversation ends with
a user message, ``tool`` when it ends with tool results — so a tool loop can be scripted as
"call the tool" then "answer the result"), and replies with text, tool calls, or an error.
Rules are tried in the order they were added; the first live match wins and is consumed
(``times``, default 1) unless ``repeat`` is set. Consumed rules stay listed (``remaining: 0``,
``hits``) so tests can assert they fired.

Scope: a rule is *global* (every API key) unless it names an ``api_key``, in which case only
that tenant's requests see it. A tenant reset drops that tenant's rules; a full reset drops all
posted rules and reloads the fixture rules (``fixtures/rules/*.json|yaml`` in the shipped and
the user's ``--fixtures`` folder).
"""

from __future__ import annotations

import builtins
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from emulator.core.errors import BadRequest, ErrorItem, ValidationFailed


@dataclass
class ScriptedToolCall:
    name: str
    arguments: dict[str, Any] | str


@dataclass
class ScriptedError:
    status: int
    code: str | None
    detail: str


@dataclass
class Rule:
    id: str
    contains: str | None = None
    regex: str | None = None
    model: str | None = None
    turn: str | None = None  # "user" | "tool" | None (either)
    api_key: str | None = None
    content: str | None = None
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    error: ScriptedError | None = None
    times: int = 1
    repeat: bool = False
    hits: int = 0
    source: str = "api"  # "api" or the fixture file it came from
    _pattern: re.Pattern[str] | None = None

    @property
    def remaining(self) -> int | None:
        return None if self.repeat else max(self.times - self.hits, 0)

    def live(self) -> bool:
        return self.repeat or self.hits < self.times

    def matches(self, last_user: str, model: str, api_key: str, turn: str = "user") -> bool:
        if self.api_key is not None and self.api_key != api_key:
            return False
        if self.turn is not None and self.turn != turn:
            return False
        if self.model is not None and self.model != model:
            return False
        if self.contains is not None and self.contains.lower() not in last_user.lower():
            return False
        return not (self._pattern is not None and not self._pattern.search(last_user))

    def to_json(self) -> dict[str, Any]:
        reply: dict[str, Any] = {}
        if self.content is not None:
            reply["content"] = self.content
        if self.tool_calls:
            reply["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in self.tool_calls]
        if self.error is not None:
            reply["error"] = {"status": self.error.status, "code": self.error.code, "detail": self.error.detail}
        return {
            "id": self.id,
            "match": {k: v for k, v in (("contains", self.contains), ("regex", self.regex), ("model", self.model), ("turn", self.turn)) if v is not None},
            "reply": reply,
            "api_key": self.api_key,
            "times": None if self.repeat else self.times,
            "repeat": self.repeat,
            "hits": self.hits,
            "remaining": self.remaining,
            "source": self.source,
        }


def _bad(detail: str, pointer: str) -> ValidationFailed:
    return ValidationFailed(items=[ErrorItem(detail, pointer=pointer)])


def parse_rule(body: Any, rule_id: str, source: str = "api") -> Rule:
    """Build a rule from its JSON form; every problem is a 422 naming the field."""
    if not isinstance(body, dict):
        raise BadRequest("A rule must be a JSON object.")
    match = body.get("match", {})
    reply = body.get("reply")
    if not isinstance(match, dict):
        raise _bad("match must be an object.", "/match")
    if not isinstance(reply, dict) or not ({"content", "tool_calls", "error"} & set(reply)):
        raise _bad("reply must be an object with content, tool_calls or error.", "/reply")
    for key in ("contains", "regex", "model"):
        if match.get(key) is not None and not isinstance(match[key], str):
            raise _bad(f"match.{key} must be a string.", f"/match/{key}")
    if match.get("turn") not in (None, "user", "tool"):
        raise _bad("match.turn must be user or tool.", "/match/turn")
    pattern = None
    if match.get("regex") is not None:
        try:
            pattern = re.compile(match["regex"], re.IGNORECASE)
        except re.error as exc:
            raise _bad(f"match.regex is not a valid regular expression: {exc}", "/match/regex") from exc
    content = reply.get("content")
    if content is not None and not isinstance(content, str):
        raise _bad("reply.content must be a string.", "/reply/content")
    calls: list[ScriptedToolCall] = []
    raw_calls = reply.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise _bad("reply.tool_calls must be an array.", "/reply/tool_calls")
    for i, call in enumerate(raw_calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise _bad("each tool call needs a string name.", f"/reply/tool_calls/{i}/name")
        args = call.get("arguments", {})
        if isinstance(args, str):
            try:
                orjson.loads(args)
            except orjson.JSONDecodeError as exc:
                raise _bad("arguments must be an object or a JSON string.", f"/reply/tool_calls/{i}/arguments") from exc
        elif not isinstance(args, dict):
            raise _bad("arguments must be an object or a JSON string.", f"/reply/tool_calls/{i}/arguments")
        calls.append(ScriptedToolCall(call["name"], args))
    error = None
    if reply.get("error") is not None:
        raw = reply["error"]
        status = raw.get("status", 500) if isinstance(raw, dict) else None
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise _bad("reply.error.status must be an HTTP error status (400-599).", "/reply/error/status")
        error = ScriptedError(status, raw.get("code"), str(raw.get("detail") or raw.get("message") or "Scripted error"))
    times = body.get("times", 1)
    repeat = bool(body.get("repeat", False)) or times is None
    if not repeat and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise _bad("times must be a positive integer (or use repeat: true).", "/times")
    api_key = body.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        raise _bad("api_key must be a string.", "/api_key")
    return Rule(
        id=rule_id, contains=match.get("contains"), regex=match.get("regex"), model=match.get("model"), turn=match.get("turn"),
        api_key=api_key, content=content, tool_calls=calls, error=error,
        times=times if isinstance(times, int) else 1, repeat=repeat, source=source, _pattern=pattern,
    )


class RuleBook:
    """The ordered scripted rules of one emulator (see the module docstring for scoping)."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._ids = itertools.count(1)

    def add(self, body: Any, source: str = "api") -> Rule:
        rule = parse_rule(body, f"rule_{next(self._ids)}", source)
        self._rules.append(rule)
        return rule

    def list(self, api_key: str | None = None) -> builtins.list[Rule]:
        return [r for r in self._rules if api_key is None or r.api_key in (None, api_key)]

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self, api_key: str | None = None) -> None:
        """Drop every rule, or only the rules scoped to ``api_key``."""
        if api_key is None:
            self._rules.clear()
        else:
            self._rules = [r for r in self._rules if r.api_key != api_key]

    def find(self, last_user: str, model: str, api_key: str, turn: str = "user") -> Rule | None:
        """The first live matching rule (not consumed: call :meth:`consume` once it is used,
        so a request that fails afterwards does not eat a scripted reply)."""
        for rule in self._rules:
            if rule.live() and rule.matches(last_user, model, api_key, turn):
                return rule
        return None

    @staticmethod
    def consume(rule: Rule) -> None:
        rule.hits += 1

    def dump(self) -> builtins.list[dict[str, Any]]:
        return [r.to_json() for r in self._rules]

    def restore(self, data: Any) -> None:
        """Replace the rules with a :meth:`dump` (all parsed first: bad data changes nothing)."""
        if not isinstance(data, list):
            raise ValueError("rules snapshot must be a list")
        rules = []
        for item in data:
            try:
                rule = parse_rule(item, str(item["id"]), str(item.get("source", "api")))
            except (ValidationFailed, BadRequest) as exc:
                raise ValueError(f"bad rule in snapshot: {exc}") from exc
            rule.hits = int(item.get("hits", 0))
            rules.append(rule)
        self._rules = rules
        numbers = [int(r.id.split("_")[-1]) for r in rules if r.id.split("_")[-1].isdigit()]
        self._ids = itertools.count(max(numbers, default=0) + 1)

    def names_model(self, model: str) -> bool:
        """Whether a live rule targets ``model`` (so scripted custom model ids are accepted)."""
        return any(r.model == model and r.live() for r in self._rules)

    def load_dir(self, folder: Path) -> int:
        """Add the rules of every ``*.json`` / ``*.yaml`` file in ``folder``; returns how many."""
        if not folder.is_dir():
            return 0
        added = 0
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".json", ".yaml", ".yml"):
                continue
            if path.suffix == ".json":
                data = orjson.loads(path.read_bytes())
            else:
                import yaml  # noqa: PLC0415 - only needed for YAML fixtures

                data = yaml.safe_load(path.read_text())
            items = data.get("rules", []) if isinstance(data, dict) else data
            for item in items or []:
                self.add(item, source=path.name)
                added += 1
        return added
