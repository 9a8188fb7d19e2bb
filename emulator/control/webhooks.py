"""Control API for the webhook outbox: list, inspect, replay and clear deliveries; send a test event.

Everything reads the dispatcher's delivery log (``emulator.services.webhooks``), so what tests
see here is exactly what was sent: per attempt, the bytes (as text), headers, status or error and
latency. A tenant caller (``Bearer <API key>``) sees, replays and clears its own events only.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, confine, emulator_of, own_key, owned, parse, reply, scope_key
from emulator.core.errors import BadRequest, NotFound, ValidationFailed
from emulator.runtime.family import ControlRoute
from emulator.webhooks.envelope import EVENT_STATUSES

if TYPE_CHECKING:
    from emulator.webhooks.dispatcher import WebhookDispatcher

TEST_TENANT = "_emulator"
"""Tenant recorded on events sent by ``POST /_emulator/webhooks/test`` without an api_key."""


class ReplayRequest(Body):
    url: str | None = Field(default=None, description="deliver to this URL this round (else the event's own)")


class TestWebhookRequest(Body):
    url: str | None = Field(default=None, description="required: where to send the event (http:// or https://)")
    failover_url: str | None = None
    event_type: str = "webhook.test"
    payload: dict[str, Any] = Field(default_factory=lambda: {"message": "telnyx-emulator test webhook"})
    api_key: str = Field(default=TEST_TENANT, description="the tenant the event is logged under (a Bearer API key caller: its own)")
    wait: bool = Field(default=True, description="wait for the delivery to finish before answering")


class DeliveryCounts(Reply):
    total: int
    pending: int


class Deliveries(Reply):
    data: list[dict[str, Any]] = Field(description="event summaries, oldest first")
    meta: DeliveryCounts


class Delivery(Reply):
    data: dict[str, Any] = Field(description="the event with every attempt (body, headers, status or error, latency)")


class DeliverySummary(Reply):
    data: dict[str, Any]


class Cleared(Reply):
    cleared: int


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
    tenant = scope_key(request)
    events = dispatcher.log.select(
        tenant=tenant,
        ordering_key=q.get("ordering_key"),
        event_type=q.get("event_type"),
        status=status,
        call=q.get("call"),
    )
    pending = dispatcher.pending() if own_key(request) is None else len(dispatcher.log.select(tenant=tenant, status="pending"))
    return reply(Deliveries(data=[ev.summary() for ev in events], meta=DeliveryCounts(total=len(events), pending=pending)))


async def get_delivery(request: Request) -> Response:
    event = _dispatcher(request).log.get(request.path_params["event_id"])
    missing = NotFound(f"No webhook event with id {request.path_params['event_id']!r} in the delivery log.")
    if event is None:
        raise missing
    owned(request, event.tenant, missing)
    return reply(Delivery(data=event.detail()))


async def replay_delivery(request: Request) -> Response:
    """Send a logged event again (same id and data); ``{"url": ...}`` redirects this round."""
    dispatcher = _dispatcher(request)
    body = await parse(request, ReplayRequest)
    url = _url(body.url, "url") if body.url is not None else None
    event_id = request.path_params["event_id"]
    logged = dispatcher.log.get(event_id)
    owned(request, logged.tenant if logged is not None else None, NotFound(f"No webhook event with id {event_id!r} in the delivery log."))
    try:
        event = dispatcher.replay(event_id, url=url)
    except LookupError:
        raise NotFound(f"No webhook event with id {event_id!r} in the delivery log.") from None
    except ValueError as exc:
        raise ValidationFailed(f"Cannot replay: {exc}; pass {{\"url\": ...}}.") from None
    return reply(DeliverySummary(data=event.summary()), status_code=202)


async def clear_deliveries(request: Request) -> Response:
    dispatcher = _dispatcher(request)
    cleared = dispatcher.log.clear(scope_key(request))
    return reply(Cleared(cleared=cleared))


async def send_test(request: Request) -> Response:
    """Emit a signed test event to ``url``; by default wait for its delivery and return it."""
    dispatcher = _dispatcher(request)
    body = await parse(request, TestWebhookRequest)
    url = _url(body.url, "url")
    if not body.event_type:
        raise ValidationFailed("event_type must be a non-empty string.")
    failover = _url(body.failover_url, "failover_url") if body.failover_url is not None else None
    tenant = confine(request, body.api_key if "api_key" in body.model_fields_set else None) or body.api_key
    event = dispatcher.emit(tenant=tenant, event_type=body.event_type, payload=body.payload, urls=[url], failover_url=failover)
    if body.wait:
        s = dispatcher.settings
        budget = max(1, s.webhook_attempts) * (s.webhook_timeout + s.webhook_backoff * 2 ** s.webhook_attempts) * 2 + 1
        deadline = asyncio.get_running_loop().time() + budget
        while event.status == "pending" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
    return reply(Delivery(data=event.detail()), status_code=200 if event.status != "pending" else 202)


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
        response=Deliveries,
        access="tenant",  # a tenant's own events
    ),
    ControlRoute(
        "DELETE", "/_emulator/webhooks/deliveries", clear_deliveries, "clearWebhookDeliveries",
        "Clear the delivery log (or one API key's part of it)",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "cleared"}},
        },
        response=Cleared,
        access="tenant",  # a tenant's own events
    ),
    ControlRoute(
        "GET", "/_emulator/webhooks/deliveries/{event_id}", get_delivery, "getWebhookDelivery",
        "One event with every attempt: exact body, headers, status or error, latency",
        {"parameters": [_ID], "responses": {"200": {"description": "event"}, "404": {"description": "unknown id"}}},
        response=Delivery,
        access="tenant",  # its own events (others' ids are 404s)
    ),
    ControlRoute(
        "POST", "/_emulator/webhooks/deliveries/{event_id}/replay", replay_delivery, "replayWebhookDelivery",
        "Deliver a logged event again, optionally to another URL",
        {
            "parameters": [_ID],
            "responses": {
                "202": {"description": "queued"},
                "404": {"description": "unknown id"},
                "422": {"description": "no URL"},
            },
        },
        body=ReplayRequest, response=DeliverySummary,
        access="tenant",  # its own events
    ),
    ControlRoute(
        "POST", "/_emulator/webhooks/test", send_test, "sendTestWebhook",
        "Send a signed test event to a URL",
        {
            "requestBody": {"required": True},
            "responses": {"200": {"description": "delivered or failed"}, "202": {"description": "still pending"}},
        },
        body=TestWebhookRequest, response=Delivery,
        access="tenant",  # logged under the caller's own key (still subject to --webhook-allow)
    ),
)
