"""The one scenario hook dispatch calls after routing and authentication, before validation.

Order: a ``Prefer`` override header (quick manual tries) or else the first firing fault rule;
then the rate limiter; then the latency profile. A fault runs *before* validation and the
handler, so a forced error never half-writes state and works for operations whose handlers are
still being written. Results reach the client through the normal paths: errors are raised as
``ApiError`` (rendered by dispatch in the family's style); transport faults are recorded in the
request's state for :class:`~emulator.faults.transport.ScenarioMiddleware` to carry out.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.requests import Request

from emulator.core.errors import BadRequest, ErrorItem
from emulator.faults.latency import LatencyProfiles
from emulator.faults.ratelimit import RateLimiter
from emulator.faults.rules import FaultRule, FaultRules, RequestFacts, TransportAbort, error_for, parse_prefer
from emulator.openapi.index import Operation, OperationIndex

if TYPE_CHECKING:
    from emulator.core.settings import Settings


class FaultChain:
    """``emulator.services.faults``: applies faults, rate limits and latency to API requests."""

    def __init__(self, settings: Settings, index: OperationIndex) -> None:
        self.faults = FaultRules(index, settings.seed)
        self.latency = LatencyProfiles(enabled=settings.latency, scale=settings.latency_scale, seed=settings.seed)
        self.ratelimit = RateLimiter(
            enabled=settings.rate_limit,
            rps=settings.rate_limit_rps,
            burst=settings.rate_limit_burst,
            dial_cps=settings.dial_cps,
        )
        self._prefer_random = random.Random(f"prefer:{settings.seed}")

    def reset(self) -> None:
        """Back to the configured start: no rules, full buckets, latency draws restarted."""
        self.faults.clear()
        self.ratelimit.reset()
        self.latency.reset()

    def _prefer_rule(self, value: str) -> FaultRule | None:
        data = parse_prefer(value)
        if data is None:
            return None
        try:
            return FaultRule.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
            raise BadRequest(items=[ErrorItem(f"Prefer header: {problems}", parameter="Prefer", location="header")]) from exc

    async def before_handler(self, request: Request, operation: Operation, path_params: Mapping[str, str], api_key: str, raw_body: bytes) -> None:
        rule: FaultRule | None = None
        rng = self._prefer_random
        prefer = request.headers.get("prefer")
        if prefer:
            rule = self._prefer_rule(prefer)
        if rule is None and len(self.faults):
            facts = RequestFacts(
                method=request.method,
                path=request.scope["path"],
                operation_id=operation.operation_id,
                api_key=api_key,
                path_params=path_params,
                raw_body=raw_body,
            )
            active = self.faults.select(facts)
            if active is not None:
                rule, rng = active.rule, active.random
        if rule is not None:
            await self._apply(request, rule, rng)
        if self.ratelimit.enabled:
            self.ratelimit.check(api_key, operation.operation_id)
        if self.latency.enabled:
            delay = self.latency.delay_seconds(operation)
            if delay > 0:
                await asyncio.sleep(delay)

    async def _apply(self, request: Request, rule: FaultRule, rng: random.Random) -> None:
        request.state.fault_rule = rule.id
        spec = rule.delay_spec()
        if spec is not None:
            await asyncio.sleep(spec.draw_ms(rng) / 1000.0)
        if rule.status is not None:
            raise error_for(rule)
        if rule.transport is not None:
            request.state.transport_fault = {
                "kind": rule.transport,
                "cut_after_bytes": rule.cut_after_bytes,
                "cut_after_chunks": rule.cut_after_chunks,
            }
            if rule.transport in ("reset", "empty"):
                raise TransportAbort("The connection is dropped by a fault rule.")
