"""The typed context every handler receives: the request, the operation, the validated inputs,
the caller's tenant, and the emulator runtime (state + services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from emulator.core.modes import STRICT, Mode
from emulator.core.rules import BusinessRule, apply_rule

if TYPE_CHECKING:
    from emulator.core.errors import ApiError
    from emulator.core.state import EmulatorState, TenantState
    from emulator.openapi.index import Operation
    from emulator.runtime.emulator import Emulator


@dataclass
class RequestContext:
    request: Request
    emulator: Emulator
    operation: Operation
    api_key: str
    path: dict[str, Any]  # path parameters, coerced to their schema types
    query: dict[str, Any]  # query parameters, deepObject ones as nested dicts
    headers: dict[str, Any]  # declared header parameters (lower-case names)
    body: Any  # parsed request body: JSON value, form dict, or None
    raw_body: bytes
    media_type: str | None
    mode: Mode = STRICT
    """The caller's strict/lenient mode (``core/modes.py``)."""
    warnings: list[str] = field(default_factory=list)
    """Business rules broken and let through in the ``warn`` mode (``x-emulator-warning``)."""

    def business_rule(self, rule: BusinessRule, error: ApiError) -> None:
        """``rule`` is broken: raise ``error`` (enforce), or note the rule and return so the caller
        applies its substitute (warn). See ``core/rules.py``."""
        apply_rule(rule, error, self.mode, self.warnings)

    @property
    def state(self) -> EmulatorState:
        return self.emulator.state

    @property
    def tenant(self) -> TenantState:
        return self.emulator.state.tenant(self.api_key)

    @property
    def json(self) -> dict[str, Any]:
        """The body as a dict ({} when there is none) — the common case for handlers."""
        return self.body if isinstance(self.body, dict) else {}

    def base_url(self) -> str:
        """``http://host:port`` as the client addressed us (for links we hand out)."""
        return base_url_of(self.request)


_BASE_URLS: dict[tuple[Any, ...], str] = {}
"""What Starlette's ``base_url`` gives, per the parts of the scope it is built from."""


def base_url_of(request: Request) -> str:
    """``str(request.base_url)`` without its trailing slash. Starlette copies the scope and
    builds a URL object for it (~10 µs); every call command records it, and a client addresses
    us the same way request after request, so it is built once per (scheme, Host, server, root
    path) — the only parts of the scope it depends on (a bounded memo)."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    server = scope.get("server")
    key = (scope.get("scheme", "http"), host, tuple(server) if server else None, scope.get("app_root_path", scope.get("root_path", "")))
    text = _BASE_URLS.get(key)
    if text is None:
        if len(_BASE_URLS) >= 256:
            _BASE_URLS.clear()
        text = _BASE_URLS[key] = str(request.base_url).rstrip("/")
    return text
