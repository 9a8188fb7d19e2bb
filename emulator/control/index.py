"""``GET /_emulator``: the control API's front page, so the ``control:`` URL the banner prints
answers with where to go next instead of a 404.

The list is built from the same control table the routes and ``/_emulator/openapi.json`` come
from (``app.state.control_table``), so it names exactly what is served.
"""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Reply, reply
from emulator.control.table import ACCESS_EXTENSION, control_document
from emulator.core.version import VERSION as __version__
from emulator.runtime.family import ControlRoute

DASHBOARD = "/_emulator/ui"
"""Where the dashboard lives when a family or the kernel serves it (listed only if a route exists)."""


class IndexOperation(Reply):
    operation_id: str
    method: str
    path: str
    """The OpenAPI path template (``{name}`` placeholders)."""
    summary: str
    access: str = Field(description="who may call it: public, tenant (a Bearer API key, for its own tenant) or admin")
    href: str | None
    """An absolute URL to follow (GET operations without placeholders), else None."""


class ControlIndex(Reply):
    name: str
    version: str
    api: str
    """Base URL of the emulated Telnyx API."""
    document: str
    """The control API's OpenAPI document."""
    dashboard: str | None
    operations: list[IndexOperation]


async def index(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    table: tuple[ControlRoute, ...] = request.app.state.control_table
    rows = []
    for path, item in control_document(table)["paths"].items():
        for method, op in item.items():
            follow = method == "get" and "{" not in path
            rows.append(IndexOperation(
                operation_id=op["operationId"], method=method.upper(), path=path, summary=op.get("summary", ""),
                access=op[ACCESS_EXTENSION], href=base + path if follow else None,
            ))
    # However the dashboard gets served (a control route, a mount), it is a route of the app.
    has_dashboard = any(str(getattr(route, "path", "")).startswith(DASHBOARD) for route in request.app.routes)
    return reply(
        ControlIndex(
            name="telnyx-emulator control API",
            version=__version__,
            api=f"{base}/v2",
            document=f"{base}/_emulator/openapi.json",
            dashboard=base + DASHBOARD if has_dashboard else None,
            operations=rows,
        )
    )


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator", index, "controlIndex", "This index: every control operation, with links",
        {"responses": {"200": {"description": "index"}}}, response=ControlIndex, access="tenant",
    ),
)
