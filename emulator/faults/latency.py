"""Simulated latency: per-rule delays and the document-driven latency profiles.

Profiles are off by default (tests want speed). When on (``--latency`` or
``POST /_emulator/latency``), every operation waits for a delay drawn from its document's
``x-latency-category``. The ranges below are the emulator's own choice — the document names the
categories but gives no numbers — picked to feel like a nearby region: ``responsive`` reads and
small writes in tens of ms, ``interactive`` work (LLM calls, TTS, dials) in hundreds, and
``background`` jobs (batch, uploads) up to a couple of seconds. Draws come from a seeded stream,
so a run is repeatable.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from emulator.openapi.index import Operation


class DelaySpec(BaseModel):
    """A delay in milliseconds: fixed (``ms``), ``uniform`` in [min_ms, max_ms], or ``lognormal``
    around ``median_ms`` with shape ``sigma`` (capped at ``max_ms`` when given)."""

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["fixed", "uniform", "lognormal"] = "fixed"
    ms: float | None = Field(default=None, ge=0)
    min_ms: float | None = Field(default=None, ge=0)
    max_ms: float | None = Field(default=None, ge=0)
    median_ms: float | None = Field(default=None, gt=0)
    sigma: float = Field(default=0.5, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> DelaySpec:
        if self.distribution == "fixed" and self.ms is None:
            raise ValueError("a fixed delay needs ms")
        if self.distribution == "uniform":
            if self.min_ms is None or self.max_ms is None:
                raise ValueError("a uniform delay needs min_ms and max_ms")
            if self.min_ms > self.max_ms:
                raise ValueError("min_ms must not exceed max_ms")
        if self.distribution == "lognormal" and self.median_ms is None:
            raise ValueError("a lognormal delay needs median_ms")
        return self

    def draw_ms(self, rng: random.Random) -> float:
        if self.distribution == "fixed":
            return float(self.ms or 0.0)
        if self.distribution == "uniform":
            return rng.uniform(float(self.min_ms or 0.0), float(self.max_ms or 0.0))
        value = rng.lognormvariate(math.log(float(self.median_ms or 1.0)), self.sigma)
        return min(value, self.max_ms) if self.max_ms is not None else value


# Emulator-chosen profiles per x-latency-category (see the module docstring).
CATEGORY_PROFILES: Mapping[str, DelaySpec] = {
    "responsive": DelaySpec(distribution="lognormal", median_ms=40, sigma=0.35, max_ms=200),
    "interactive": DelaySpec(distribution="lognormal", median_ms=250, sigma=0.4, max_ms=1500),
    "background": DelaySpec(distribution="uniform", min_ms=500, max_ms=2500),
}
UNCATEGORISED = CATEGORY_PROFILES["responsive"]


class LatencyProfiles:
    """Per-emulator latency switch and seeded draws (part of ``emulator.services.faults``)."""

    def __init__(self, *, enabled: bool, scale: float, seed: int) -> None:
        self.enabled = enabled
        self.scale = scale
        self.seed = seed
        self.random = random.Random(f"latency:{seed}")
        self.overrides: dict[str, DelaySpec] = {}
        """Per-category replacements set through the control API."""

    def configure(self, *, enabled: bool | None = None, scale: float | None = None, categories: Mapping[str, DelaySpec] | None = None) -> None:
        if enabled is not None:
            self.enabled = enabled
        if scale is not None:
            self.scale = scale
        if categories is not None:
            self.overrides.update(categories)

    def spec_for(self, operation: Operation) -> DelaySpec:
        category = str(operation.extensions.get("x-latency-category") or "")
        return self.overrides.get(category) or CATEGORY_PROFILES.get(category) or UNCATEGORISED

    def delay_seconds(self, operation: Operation) -> float:
        """Seconds to wait before serving ``operation`` (0 when profiles are off)."""
        if not self.enabled:
            return 0.0
        return self.spec_for(operation).draw_ms(self.random) * self.scale / 1000.0

    def view(self) -> dict[str, object]:
        categories = {**CATEGORY_PROFILES, **self.overrides}
        return {
            "enabled": self.enabled,
            "scale": self.scale,
            "categories": {k: v.model_dump(exclude_none=True) for k, v in categories.items()},
        }

    def reset(self) -> None:
        self.random = random.Random(f"latency:{self.seed}")
