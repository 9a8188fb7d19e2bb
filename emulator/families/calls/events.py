"""Building call-event payloads and handing them to the webhook dispatcher.

Every call event goes through :func:`emit`: it fills the ids every call event carries, echoes the
call's current ``client_state``, works out where the event goes (see :func:`targets`) and queues
it with ``ordering_key=call_control_id`` so one call's events reach the receiver in order.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.core.clock import iso_instant
from emulator.core.rules import BusinessRule, apply_rule
from emulator.crud.generic import GenericStore
from emulator.families.calls.event_fills import base_payload
from emulator.families.calls.event_shapes import EventShapes
from emulator.families.calls.model import Call
from emulator.families.calls.store import CallStore

if TYPE_CHECKING:
    from emulator.core.clock import Clock, Scheduler
    from emulator.core.errors import ApiError
    from emulator.core.ids import IdFactory
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator


_timer_now: ContextVar[float | None] = ContextVar("call_timer_now", default=None)
"""While a call timer runs: the instant it was due. Timers chained from it count from there, so
one ``advance`` of the clock plays out a whole chain (prompt → digits → gather end) in order, and
event timestamps show when things happened, not when the clock jump was processed."""


CallHook = Callable[["Env", Call], None]


@dataclass(frozen=True)
class CallHooks:
    """What the layers above this one do at the turns of a call's life, each tuple in the order
    their events go out. The activity modules (gather, media, queue, AI) and the snapshot
    re-arming build on this layer, so it cannot import them: the family's manifest builds one
    ``CallHooks`` per emulator (a family service: ``emulator.services.family(CallHooks)``)."""

    answered: tuple[CallHook, ...] = ()
    """After ``call.answered``: what the dial asked to start on answer (recording, streaming)."""
    hanging_up: tuple[CallHook, ...] = ()
    """Before ``call.hangup``: running activities end, each reporting ``call_hangup``."""
    hung_up: tuple[CallHook, ...] = ()
    """After ``call.hangup``: what a finished call produces (recording saved, conversation ended)."""
    offered: tuple[Callable[[Env, Call], bool], ...] = ()
    """An input step reached the head of the other party's script (``lifecycle.run_remote``):
    each listener in turn may take it now, if it is waiting with nothing on its way (it started
    before the step was scripted, or while the party paused); True = taken."""
    restored: tuple[Callable[[Env, CallStore], None], ...] = ()
    """On a store restored from a snapshot (``rearm_pending``), before its first use: the
    re-arming of its timers (``service.rearm``)."""


@dataclass
class Env:
    """What call logic needs outside a request: the runtime and the call's tenant. Timers
    capture an Env, so scheduled work (answers, timeouts) runs with the right state."""

    emulator: Emulator
    tenant: TenantState
    warnings: list[str] = field(default_factory=list)
    """The request's ``x-emulator-warning`` list (``commands.env_of`` shares the context's), so
    call logic that only has an Env can let a business rule through in the ``warn`` mode."""

    def business_rule(self, rule: BusinessRule, error: ApiError) -> None:
        """``rule`` is broken: raise ``error`` (enforce), or note it and return (warn), so the
        caller applies the rule's substitute (``core/rules.py``)."""
        apply_rule(rule, error, self.emulator.state.modes.of(self.tenant.api_key), self.warnings)

    @property
    def creates_unknown_ids(self) -> bool:
        """The tenant's mode makes unknown ids implicit resources (ids in bodies too)."""
        return self.emulator.state.modes.of(self.tenant.api_key).creates_unknown_ids

    @property
    def store(self) -> CallStore:
        store = self.tenant.store(CallStore)
        if store.rearm_pending:  # restored from a snapshot: timers first
            for rearm in self.hooks.restored:
                rearm(self, store)
        return store

    @property
    def hooks(self) -> CallHooks:
        return self.emulator.services.family(CallHooks)

    @property
    def clock(self) -> Clock:
        return self.emulator.state.clock

    @property
    def scheduler(self) -> Scheduler:
        return self.emulator.state.scheduler

    @property
    def ids(self) -> IdFactory:
        return self.tenant.ids

    def now(self) -> float:
        """Emulator time of what is happening now (the due time inside a timer)."""
        at = _timer_now.get()
        return self.emulator.state.clock.now() if at is None else at

    def iso(self, at: float | None = None) -> str:
        """``at`` (default: :meth:`now`) in RFC 3339, as ``Clock.iso`` writes it (every event
        formats its instant: formatted here directly, not through the clock's properties)."""
        return iso_instant(self.now() if at is None else at)

    def run_at(self, due: float, fn: Any) -> None:
        """Run ``fn`` as of ``due`` (see ``_timer_now``)."""
        token = _timer_now.set(due)
        try:
            fn()
        finally:
            _timer_now.reset(token)

    @property
    def tag(self) -> str:
        return f"tenant:{self.tenant.api_key}"

    def alive(self) -> bool:
        """False once the tenant was reset (its timers may still be queued for this tick)."""
        return self.emulator.state.tenants.get(self.tenant.api_key) is self.tenant


