"""Business rules: the checks we make beyond what the document states.

A family declares each rule it enforces once, as a :class:`BusinessRule` in its manifest
(``Family.business_rules``); ``GET /_emulator/business-rules`` and the README list them all in
one table. Where a handler finds a rule broken it calls ``ctx.business_rule(RULE, error)``: in
the ``enforce`` mode the error is raised (the strict behaviour); in the ``warn`` mode the
request goes on with the rule's documented substitute and the response carries an
``x-emulator-warning`` header naming the rule (``core/modes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core.errors import ApiError
from emulator.core.modes import Mode

WARNING_HEADER = "x-emulator-warning"


@dataclass(frozen=True)
class BusinessRule:
    name: str
    """Stable, dotted: ``<family>.<rule>`` (what the warning header names)."""
    checks: str
    """What the rule rejects, in a user's words."""
    substitute: str
    """What the ``warn`` mode does instead of rejecting."""
    real_api: bool = False
    """The real Telnyx API is known to enforce it too (else it is the emulator's own guard)."""

    def dump(self) -> dict[str, Any]:
        return {"name": self.name, "checks": self.checks, "substitute": self.substitute, "real_api": self.real_api}


def apply_rule(rule: BusinessRule, error: ApiError, mode: Mode, warnings: list[str]) -> None:
    """Raise ``error`` when the mode enforces rules; else note ``rule`` in ``warnings`` and return,
    so the caller applies the rule's substitute."""
    if not mode.warns:
        raise error
    if rule.name not in warnings:
        warnings.append(rule.name)
