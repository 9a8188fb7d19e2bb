"""Control API for what tests assert on and wait for: the journal's filters and count, the
webhook outbox's idle wait, and a per-key default webhook URL.

``GET /_emulator/journal`` (served by ``state_control.journal``) and ``POST /_emulator/journal/count``
share one matcher (:class:`JournalFilter` → :class:`~emulator.core.journal.JournalMatch`), so what
a test lists is what it counts — WireMock's ``requests/count`` idea.

``POST /_emulator/webhooks/wait`` answers once no delivery of the key (or of anyone) is pending —
every attempt, retry and failover finished — so a test asserts on deliveries without polling.

``PUT /_emulator/webhooks/default-url/{api_key}`` names where that key's events go when neither
the request nor its connection names a URL (beats ``--webhook-url``; the pytest plugin's
``webhooks`` fixture registers its receiver here, one key per test).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, body_error, confine, emulator_of, own_key, parse, reply, scope_key
from emulator.core.errors import ErrorItem, NotFound, RequestTimeout, ValidationFailed
from emulator.core.journal import JournalMatch
from emulator.runtime.family import ControlRoute

WAIT_LIMIT = 60.0
"""Longest ``timeout`` a wait may ask for: a control request must not hold a connection forever."""


def _instant(value: float | str | None, name: str) -> float | None:
    """Unix seconds from a number or an ISO 8601 string with a zone (the emulator clock's time)."""
    if value is None or isinstance(value, float | int):
        return None if value is None else float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(items=[ErrorItem(f"{name}: not an ISO 8601 timestamp or Unix seconds: {value!r}", pointer=f"/{name}")]) from None
    if parsed.tzinfo is None:
        raise ValidationFailed(items=[ErrorItem(f"{name}: the timestamp needs a time zone (e.g. a trailing Z)", pointer=f"/{name}")])
    return parsed.timestamp()


class _Filter(BaseModel):
    """The fields of a journal matcher (see ``core/journal.py``: ``JournalMatch``)."""

    method: str | None = None
    path: str | None = Field(default=None, description="substring of the request path, or a glob with * (/v2/calls/*/actions/hangup)")
    operation_id: str | None = None
    api_key: str | None = None
    status: str | None = Field(default=None, pattern=r"^([1-5]\d\d|[1-5]xx|none)$", description="422, 4xx, or none (connection dropped)")
    fault_rule: str | None = None
    request_id: str | None = None
    since: float | str | None = Field(default=None, description="emulator-clock time, ISO 8601 or Unix seconds (inclusive)")
    until: float | str | None = None
    after: int | None = Field(default=None, ge=0, description="only entries with a greater seq (recorded later)")
    body_contains: str | None = Field(default=None, description="substring of the raw request body")

    def to_match(self, body: dict[str, Any] | None = None) -> JournalMatch:
        return JournalMatch(
            method=self.method, path=self.path, operation_id=self.operation_id, api_key=self.api_key, status=self.status,
            fault_rule=self.fault_rule, request_id=self.request_id, since=_instant(self.since, "since"), until=_instant(self.until, "until"),
            after=self.after, body=body, body_contains=self.body_contains,
        )


class JournalQuery(_Filter):
    """``GET /_emulator/journal``'s query: the matcher plus paging (query values are strings)."""

    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(default=None, ge=0)
    bodies: bool = Field(default=True, description="false leaves out request/response headers and bodies")


class JournalFilter(_Filter):
    """``POST /_emulator/journal/count``'s body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    status: str | None = Field(default=None, pattern=r"^([1-5]\d\d|[1-5]xx|none)$", description="422, 4xx, or none (connection dropped)")
    body: dict[str, Any] | None = Field(default=None, description="JSON pointer of the request body -> expected value, e.g. {\"/to\": \"+13125550100\"}")

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("body")
    @classmethod
    def _pointers(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        for pointer in v or {}:
            if not pointer.startswith("/"):
                raise ValueError(f"body keys are JSON pointers starting with '/': {pointer!r}")
        return v


def journal_query(request: Request) -> JournalQuery:
    """The GET filters, validated: an unknown (misspelt) parameter is a 422 naming it, not a
    filter silently ignored that makes every entry match."""
    try:
        return JournalQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        err = body_error(exc, JournalQuery)
        items = [ErrorItem(i.detail, parameter=(i.pointer or "/").strip("/") or None, location="query", kind=i.kind) for i in err.items]
        raise ValidationFailed(items=items) from exc


class Exchange(Reply):
    """One side of a journalled request: headers (secrets redacted) and the body as kept."""

    headers: dict[str, str]
    size: int = Field(description="the whole body's length in bytes")
    truncated: bool = Field(description="true when the body was longer than the journal keeps (16 KiB)")
    body: str = Field(description="UTF-8 text, or base64 when body_encoding says so")
    body_encoding: Literal["base64"] | None = None


class JournalEntryView(Reply):
    seq: int
    at: str
    method: str
    path: str
    query: str
    api_key: str | None
    status: int | None = Field(description="null when a transport fault dropped the connection")
    latency_ms: float
    operation_id: str | None
    fault_rule: str | None
    transport_fault: str | None
    request_id: str | None
    implicit: str | None
    warnings: str | None
    request: Exchange | None = Field(default=None, description="left out with bodies=false")
    response: Exchange | None = None


class JournalMeta(Reply):
    returned: int
    stored: int
    last_seq: int


class JournalPage(Reply):
    data: list[JournalEntryView]
    meta: JournalMeta


class JournalCleared(Reply):
    deleted: int


class Count(Reply):
    count: int
    stored: int = Field(description="entries the journal holds (it keeps the last journal_size)")
    last_seq: int = Field(description="the newest entry's seq: pass it as after to count only what comes next")


async def count_journal(request: Request) -> Response:
    matcher = await parse(request, JournalFilter)
    matcher = matcher.model_copy(update={"api_key": scope_key(request, matcher)})  # a tenant counts its own requests
    journal = emulator_of(request).services.journal
    stored = len(journal) if own_key(request) is None else journal.count(JournalMatch(api_key=matcher.api_key))
    return reply(Count(count=journal.count(matcher.to_match(matcher.body)), stored=stored, last_seq=journal.last_seq))


# -- the outbox --------------------------------------------------------------------------------


class WaitBody(Body):
    api_key: str | None = Field(default=None, description="only this key's deliveries (default: everyone's; a Bearer API key caller: its own)")
    call: str | None = Field(default=None, description="only events of this call (control, leg or session id)")
    timeout: float = Field(default=5.0, gt=0, le=WAIT_LIMIT, description="seconds; a 408 when deliveries are still pending then")
    limit: int = Field(default=100, ge=0, le=10_000, description="at most this many events in data (the newest)")


class Idle(Reply):
    idle: Literal[True]
    pending: int
    data: list[dict[str, Any]] = Field(description="the matching events (as in GET /_emulator/webhooks/deliveries), oldest first")


async def wait_webhooks(request: Request) -> Response:
    body = await parse(request, WaitBody)
    body = body.model_copy(update={"api_key": scope_key(request, body)})  # a tenant waits on its own deliveries
    dispatcher = emulator_of(request).services.webhooks
    loop = asyncio.get_running_loop()
    deadline = loop.time() + body.timeout

    def pending() -> int:
        mine = len(dispatcher.log.select(tenant=body.api_key, call=body.call, status="pending"))
        return mine if body.api_key or body.call else max(mine, dispatcher.pending())

    left = pending()
    while left:
        if loop.time() >= deadline:
            raise RequestTimeout(f"{left} webhook deliver{'y' if left == 1 else 'ies'} still pending after {body.timeout:g} s (see GET /_emulator/webhooks/deliveries?status=pending).")
        await asyncio.sleep(0.005)
        left = pending()
    events = dispatcher.log.select(tenant=body.api_key, call=body.call)
    kept = events[len(events) - body.limit:] if body.limit else []
    return reply(Idle(idle=True, pending=0, data=[ev.summary() for ev in kept]))


class DefaultUrlBody(Body):
    url: str = Field(pattern=r"^https?://", description="an http:// or https:// URL (still subject to --webhook-allow)")


class DefaultUrl(Reply):
    api_key: str
    url: str


class DefaultUrls(Reply):
    default: str | None = Field(description="--webhook-url, for keys without their own")
    keys: dict[str, str]


async def set_default_url(request: Request) -> Response:
    body = await parse(request, DefaultUrlBody)
    api_key = confine(request, request.path_params["api_key"])
    emulator_of(request).services.webhooks.default_urls[api_key] = body.url
    return reply(DefaultUrl(api_key=api_key, url=body.url))


async def clear_default_url(request: Request) -> Response:
    api_key = confine(request, request.path_params["api_key"])
    if emulator_of(request).services.webhooks.default_urls.pop(api_key, None) is None:
        raise NotFound(f"API key {api_key!r} has no default webhook URL of its own.")
    return Response(status_code=204)


async def list_default_urls(request: Request) -> Response:
    dispatcher = emulator_of(request).services.webhooks
    mine = own_key(request)
    keys = {k: url for k, url in sorted(dispatcher.default_urls.items()) if mine is None or k == mine}
    return reply(DefaultUrls(default=dispatcher.settings.webhook_url, keys=keys))


_KEY: dict[str, Any] = {"name": "api_key", "in": "path", "required": True, "schema": {"type": "string"}}

CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/journal/count", count_journal, "countJournal",
        "How many journalled API requests match (the GET /_emulator/journal filters, plus body pointers)",
        {"responses": {"200": {"description": "count"}, "422": {"description": "unknown or invalid matcher field"}}},
        body=JournalFilter, response=Count,
        access="tenant",  # a tenant counts its own requests
    ),
    ControlRoute(
        "POST", "/_emulator/webhooks/wait", wait_webhooks, "waitWebhooks",
        "Wait until no webhook delivery (of a key, a call, or anyone) is pending; answers the events",
        {"responses": {"200": {"description": "idle"}, "408": {"description": "still pending at the timeout"}}},
        body=WaitBody, response=Idle,
        access="tenant",  # a tenant waits on its own deliveries
    ),
    ControlRoute(
        "GET", "/_emulator/webhooks/default-url", list_default_urls, "listDefaultWebhookUrls",
        "The global default webhook URL and each API key's own",
        {"responses": {"200": {"description": "default URLs"}}},
        response=DefaultUrls,
        access="tenant",  # a tenant sees its own URL (and the default its events fall back to)
    ),
    ControlRoute(
        "PUT", "/_emulator/webhooks/default-url/{api_key}", set_default_url, "setDefaultWebhookUrl",
        "Send this key's events without a call/connection URL here (beats --webhook-url)",
        {"parameters": [_KEY], "responses": {"200": {"description": "set"}, "422": {"description": "not an http(s) URL"}}},
        body=DefaultUrlBody, response=DefaultUrl,
        access="tenant",  # its own key only
    ),
    ControlRoute(
        "DELETE", "/_emulator/webhooks/default-url/{api_key}", clear_default_url, "clearDefaultWebhookUrl",
        "Drop one key's default webhook URL (back to --webhook-url)",
        {"parameters": [_KEY], "responses": {"204": {"description": "dropped"}, "404": {"description": "none set"}}},
        access="tenant",  # its own key only
    ),
)
