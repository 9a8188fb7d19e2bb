"""Fault rules: make the emulator fail exactly the way Telnyx fails, on demand, then put it back.

A rule has a *match* (operationId, method + path glob/regex, API key, call id, body fields) and an
*outcome*: an HTTP error in the Telnyx envelope (rendered by the one ``ApiError`` machinery, in
the operation family's style), a delay, and/or a transport fault (connection reset, empty reply,
truncated body, stream cut mid-way). ``times`` bounds how often it fires (None = forever) and
``probability`` + ``seed`` make flaky behaviour repeatable.

Rules are validated with pydantic (``extra="forbid"``, so a typo names its field) and checked
against the loaded document (unknown operationIds are refused) before they are stored; a rule
that cannot be evaluated is refused up front rather than failing requests later.
"""

from __future__ import annotations

import fnmatch
import http
import math
import random
import re
from collections.abc import Mapping
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emulator.core.errors import CODES, ApiError, ErrorItem, ValidationFailed
from emulator.faults.latency import DelaySpec
from emulator.openapi.index import OperationIndex

Transport = Literal["reset", "empty", "truncate", "stream_cut"]

# Default (code, title) of a forced error per HTTP status. Codes come from ``emulator.core.errors.CODES``
# (the document's codes where it has them).
DEFAULT_ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("10015", "Bad Request"),
    401: ("10009", "Authentication failed"),
    403: ("10010", "Authorization Failed"),
    404: ("10005", "Resource not found"),
    409: ("40901", "Conflict"),
    422: ("10422", "Invalid parameter"),
    429: ("10011", "Too many requests"),
    500: ("10007", "Unexpected error"),
    502: ("10502", "Bad Gateway"),
    503: ("10016", "Service Unavailable"),
}


def default_error(status: int) -> tuple[str, str]:
    """(code, title) for a forced error of ``status`` when the rule names no code."""
    if status in DEFAULT_ERRORS:
        return DEFAULT_ERRORS[status]
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error"
    return ("10015" if status < 500 else "10007"), phrase


class ForcedError(ApiError):
    """An error a fault rule (or a ``Prefer`` header) asked for."""


class TransportAbort(ApiError):
    """Raised to skip the handler when the connection is to be dropped before any response.

    Dispatch renders it like any error; the scenario middleware discards that response and
    drops the connection instead.
    """

    status, code, title = 503, "10016", "Service Unavailable"


