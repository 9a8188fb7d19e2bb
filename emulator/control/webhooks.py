"""Control API for the webhook outbox: list, inspect, replay and clear deliveries; send a test event.

Everything reads the dispatcher's delivery log (``emulator.services.webhooks``), so what tests
see here is exactly what was sent: per attempt, the bytes (as text), headers, status or error and
latency.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core.errors import BadRequest, NotFound, ValidationFailed
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute
from emulator.webhooks.envelope import EVENT_STATUSES

if TYPE_CHECKING:
    from emulator.webhooks.dispatcher import WebhookDispatcher

TEST_TENANT = "_emulator"
"""Tenant recorded on events sent by ``POST /_emulator/webhooks/test`` without an api_key."""


def _dispatcher(request: Request) -> WebhookDispatcher:
    return emulator_of(request).services.webhooks


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValidationFailed(f"{name} must be an http:// or https:// URL.")
    return value


async def list_deliveries(request: Request) -> Response:
    """Logged events, oldest first, optionally filtered."""
    dispatcher = _dispatcher(request)
    q = request.query_params
    status = q.get("status")
    if status is not None and status not in EVENT_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(EVENT_STATUSES)}.")
    events = dispatcher.log.select(
        tenant=q.get("api_key"),
        ordering_key=q.get("ordering_key"),
        event_type=q.get("event_type"),
        status=status,
        call=q.get("call"),
    )
    return JSONResponse({"data": [ev.summary() for ev in events], "meta": {"total": len(events), "pending": dispatcher.pending()}})


async def get_delivery(request: Request) -> Response:
    event = _dispatcher(request).log.get(request.path_params["event_id"])
    if event is None:
        raise NotFound(f"No webhook event with id {request.path_params['event_id']!r} in the delivery log.")
    return JSONResponse({"data": event.detail()})


async def replay_delivery(request: Request) -> Response:
    """Send a logged event again (same id and data); ``{"url": ...}`` redirects this round."""
    dispatcher = _dispatcher(request)
    body = await json_body(request, keys=("url",))
    url = _url(body["url"], "url") if body.get("url") is not None else None
    event_id = request.path_params["event_id"]
    try:
        event = dispatcher.replay(event_id, url=url)
    except LookupError:
        raise NotFound(f"No webhook event with id {event_id!r} in the delivery log.") from None
    except ValueError as exc:
        raise ValidationFailed(f"Cannot replay: {exc}; pass {{\"url\": ...}}.") from None
    return JSONResponse({"data": event.summary()}, status_code=202)


async def clear_deliveries(request: Request) -> Response:
    dispatcher = _dispatcher(request)
    cleared = dispatcher.log.clear(request.query_params.get("api_key"))
    return JSONResponse({"cleared": cleared})


async def send_test(request: Request) -> Response:
    """Emit a signed test event to ``url``; by default wait for its delivery and return it."""
    dispatcher = _dispatcher(request)
    body = await json_body(request, keys=("url", "event_type", "payload", "api_key", "wait", "failover_url"))
    url = _url(body.get("url"), "url")
    event_type = body.get("event_type", "webhook.test")
    payload = body.get("payload", {"message": "telnyx-emulator test webhook"})
    api_key = body.get("api_key", TEST_TENANT)
    wait = body.get("wait", True)
    if not isinstance(event_type, str) or not event_type:
        raise ValidationFailed("event_type must be a non-empty string.")
    if not isinstance(payload, dict):
        raise ValidationFailed("payload must be a JSON object.")
    if not isinstance(api_key, str) or not isinstance(wait, bool):
        raise ValidationFailed("api_key must be a string and wait a boolean.")
    failover = _url(body["failover_url"], "failover_url") if body.get("failover_url") is not None else None
    event = dispatcher.emit(tenant=api_key, event_type=event_type, payload=payload, urls=[url], failover_url=failover)
    if wait:
        s = dispatcher.settings
        budget = max(1, s.webhook_attempts) * (s.webhook_timeout + s.webhook_backoff * 2 ** s.webhook_attempts) * 2 + 1
        deadline = asyncio.get_running_loop().time() + budget
        while event.status == "pending" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
    return JSONResponse({"data": event.detail()}, status_code=200 if event.status != "pending" else 202)


_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/webhooks/deliveries", list_deliveries, "listWebhookDeliveries",
        "Webhook events and their delivery status, oldest first",
        {
            "parameters": [
                {"name": "call", "in": "query", "schema": {"type": "string"}},
                {"name": "ordering_key", "in": "query", "schema": {"type": "string"}},
                {"name": "event_type", "in": "query", "schema": {"type": "string"}},
                {"name": "api_key", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["pending", "delivered", "failed", "no_url"]},
                },
            ],
            "responses": {"200": {"description": "events"}},
        },
    ),
    ControlRoute(
        "DELETE", "/_emulator/webhooks/deliveries", clear_deliveries, "clearWebhookDeliveries",
        "Clear the delivery log (or one API key's part of it)",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "cleared"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/webhooks/deliveries/{event_id}", get_delivery, "getWebhookDelivery",
        "One event with every attempt: exact body, headers, status or error, latency",
        {"parameters": [_ID], "responses": {"200": {"description": "event"}, "404": {"description": "unknown id"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/webhooks/deliveries/{event_id}/replay", replay_delivery, "replayWebhookDelivery",
        "Deliver a logged event again, optionally to another URL",
        {
            "parameters": [_ID],
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"type": "object", "properties": {"url": {"type": "string"}}}},
                },
            },
            "responses": {
                "202": {"description": "queued"},
                "404": {"description": "unknown id"},
                "422": {"description": "no URL"},
            },
        },
    ),
    ControlRoute(
        "POST", "/_emulator/webhooks/test", send_test, "sendTestWebhook",
        "Send a signed test event to a URL",
        {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["url"],
                            "properties": {
                                "url": {"type": "string"},
                                "failover_url": {"type": "string"},
                                "event_type": {"type": "string"},
                                "payload": {"type": "object"},
                                "api_key": {"type": "string"},
                                "wait": {"type": "boolean", "default": True},
                            },
                        },
                    },
                },
            },
            "responses": {"200": {"description": "delivered or failed"}, "202": {"description": "still pending"}},
        },
    ),
)
