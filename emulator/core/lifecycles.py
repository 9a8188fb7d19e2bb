"""Time-driven transitions of long-running things (embedding tasks, fine-tuning jobs, mission runs,
cluster tasks, insight runs, STT reports), under a policy the user sets per resource kind.

A resource starts a *chain*: an ordered list of steps (plain callables that move the record to its
next status). The policy of its kind decides when each step runs:

* ``after`` (default, ``seconds`` = 0.2): step *i* runs ``seconds * (i + 1)`` of emulator time after
  the start — all timers are placed at once, so one clock jump completes the whole chain;
* ``immediate``: every step runs before the creating request answers;
* ``manual``: nothing runs until ``POST /_emulator/lifecycles/advance`` asks for it.

A chain can be cancelled (a job cancelled, a bucket deleted), paused and resumed (mission runs).
Steps are synchronous and check nothing themselves: the chain guarantees they run once, in order, while active.
Chains hold callbacks, so like scheduler timers they are not part of snapshots.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from emulator.core.errors import ErrorItem, NotFound, ValidationFailed

if TYPE_CHECKING:
    from emulator.core.state import EmulatorState

log = logging.getLogger("emulator.lifecycle")

Step = Callable[[], None]
Mode = Literal["after", "immediate", "manual"]
MODES: tuple[str, ...] = ("after", "immediate", "manual")
DEFAULT_SECONDS = 0.2



@dataclass
class Policy:
    mode: Mode = "after"
    seconds: float = DEFAULT_SECONDS

    def view(self) -> dict[str, Any]:
        return {"mode": self.mode, "seconds": self.seconds}


@dataclass
class Chain:
    api_key: str
    kind: str
    ref: str
    steps: list[Step]
    done: int = 0
    paused: bool = False
    generation: int = 0  # bumps on pause/resume/cancel so stale timers do nothing
    labels: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return len(self.steps) - self.done


class Lifecycles:
    """``emulator.services.lifecycles``: policies per tenant and kind, and the active chains.

    ``kinds`` are the kinds users can steer: what the families' manifests declare."""

    def __init__(self, state: EmulatorState, kinds: tuple[str, ...]) -> None:
        self.state = state
        self.kinds = kinds
        self.policies: dict[str, dict[str, Policy]] = {}
        self.chains: dict[tuple[str, str, str], Chain] = {}
        state.on_reset(self._on_reset)

    # -- policy -------------------------------------------------------------------------
    def policy(self, api_key: str, kind: str) -> Policy:
        return self.policies.get(api_key, {}).get(kind, Policy())

    def set_policy(self, api_key: str, kind: str, mode: str, seconds: float | None = None) -> Policy:
        if kind not in self.kinds:
            raise ValidationFailed(items=[ErrorItem(f"unknown kind {kind!r}; one of {', '.join(self.kinds)}", parameter="kind", location="path")])
        if mode not in MODES:
            raise ValidationFailed(items=[ErrorItem(f"mode must be one of {', '.join(MODES)}", pointer="/mode")])
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0):
            raise ValidationFailed(items=[ErrorItem("seconds must be a non-negative number", pointer="/seconds")])
        policy = Policy(mode, float(seconds) if seconds is not None else DEFAULT_SECONDS)  # type: ignore[arg-type]
        self.policies.setdefault(api_key, {})[kind] = policy
        return policy

    # -- chains -------------------------------------------------------------------------
    def begin(self, api_key: str, kind: str, ref: str, steps: list[Step], labels: list[str] | None = None) -> Chain:
        """Begin ``steps`` for one resource; with the ``immediate`` policy they run before returning."""
        chain = Chain(api_key, kind, ref, list(steps), labels=list(labels or []))
        self.chains[(api_key, kind, ref)] = chain
        policy = self.policy(api_key, kind)
        if policy.mode == "immediate":
            self.advance(chain, len(chain.steps))
        elif policy.mode == "after":
            self._arm(chain, policy.seconds)
        return chain

    def _arm(self, chain: Chain, seconds: float) -> None:
        now = self.state.clock.now()
        generation = chain.generation
        for i in range(chain.done, len(chain.steps)):
            due = now + seconds * (i - chain.done + 1)
            self.state.scheduler.call_at(due, self._timer(chain, i, generation), tag=f"tenant:{chain.api_key}")

    def _timer(self, chain: Chain, index: int, generation: int) -> Callable[[], None]:
        def fire() -> None:
            if chain.generation != generation or chain.paused or chain.done != index:
                return
            if self.chains.get((chain.api_key, chain.kind, chain.ref)) is not chain:
                return
            self.advance(chain, 1)

        return fire

    def advance(self, chain: Chain, steps: int = 1) -> int:
        """Run up to ``steps`` next steps of ``chain``; returns how many ran."""
        ran = 0
        while ran < steps and chain.done < len(chain.steps):
            step = chain.steps[chain.done]
            chain.done += 1
            try:
                step()
            except Exception:  # a broken step must not take the shared scheduler down with it
                log.exception("lifecycle step %d of %s %s failed; the chain stops", chain.done, chain.kind, chain.ref)
                chain.done = len(chain.steps)
            ran += 1
        if chain.done >= len(chain.steps):
            self.chains.pop((chain.api_key, chain.kind, chain.ref), None)
        return ran

    def get(self, api_key: str, kind: str, ref: str) -> Chain | None:
        return self.chains.get((api_key, kind, ref))

    def cancel(self, api_key: str, kind: str, ref: str) -> bool:
        chain = self.chains.pop((api_key, kind, ref), None)
        if chain is None:
            return False
        chain.generation += 1
        return True

    def pause(self, api_key: str, kind: str, ref: str) -> bool:
        chain = self.chains.get((api_key, kind, ref))
        if chain is None:
            return False
        chain.paused = True
        chain.generation += 1
        return True

    def resume(self, api_key: str, kind: str, ref: str) -> bool:
        chain = self.chains.get((api_key, kind, ref))
        if chain is None:
            return False
        chain.paused = False
        chain.generation += 1
        policy = self.policy(api_key, kind)
        if policy.mode == "immediate":
            self.advance(chain, chain.remaining)
        elif policy.mode == "after":
            self._arm(chain, policy.seconds)
        return True

    def advance_manual(self, api_key: str, kind: str | None, ref: str | None, steps: int | None) -> list[dict[str, Any]]:
        """Control-API advance: the matching chains (of one kind / one id, or all) move ``steps``
        steps each (all remaining when ``steps`` is None). Paused chains stay put."""
        matching = [
            c for (key, k, r), c in list(self.chains.items())
            if key == api_key and (kind is None or k == kind) and (ref is None or r == ref)
        ]
        if ref is not None and not matching:
            raise NotFound(f"No pending {kind or 'resource'} {ref!r} for this API key.")
        out = []
        for chain in matching:
            if chain.paused:
                continue
            ran = self.advance(chain, chain.remaining if steps is None else steps)
            out.append({"kind": chain.kind, "id": chain.ref, "steps_run": ran, "remaining": chain.remaining})
        return out

    def view(self, api_key: str) -> dict[str, Any]:
        return {
            "policies": {kind: self.policy(api_key, kind).view() for kind in self.kinds},
            "pending": [
                {"kind": c.kind, "id": c.ref, "done": c.done, "remaining": c.remaining, "paused": c.paused, "next": c.labels[c.done] if c.done < len(c.labels) else None}
                for (key, _k, _r), c in self.chains.items() if key == api_key
            ],
        }

    def _on_reset(self, _state: EmulatorState, api_key: str | None) -> None:
        if api_key is None:
            self.policies.clear()
            self.chains.clear()
            return
        self.policies.pop(api_key, None)
        for key in [k for k in self.chains if k[0] == api_key]:
            self.chains.pop(key).generation += 1

