"""Opt-in rate limiting: per-API-key token buckets answering 429 the way Telnyx does.

Two buckets per key: one for every request, and one for outbound dials (``POST /calls``,
operation ``DialCall``), which Telnyx limits separately per second (error ``90103``). Telnyx's
published OpenAPI document and the product docs we ship from state that limits exist (429 with a
retry delay) but give no numbers, so the rates are settings (``rate_limit_rps``,
``rate_limit_burst``, ``dial_cps``) with emulator-chosen defaults, not quoted figures.

Buckets refill on wall time (monotonic), not the emulator clock: a real client's retry loop
sleeps in wall time, and a frozen emulator clock must not lock a key out forever.

The 429 carries ``retry-after`` (whole seconds, as HTTP defines it) plus ``x-ratelimit-limit``,
``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (seconds until a token is available again).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.core.errors import RateLimited

DIAL_OPERATION = "DialCall"


class DialRateLimited(RateLimited):
    """Over the outbound dial rate of the key (``POST /calls``), which Telnyx reports with its own
    code; still a 429 with the retry headers."""

    code, title = "90103", "Dial rate limit exceeded"


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token; returns 0 on success, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Per-key buckets (part of ``emulator.services.faults``)."""

    def __init__(self, *, enabled: bool, rps: float, burst: int, dial_cps: float, now: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.rps = rps
        self.burst = burst
        self.dial_cps = dial_cps
        self._now = now
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def configure(self, *, enabled: bool | None = None, rps: float | None = None, burst: int | None = None, dial_cps: float | None = None) -> None:
        if enabled is not None:
            self.enabled = enabled
        if rps is not None:
            self.rps = rps
        if burst is not None:
            self.burst = burst
        if dial_cps is not None:
            self.dial_cps = dial_cps
        self._buckets.clear()  # new limits start from full buckets

    def reset(self) -> None:
        self._buckets.clear()

    def _bucket(self, kind: str, api_key: str, rate: float, capacity: float, now: float) -> TokenBucket:
        found = self._buckets.get((kind, api_key))
        if found is None:
            found = self._buckets[(kind, api_key)] = TokenBucket(rate, capacity, capacity, now)
        return found

    def check(self, api_key: str, operation_id: str) -> None:
        """Raise RateLimited (with headers) when ``api_key`` is over a limit; else take tokens."""
        if not self.enabled:
            return
        now = self._now()
        general = self._bucket("all", api_key, self.rps, float(self.burst), now)
        wait = general.take(now)
        if wait:
            raise self._limited(wait, limit=self.burst, detail="Too many requests for this API key; slow down and retry after the delay given.")
        if operation_id == DIAL_OPERATION:
            dial = self._bucket("dial", api_key, self.dial_cps, max(1.0, self.dial_cps), now)
            wait = dial.take(now)
            if wait:
                general.tokens = min(general.capacity, general.tokens + 1.0)  # the refused dial costs nothing
                raise self._limited(
                    wait,
                    limit=max(1, int(self.dial_cps)),
                    detail=f"Outbound dial rate limit of {self.dial_cps:g} calls per second exceeded.",
                    error=DialRateLimited,
                )

    @staticmethod
    def _limited(wait: float, *, limit: int, detail: str, error: type[RateLimited] = RateLimited) -> RateLimited:
        seconds = max(1, math.ceil(wait))
        headers = {
            "retry-after": str(seconds),
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(seconds),
        }
        return error(detail, headers=headers)

    def view(self) -> dict[str, object]:
        return {"enabled": self.enabled, "rps": self.rps, "burst": self.burst, "dial_cps": self.dial_cps}
