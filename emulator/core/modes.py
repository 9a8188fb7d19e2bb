"""Strict or lenient, per API key: how unknown ids and our own business rules are treated.

Strict (the default) suits integration tests: unknown ids are 404s and every rule we enforce
beyond the document rejects. Lenient suits generated SDK tests and copy-pasted examples: an
unknown id becomes an implicit resource (``runtime/implicit.py``) and a broken business rule
(``core/rules.py``) only warns. The document's own rules hold in both. The defaults come from
settings (``--unknown-ids``, ``--business-rules``, ``--lenient``); the control API overrides
them per key (``PUT /_emulator/modes/{api_key}``), so one emulator serves both kinds of suite.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from emulator.core.settings import Settings

UnknownIds = Literal["404", "create"]
BusinessRules = Literal["enforce", "warn"]


@dataclass(frozen=True)
class Mode:
    unknown_ids: UnknownIds = "404"
    business_rules: BusinessRules = "enforce"

    @property
    def creates_unknown_ids(self) -> bool:
        return self.unknown_ids == "create"

    @property
    def warns(self) -> bool:
        return self.business_rules == "warn"

    @property
    def name(self) -> str:
        """``strict``, ``lenient``, or the two settings when they are mixed."""
        if self == STRICT:
            return "strict"
        if self == LENIENT:
            return "lenient"
        return f"unknown-ids={self.unknown_ids}, business-rules={self.business_rules}"

    def dump(self) -> dict[str, Any]:
        return {"mode": self.name, "unknown_ids": self.unknown_ids, "business_rules": self.business_rules}


STRICT = Mode()
LENIENT = Mode(unknown_ids="create", business_rules="warn")


def default_mode(settings: Settings) -> Mode:
    if settings.lenient:
        return LENIENT
    return Mode(unknown_ids=settings.unknown_ids, business_rules=settings.business_rules)


class Modes:
    """The default mode and the per-key overrides. Configuration, not tenant data: a reset keeps
    the overrides (delete one with ``DELETE /_emulator/modes/{api_key}``)."""

    def __init__(self, settings: Settings) -> None:
        self.default = default_mode(settings)
        self._by_key: dict[str, Mode] = {}

    def of(self, api_key: str) -> Mode:
        return self._by_key.get(api_key, self.default)

    def set(self, api_key: str, *, unknown_ids: UnknownIds | None = None, business_rules: BusinessRules | None = None) -> Mode:
        mode = self.of(api_key)
        if unknown_ids is not None:
            mode = replace(mode, unknown_ids=unknown_ids)
        if business_rules is not None:
            mode = replace(mode, business_rules=business_rules)
        self._by_key[api_key] = mode
        return mode

    def clear(self, api_key: str) -> bool:
        return self._by_key.pop(api_key, None) is not None

    def overrides(self) -> dict[str, Mode]:
        return dict(self._by_key)
