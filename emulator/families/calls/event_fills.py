"""What a call event takes from its call: the ids (and parties) every payload starts with
(:func:`base_payload`), and how a property its emitter did not set gets its value — from what the
call itself knows (``KNOWN``: its parties, start time, headers), else from the schema.

``event_shapes`` turns each event type's schema into a list of fills once, so emitting an event
fills only the properties its schema declares, each in one step: a speak event's payload lacks
one property (``client_state``), and building all fourteen known values per event (copied lists,
a formatted start time) was most of what completing it cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.clock import iso_instant

if TYPE_CHECKING:
    from emulator.families.calls.model import Call

# Events whose published payload carries the parties (``from``/``to``); others carry only ids.
WITH_PARTIES = frozenset(
    {
        "call.initiated",
        "call.answered",
        "call.hangup",
        "call.bridged",
        "call.dtmf.received",
        "call.gather.ended",
        "call.ai_gather.ended",
        "call.ai_gather.partial_results",
        "call.ai_gather.message_history_updated",
        "call.machine.detection.ended",
        "call.machine.greeting.ended",
        "call.machine.premium.detection.ended",
        "call.machine.premium.greeting.ended",
        "call.refer.started",
        "call.refer.completed",
        "call.refer.failed",
        "call.conversation.ended",
        "call.hold",
        "call.unhold",
    }
)

IDS = ("call_control_id", "call_leg_id", "call_session_id", "connection_id")
"""What every call event's payload carries first (:func:`base_payload`)."""


def carried(event_type: str) -> frozenset[str]:
    """The payload members :func:`base_payload` always sets for ``event_type`` (never filled)."""
    return frozenset(IDS + ("from", "to")) if event_type in WITH_PARTIES else frozenset(IDS)


def base_payload(call: Call, event_type: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "call_control_id": call.call_control_id,
        "call_leg_id": call.call_leg_id,
        "call_session_id": call.call_session_id,
        "connection_id": call.connection_id,
    }
    if event_type in WITH_PARTIES:
        payload["from"] = call.from_
        payload["to"] = call.to
    if call.client_state is not None:
        payload["client_state"] = call.client_state
    return payload


CONST = 0
"""The fill's value is the value itself (immutable: shared by every event)."""
NOW = 1
"""The event's instant (its ``occurred_at``, already formatted)."""
CALL = 2
"""The value is ``getter(call)``, made per event (a list is the event's own)."""
NEUTRAL = 3
"""The value is ``neutral(doc, schema, now)``, made per event (an object or list of its own)."""

Fill = tuple[str, int, Any]
"""(property name, kind, the value / getter / schema the kind uses)."""

CODECS = "G722,PCMU,PCMA,G729,OPUS,VP8,H264"
"""What the emulator says a connection supports and a caller offers (it never negotiates media)."""


_START_ISO: dict[float, str] = {}
"""``call.created_at`` → its RFC 3339 form: every event of a call carries its start time, and
formatting an instant is pure, so each call's is formatted once (bounded: cleared when full)."""


def start_time(call: Call) -> str:
    at = call.created_at
    text = _START_ISO.get(at)
    if text is None:
        if len(_START_ISO) >= 4096:
            _START_ISO.clear()
        text = _START_ISO[at] = iso_instant(at)
    return text


def _client_state(call: Call) -> str:
    return call.client_state if call.client_state is not None else ""


def _from(call: Call) -> str:
    return call.from_


def _to(call: Call) -> str:
    return call.to


def _direction(call: Call) -> str:
    return call.direction


def _custom_headers(call: Call) -> list[dict[str, Any]]:
    return list(call.custom_headers)


def _empty_list(_call: Call) -> list[Any]:
    return []


KNOWN: dict[str, tuple[int, Any]] = {
    "from": (CALL, _from),
    "to": (CALL, _to),
    "direction": (CALL, _direction),
    "start_time": (CALL, start_time),
    "client_state": (CALL, _client_state),
    "caller_id_name": (CALL, _from),
    "custom_headers": (CALL, _custom_headers),
    "sip_headers": (CALL, _empty_list),
    "tags": (CALL, _empty_list),
    "calling_party_type": (CONST, "pstn"),
    "connection_codecs": (CONST, CODECS),
    "offered_codecs": (CONST, CODECS),
    "created_at": (NOW, None),
    "occurred_at": (NOW, None),
}
"""What the call itself says about properties an event's schema declares: (kind, value or
getter). These win over the schema's neutral values."""
