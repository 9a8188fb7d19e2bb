"""The dashboard's control routes: the page, its static modules, sign-in, the read API and the
live stream. All sit behind the admin guard except the sign-in page itself (and the stylesheet it
uses), which shows nothing of the emulator's state."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from emulator.core.errors import NotFound
from emulator.dashboard import session, stream, views
from emulator.runtime.family import ControlRoute

UI = session.UI_PATH
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".png": "image/png", ".svg": "image/svg+xml"}
_NO_CACHE = {"cache-control": "no-cache"}  # the emulator may be upgraded under an open tab


def _asset(name: str) -> bytes:
    """A file shipped in ``emulator/dashboard/static`` (package data); only plain relative names."""
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise NotFound(f"No dashboard asset {name!r}.")
    node = resources.files("emulator.dashboard").joinpath("static", *parts)
    if not node.is_file():
        raise NotFound(f"No dashboard asset {name!r}.")
    return node.read_bytes()


async def page(request: Request) -> Response:
    return Response(_asset("index.html"), media_type="text/html", headers=_NO_CACHE)


async def static(request: Request) -> Response:
    name = request.path_params.get("name", "style.css")
    suffix = name[name.rfind("."):] if "." in name else ""
    return Response(_asset(name), media_type=_TYPES.get(suffix, "application/octet-stream"), headers=_NO_CACHE)


def _ok(description: str) -> dict[str, object]:
    return {"responses": {"200": {"description": description}}}


def _q(*names: str) -> list[dict[str, object]]:
    return [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]


_PAGE_PARAMS = _q("before", "limit")

CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute("GET", UI, page, "dashboard", "The live web dashboard (HTML)", _ok("the page")),
    ControlRoute("GET", f"{UI}/static/style.css", static, "dashboardStyle", "The dashboard's stylesheet (the sign-in page uses it too)",
                 _ok("CSS"), access="public"),
    ControlRoute("GET", UI + "/static/{name:path}", static, "dashboardAsset", "The dashboard's static modules", _ok("asset")),
    ControlRoute("GET", f"{UI}/login", session.login_form, "dashboardLoginForm", "Sign-in form (only when an admin token is set)",
                 _ok("form"), access="public"),
    ControlRoute("POST", f"{UI}/login", session.login, "dashboardLogin", "Sign the browser in with the admin token (sets an HttpOnly cookie)",
                 {"responses": {"303": {"description": "signed in"}, "401": {"description": "wrong token"}}}, access="public"),
    ControlRoute("POST", f"{UI}/logout", session.logout, "dashboardLogout", "Forget the sign-in cookie", {"responses": {"303": {"description": "signed out"}}}),
    ControlRoute("GET", f"{UI}/api/keys", views.keys, "dashboardKeys", "API keys the dashboard can view", _ok("keys")),
    ControlRoute("GET", f"{UI}/api/deliveries", views.list_deliveries, "dashboardDeliveries", "One page of webhook deliveries, newest first",
                 {"parameters": [*_q("api_key", "call", "event_type", "status"), *_PAGE_PARAMS], **_ok("page")}),
    ControlRoute("GET", UI + "/api/deliveries/{event_id}", views.get_delivery, "dashboardDelivery",
                 "One delivery with every attempt and whether its signature verifies",
                 {"parameters": [{"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}], **_ok("event")}),
    ControlRoute("GET", f"{UI}/api/requests", views.list_requests, "dashboardRequests", "One page of the request journal, newest first",
                 {"parameters": [*_q("api_key", "method", "path", "status", "operation_id", "fault_rule", "dashboard"), *_PAGE_PARAMS], **_ok("page")}),
    ControlRoute("GET", UI + "/api/requests/{seq:int}", views.get_request, "dashboardRequest", "One journal entry with bodies and what it touched",
                 {"parameters": [{"name": "seq", "in": "path", "required": True, "schema": {"type": "integer"}}], **_ok("entry")}),
    ControlRoute("GET", UI + "/api/calls/{call_id}/timeline", views.call_timeline, "dashboardCallTimeline",
                 "A call's commands and webhooks, in time order",
                 {"parameters": [{"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}, *_q("limit")], **_ok("timeline")}),
    ControlRoute("GET", f"{UI}/events", stream.events, "dashboardEvents", "Server-sent events: new requests and deliveries (scoped by ?api_key=)",
                 {"parameters": _q("api_key", "since"), "responses": {"200": {"description": "text/event-stream"}}}),
)
