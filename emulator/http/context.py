"""The typed context every handler receives: the request, the operation, the validated inputs,
the caller's tenant, and the emulator runtime (state + services)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

from emulator.core.modes import STRICT, Mode
from emulator.core.rules import BusinessRule, apply_rule

if TYPE_CHECKING:
    from emulator.core.errors import ApiError
    from emulator.core.state import EmulatorState, TenantState
    from emulator.openapi.index import Operation
    from emulator.runtime.emulator import Emulator


class _Unparsed:
    """The type of :data:`UNPARSED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNPARSED"


UNPARSED: Any = _Unparsed()
"""A JSON body not parsed yet: its bytes were parsed and found clean before
(``http/clean_bodies.py``), so parsing them cannot fail and waits until a handler reads
``ctx.body``. A chat handler whose body repeats reads its kept reading instead and never does
(``families/chat/repeats.py``): parsing a voice agent's body, and freeing what it built, was a
sixth of such a request."""


class RequestContext:
    """One request as a handler sees it (built only by ``http/dispatch.py``)."""

    __slots__ = ("_body", "api_key", "emulator", "headers", "media_type", "mode", "operation", "path", "query", "raw_body", "request", "warnings")

    def __init__(
        self,
        request: Request,
        emulator: Emulator,
        operation: Operation,
        api_key: str,
        path: dict[str, Any],
        query: dict[str, Any],
        headers: dict[str, Any],
        body: Any,
        raw_body: bytes,
        media_type: str | None,
        mode: Mode = STRICT,
    ) -> None:
        self.request = request
        self.emulator = emulator
        self.operation = operation
        self.api_key = api_key
        self.path = path  # path parameters, coerced to their schema types
        self.query = query  # query parameters, deepObject ones as nested dicts
        self.headers = headers  # declared header parameters (lower-case names)
        self._body = body
        self.raw_body = raw_body
        self.media_type = media_type
        self.mode = mode
        """The caller's strict/lenient mode (``core/modes.py``)."""
        self.warnings: list[str] = []
        """Business rules broken and let through in the ``warn`` mode (``x-emulator-warning``)."""

    @property
    def body(self) -> Any:
        """The parsed request body: JSON value, form dict, raw bytes, or None."""
        body = self._body
        if body is UNPARSED:
            body = self._body = orjson.loads(self.raw_body)
        return body

    @body.setter
    def body(self, value: Any) -> None:
        self._body = value

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
    host = request.headers.get("host")  # the first Host, as Starlette's; the dispatcher's headers are indexed once
    server = scope.get("server")
    key = (scope.get("scheme", "http"), host, tuple(server) if server else None, scope.get("app_root_path", scope.get("root_path", "")))
    text = _BASE_URLS.get(key)
    if text is None:
        if len(_BASE_URLS) >= 256:
            _BASE_URLS.clear()
        text = _BASE_URLS[key] = str(request.base_url).rstrip("/")
    return text
