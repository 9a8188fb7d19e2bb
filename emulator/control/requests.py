"""What control-API endpoints read from a request (the runtime, a JSON body parsed by its model,
the tenant) and how they answer (a response model, dumped).

Every endpoint that takes a JSON body declares a :class:`Body` model and parses with
``await parse(request, Model)``; every JSON answer is a :class:`Reply` model sent with ``reply``.
The route's ``ControlRoute(..., body=Model, response=Model)`` names the same two models, so the
control API's OpenAPI document (``control/table.py``) is generated from what the code really
accepts and returns, and a misspelt key (``script`` for ``steps``) is a 422 naming it.

The caller is established once, by :class:`emulator.control.guard.AdminGuard`, before any
endpoint runs: the admin, or a tenant (``Bearer <API key>``) that a route declared
``access="tenant"`` serves. Such an endpoint learns which tenant it may touch only from the
helpers here (``tenant_key``, ``scope_key``, ``owned``), so "a tenant steers only itself" is
decided in one place. ``ApiError`` raised here or in an endpoint is rendered by the one
exception handler the control app registers (``emulator/control/guard.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request

from emulator.core.errors import BadRequest, ErrorItem, Forbidden, NotFound, ValidationFailed
from emulator.http.responses import JSONResponse

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


@dataclass(frozen=True)
class Caller:
    """Who sent a control request (``control/guard.py`` decides): the admin, or the tenant of
    the Bearer API key it carries (``api_key``), confined to that key's resources."""

    admin: bool
    api_key: str | None = None


ADMIN = Caller(admin=True)
CALLER_SCOPE_KEY = "telnyx_emulator.caller"
"""Where the guard leaves the :class:`Caller` in the ASGI scope."""


def caller_of(request: Request) -> Caller:
    """The request's caller; the admin when no guard ran (an app built without one)."""
    caller = request.scope.get(CALLER_SCOPE_KEY, ADMIN)
    assert isinstance(caller, Caller)
    return caller


def own_key(request: Request) -> str | None:
    """The tenant a tenant caller is confined to; None for the admin (who may steer any)."""
    caller = caller_of(request)
    return None if caller.admin else caller.api_key


def _given(request: Request, body: dict[str, Any] | BaseModel | None) -> Any:
    given = body.get("api_key") if isinstance(body, dict) else getattr(body, "api_key", None)
    return given or request.query_params.get("api_key")


def confine(request: Request, given: Any) -> Any:
    """``given`` (an ``api_key`` the request names, or None) checked against the caller: the admin
    may name any key; a tenant gets its own key, and a 403 naming any other."""
    mine = own_key(request)
    if mine is None:
        return given
    if given and given != mine:
        raise Forbidden(
            f"This request names api_key {given!r}, but its Bearer API key may steer only its own tenant. "
            "Send that key as the bearer, or use the admin token."
        )
    return mine


def tenant_key(request: Request, body: dict[str, Any] | BaseModel | None = None) -> str:
    """The API key whose resources a control request steers: ``api_key`` in the body or query,
    and for a tenant caller its own bearer key (another named key is a 403)."""
    key = confine(request, _given(request, body))
    if not isinstance(key, str) or not key:
        raise BadRequest("Name the tenant: ?api_key=<the API key whose resources you steer>.")
    return key


def scope_key(request: Request, body: dict[str, Any] | BaseModel | None = None) -> str | None:
    """The tenant a list, count or clear is limited to: the ``api_key`` named (None = every
    tenant) for the admin, always the caller's own key for a tenant (another is a 403)."""
    key = confine(request, _given(request, body))
    if key is not None and not isinstance(key, str):
        raise BadRequest("api_key must be a string.")
    return key or None


def owned(request: Request, owner: str | None, missing: NotFound) -> None:
    """Raise ``missing`` (the endpoint's own 404) when a tenant caller reaches for a resource of
    another tenant (``owner``) by id: to it, other tenants' ids do not exist."""
    mine = own_key(request)
    if mine is not None and owner != mine:
        raise missing


class Body(BaseModel):
    """A control-API request body: unknown keys are refused (a 422 naming them), and values are
    not coerced (``"5"`` is no number, ``1`` no boolean), as the control API always answered."""

    # defer_build: a model's validator is built on its first use, not at import. The control
    # API has ~100 models and few runs touch most of them; building them all was ~0.05 s of
    # start-up before the first answer.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Reply(BaseModel):
    """A control-API JSON answer. Extra keys are refused too, so an endpoint cannot answer
    more than its documented model says."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use, as Body


M = TypeVar("M", bound=BaseModel)


async def parse(request: Request, model: type[M]) -> M:
    """The request body validated by ``model`` (an absent body is ``{}``). Bad JSON or a body
    that is no object is a 400, as before; every other problem a 422 with one item per field."""
    raw = await request.body()
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}")
    except ValidationError as exc:
        raise body_error(exc, model) from exc


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    """``data`` (already decoded, e.g. one item of a list) validated by ``model``; problems are
    a 422 whose pointers start at ``prefix``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise body_error(exc, model, prefix) from exc


def body_error(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> BadRequest | ValidationFailed:
    items: list[ErrorItem] = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        if e["type"] == "json_invalid":
            return BadRequest(f"The request body is not valid JSON: {e['msg']}")
        if not loc and not prefix and e["type"] in ("model_type", "model_attributes_type", "dict_type"):
            return BadRequest("The request body must be a JSON object.")
        pointer = prefix + "/" + "/".join(loc) if loc else prefix or "/"
        if e["type"] == "extra_forbidden":
            expected = f"; expected {', '.join(_field_names(model))}" if len(loc) == 1 else ""
            items.append(ErrorItem(f"Unknown field {loc[-1]!r}{expected}", pointer=pointer, kind="extra_forbidden"))
        else:
            items.append(ErrorItem(f"{'.'.join(loc) or 'body'}: {e['msg']}", pointer=pointer, kind=e["type"]))
    return ValidationFailed(items=items)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()] or ["no fields"]


def reply(value: BaseModel, status_code: int = 200, *, exclude_unset: bool = False) -> JSONResponse:
    """Send a response model as JSON (field aliases as keys, e.g. ``from``); with
    ``exclude_unset``, optional fields the endpoint did not set are left out, not ``null``."""
    return JSONResponse(value.model_dump(mode="json", by_alias=True, exclude_unset=exclude_unset), status_code=status_code)