def connection_record(env: Env, collection: str, record_id: str) -> dict[str, Any] | None:
    """A record the generic CRUD service holds (``collection`` like ``call_control_applications``)
    — the one place call logic reads connection/application records."""
    if not record_id:
        return None
    store = env.tenant.stores().get(GenericStore)
    if store is None:
        return None
    for key, records in store.collections.items():
        if key.rstrip("/").endswith("/" + collection):
            found = records.get(record_id)
            if isinstance(found, dict):
                return found
    return None


def targets(env: Env, call: Call, event_type: str) -> tuple[list[str] | None, str | None]:
    """Where an event of ``call`` goes: the dial's per-event ``webhook_urls`` entry (its URLs),
    else its ``webhook_url``, else the connection's event URL, else (None) the global default
    (the dispatcher applies that when given no URL). The connection's failover URL backs up
    whichever is used. A snapshot from before lists kept one URL per event type as a string."""
    url, failover = call.webhook_url, call.webhook_failover_url
    if not (url and failover):  # the Call Control Application fills in what the dial did not say
        record = connection_record(env, "call_control_applications", call.connection_id)
        if record is not None:
            url = url or record.get("webhook_event_url") or None
            failover = failover or record.get("webhook_event_failover_url") or None
    if call.webhook_urls:
        listed: list[str] | str | None = call.webhook_urls.get(event_type)
        if listed:
            return [listed] if isinstance(listed, str) else list(listed), failover
    return [url] if url else None, failover


def emit(env: Env, call: Call, event_type: str, extra: dict[str, Any] | None = None) -> Any:
    """Queue one signed event for ``call`` (never blocks; delivery runs off the request path),
    with every property its published schema declares (``event_shapes.EventPlan``).
    TeXML-driven calls report through their own form callbacks instead, so they emit nothing.

    The event's instant is read once: its ``occurred_at``, and the ``created_at``/``occurred_at``
    its schema may declare, are one timestamp (formatting it was most of an emit's cost)."""
    if call.extra.get("texml"):
        return None
    payload = base_payload(call, event_type)
    if extra:
        payload.update(extra)
    services = env.emulator.services
    plan = services.family(EventShapes).plan(event_type)
    now = env.iso()
    urls, failover = targets(env, call, event_type)
    return services.webhooks.emit(
        tenant=env.tenant.api_key,
        event_type=event_type,
        payload=plan.fill(plan.payload, payload, call, now),
        urls=urls,
        failover_url=failover,
        ordering_key=call.call_control_id,
        occurred_at=now,
        data_fields=plan.fill(plan.data, {}, call, now) if plan.data else None,
        fixed_payload=True,  # made here, from copies of what the call holds
    )
