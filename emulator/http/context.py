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
        return str(self.request.base_url).rstrip("/")