class FaultMatch(BaseModel):
    """What a request must look like for the rule to fire (all given fields must match)."""

    model_config = ConfigDict(extra="forbid")

    operation_id: str | None = None
    method: str | None = None
    path: str | None = Field(default=None, description="glob, e.g. /calls/*/actions/speak")
    path_regex: str | None = None
    api_key: str | None = None
    call_id: str | None = Field(default=None, description="path parameter call_control_id")
    body: dict[str, Any] | None = Field(default=None, description="JSON pointer -> expected value")

    @field_validator("method")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v

    @field_validator("path_regex")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return v

    @field_validator("body")
    @classmethod
    def _pointers(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        for pointer in v or {}:
            if not pointer.startswith("/"):
                raise ValueError(f"body keys are JSON pointers starting with '/': {pointer!r}")
        return v


class FaultRule(BaseModel):
    """A rule as posted to ``POST /_emulator/faults`` (the outcome fields sit at top level)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    match: FaultMatch = Field(default_factory=FaultMatch)
    status: int | None = Field(default=None, ge=400, le=599)
    code: str | None = Field(default=None, pattern=r"^\d{4,6}$")
    title: str | None = None
    detail: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    retry_after: float | None = Field(default=None, ge=0, description="seconds, for 429/503")
    delay: DelaySpec | float | None = Field(default=None, description="ms, or a distribution")
    transport: Transport | None = None
    cut_after_bytes: int | None = Field(default=None, ge=0)
    cut_after_chunks: int = Field(default=1, ge=0)
    times: int | None = Field(default=1, ge=1, description="how often it fires; null = forever")
    probability: float = Field(default=1.0, ge=0, le=1)
    seed: int | None = None

    @model_validator(mode="after")
    def _has_outcome(self) -> FaultRule:
        if self.status is None and self.delay is None and self.transport is None:
            raise ValueError("a rule needs an outcome: status, delay and/or transport")
        if self.status is not None and self.transport is not None:
            raise ValueError("status and transport are exclusive: a dropped connection has no status")
        return self

    def delay_spec(self) -> DelaySpec | None:
        if self.delay is None or isinstance(self.delay, DelaySpec):
            return self.delay
        return DelaySpec(ms=float(self.delay))


def pydantic_items(exc: ValidationError, prefix: str = "") -> list[ErrorItem]:
    """One ErrorItem per pydantic error, each pointing at its field."""
    items = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"] if not str(p).startswith(("function-after", "DelaySpec", "float"))]
        pointer = prefix + "/" + "/".join(loc) if loc else prefix or "/"
        items.append(ErrorItem(f"{'.'.join(loc) or 'rule'}: {e['msg']}", pointer=pointer))
    return items


def _resolve(doc: Any, pointer: str) -> tuple[bool, Any]:
    node = doc
    for raw in pointer.strip("/").split("/") if pointer != "/" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


class ActiveRule:
    """A stored rule with its counters and its own seeded random stream."""

    def __init__(self, rule: FaultRule, rule_id: str, default_seed: int) -> None:
        self.rule = rule.model_copy(update={"id": rule_id})
        self.id = rule_id
        self.fired = 0
        self.seen = 0
        self.random = random.Random(rule.seed if rule.seed is not None else f"{default_seed}:{rule_id}")

    @property
    def exhausted(self) -> bool:
        return self.rule.times is not None and self.fired >= self.rule.times

    def matches(self, request: RequestFacts) -> bool:
        m = self.rule.match
        if m.operation_id and m.operation_id != request.operation_id:
            return False
        if m.method and m.method != request.method:
            return False
        if m.path and not any(fnmatch.fnmatchcase(p, m.path) for p in request.paths):
            return False
        if m.path_regex and not any(re.search(m.path_regex, p) for p in request.paths):
            return False
        if m.api_key and m.api_key != request.api_key:
            return False
        if m.call_id and m.call_id != request.path_params.get("call_control_id"):
            return False
        if m.body:
            body = request.json_body()
            for pointer, expected in m.body.items():
                found, value = _resolve(body, pointer)
                if not found or value != expected:
                    return False
        return True

    def view(self) -> dict[str, Any]:
        out = self.rule.model_dump(mode="json", exclude_none=True)
        out["fired"] = self.fired
        out["remaining"] = None if self.rule.times is None else max(0, self.rule.times - self.fired)
        out["active"] = not self.exhausted
        return out


class RequestFacts:
    """What fault rules can look at, gathered once per request (body parsed lazily)."""

    def __init__(self, *, method: str, path: str, operation_id: str, api_key: str, path_params: Mapping[str, str], raw_body: bytes) -> None:
        self.method = method.upper()
        self.paths = [path, path[3:]] if path.startswith("/v2/") else [path]
        self.operation_id = operation_id
        self.api_key = api_key
        self.path_params = path_params
        self.raw_body = raw_body
        self._json: Any = ...

    def json_body(self) -> Any:
        if self._json is ...:
            try:
                self._json = orjson.loads(self.raw_body) if self.raw_body else None
            except orjson.JSONDecodeError:
                self._json = None
        return self._json


class FaultRules:
    """The rule list of one emulator (part of ``emulator.services.faults``)."""

    def __init__(self, index: OperationIndex, seed: int) -> None:
        self.index = index
        self.seed = seed
        self._rules: list[ActiveRule] = []
        self._counter = 0

    def add(self, data: Any) -> ActiveRule:
        """Validate and store a rule; raises ValidationFailed naming the offending field."""
        try:
            rule = FaultRule.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("The fault rule is invalid.", items=pydantic_items(exc)) from exc
        op_id = rule.match.operation_id
        if op_id is not None and op_id not in self.index.by_id:
            raise ValidationFailed(
                items=[ErrorItem(f"match.operation_id: unknown operationId {op_id!r} (see GET /_emulator/operations)", pointer="/match/operation_id")]
            )
        if rule.id is not None and any(r.id == rule.id for r in self._rules):
            raise ValidationFailed(items=[ErrorItem(f"id: a rule with id {rule.id!r} already exists", pointer="/id")])
        self._counter += 1
        active = ActiveRule(rule, rule.id or f"fault_{self._counter}", self.seed)
        self._rules.append(active)
        return active

    def __len__(self) -> int:
        return len(self._rules)

    def list(self) -> list[ActiveRule]:
        return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> int:
        n = len(self._rules)
        self._rules.clear()
        return n

    def select(self, request: RequestFacts) -> ActiveRule | None:
        """The first live rule matching ``request`` that fires this time (counters updated)."""
        for active in self._rules:
            if active.exhausted or not active.matches(request):
                continue
            active.seen += 1
            if active.rule.probability < 1.0 and active.random.random() >= active.rule.probability:
                continue
            active.fired += 1
            return active
        return None


def error_for(rule: FaultRule) -> ForcedError:
    """The ApiError a rule's ``status`` outcome raises (headers included, e.g. for 429)."""
    assert rule.status is not None
    default_code, default_title = default_error(rule.status)
    code = rule.code or default_code
    title = rule.title or (CODES[code].title if code in CODES else default_title)
    headers = dict(rule.headers)
    if rule.status in (429, 503) or rule.retry_after is not None:
        retry_after = rule.retry_after if rule.retry_after is not None else 1.0
        shown = f"{retry_after:g}"
        headers.setdefault("retry-after", shown)
        if rule.status == 429:
            headers.setdefault("x-ratelimit-limit", "1")
            headers.setdefault("x-ratelimit-remaining", "0")
            headers.setdefault("x-ratelimit-reset", str(math.ceil(retry_after)))
    detail = rule.detail or f"{title} (forced by the emulator's fault rule {rule.id})."
    return ForcedError(detail, status=rule.status, code=code, title=title, headers=headers)


def parse_prefer(value: str) -> dict[str, Any] | None:
    """Turn ``Prefer: code=429, delay=200`` into rule data, or None when it asks for nothing.

    Recognised keys: ``code`` (HTTP status), ``error_code`` (Telnyx code), ``delay`` (ms),
    ``transport`` (reset/empty/truncate/stream_cut), ``retry_after`` (seconds). Other Prefer
    tokens (e.g. ``return=minimal``) are ignored, as HTTP says unknown preferences must be.
    """
    data: dict[str, Any] = {}
    for token in re.split(r"[,;]", value):
        key, sep, val = token.strip().partition("=")
        if not sep:
            continue
        key, val = key.strip().lower(), val.strip().strip('"')
        if key == "code":
            data["status"] = val
        elif key == "error_code":
            data["code"] = val
        elif key in ("delay", "transport", "retry_after"):
            data[key] = val
    if not data:
        return None
    data["id"] = "prefer-header"
    return data
