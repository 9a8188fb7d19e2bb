"""What control-API endpoints read from a request: the runtime, a JSON body, the tenant.

The admin token is checked once, by :class:`emulator.control.guard.AdminGuard`, before any
endpoint runs; ``ApiError`` raised here or in an endpoint is rendered by the one exception
handler the control app registers (``emulator/control/guard.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

from emulator.core.errors import BadRequest, ErrorItem, ValidationFailed

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def emulator_of(request: Request) -> Emulator:
    """The runtime this control app steers (one per app: ``create_app()`` twice = two)."""
    emulator: Emulator = request.app.state.emulator
    return emulator


async def json_body(request: Request, *, allow_list: bool = False, keys: tuple[str, ...] | None = None) -> Any:
    """The control-API request body: a JSON object (``{}`` when empty), or with ``allow_list``
    also a JSON array (e.g. several fault rules posted at once). With ``keys``, any other key
    is a 422 naming it — a misspelt key (``script`` for ``steps``) must not be silently ignored."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict) and not (allow_list and isinstance(value, list)):
        raise BadRequest("The request body must be a JSON object" + (" or array." if allow_list else "."))
    if keys is not None and isinstance(value, dict):
        reject_unknown_keys(value, keys)
    return value


def reject_unknown_keys(body: dict[str, Any], keys: tuple[str, ...]) -> None:
    unknown = sorted(k for k in body if k not in keys)
    if unknown:
        expected = ", ".join(keys) or "no fields"
        raise ValidationFailed(items=[ErrorItem(f"Unknown field {k!r}; expected {expected}", pointer=f"/{k}", kind="extra_forbidden") for k in unknown])


def tenant_key(request: Request, body: dict[str, Any] | None = None) -> str:
    """The API key whose resources a control request steers: ``api_key`` in the body or query."""
    key = (body or {}).get("api_key") or request.query_params.get("api_key")
    if not isinstance(key, str) or not key:
        raise BadRequest("Name the tenant: ?api_key=<the API key whose resources you steer>.")
    return key
