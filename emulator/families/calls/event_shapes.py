"""The shape the document publishes for each call event, and completing an event to it.

Telnyx sends every property of an event's schema (unset ones as empty values), and clients read
them without checking they exist. So each event type's :class:`EventPlan` gives every event the
emulator emits each property its schema in the document's ``webhooks`` section declares, in
``data`` and in ``data.payload``: what the emitter set is kept (an object it set keeps its own
members: a recording's ``recording_urls`` names the formats recorded, no more); what the call
knows (its parties, start time, headers: ``event_fills.KNOWN``) comes from the call; the rest
gets the schema's neutral value — ``null`` where the schema allows
it, else its ``default``, else the empty value of its type (``""``, ``0``, ``false``, ``[]``, an
object completed the same way), or an enum's first value, so the event still validates.

Built once per emulator from its document (a family service: ``emulator.services.family(EventShapes)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.families.calls.event_fills import CALL, CONST, KNOWN, NEUTRAL, NOW, Fill, carried

if TYPE_CHECKING:
    from emulator.families.calls.model import Call
    from emulator.openapi.loader import SpecDocument
    from emulator.runtime.emulator import Emulator

ENVELOPE = frozenset({"record_type", "event_type", "id", "occurred_at", "payload"})
"""What the webhook dispatcher itself writes into ``data``."""


class EventShapes:
    """event_type → the resolved schema of its envelope's ``data``, and its :class:`EventPlan`."""

    def __init__(self, emulator: Emulator) -> None:
        self.doc = emulator.doc
        self.data: dict[str, dict[str, Any]] = {}
        for hook in (emulator.doc.raw.get("webhooks") or {}).values():
            try:
                schema = self._deref(hook["post"]["requestBody"]["content"]["application/json"]["schema"])
                data = self._deref(schema["properties"]["data"])
                event_types = self._deref(data["properties"]["event_type"]).get("enum") or []
            except (KeyError, TypeError):
                continue
            for event_type in event_types:
                self.data[str(event_type)] = data
        # Per event type, resolved on its first emit: the document never changes under an emulator.
        self._plans: dict[str, EventPlan] = {}

    def _deref(self, node: Any) -> Any:
        return self.doc.deref(node)

    def payload_schema(self, event_type: str) -> dict[str, Any] | None:
        data = self.data.get(event_type)
        if data is None:
            return None
        payload = self._deref((data.get("properties") or {}).get("payload"))
        return payload if isinstance(payload, dict) else None

    def plan(self, event_type: str) -> EventPlan:
        """How events of ``event_type`` are completed (worked out once per event type)."""
        try:
            return self._plans[event_type]
        except KeyError:
            plan = self._plans[event_type] = EventPlan(self.doc, self._payload_fills(event_type), self._data_fills(event_type))
            return plan

    def _payload_fills(self, event_type: str) -> tuple[Fill, ...]:
        """What completing a payload walks: its schema's (first branch's) properties, but those
        ``base_payload`` always sets; none when it declares none (the emitter's payload goes out
        as it is)."""
        schema = self.payload_schema(event_type)
        if schema is None:
            return ()
        schema = _branch(self.doc, self.doc.deref(schema))
        props = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(props, dict):
            return ()
        given = carried(event_type)
        return tuple(
            # A payload lacks ``client_state`` only when the call has none (base_payload carries a
            # set one): then it is the known value's empty string, without asking the call.
            (name, CONST, "") if name == "client_state" else self._fill(name, sub)
            for name, sub in props.items()
            if name not in given
        )

    def _data_fills(self, event_type: str) -> tuple[Fill, ...]:
        """The members of ``data`` beyond the envelope's own that the schema declares."""
        data = self.data.get(event_type)
        declared = (data.get("properties") or {}) if data is not None else {}
        return tuple(self._fill(name, sub) for name, sub in declared.items() if name not in ENVELOPE)

    def _fill(self, name: str, sub: Any) -> Fill:
        """What the call knows wins (``event_fills.KNOWN``); else the schema's neutral value: the
        event's instant when that is what it is, shared when it is a constant (immutable), made
        per event otherwise (an object or list of the event's own, as before plans)."""
        known = KNOWN.get(name)
        if known is not None:
            return (name, *known)
        probe = neutral(self.doc, sub, _INSTANT)
        if probe is _INSTANT:
            return (name, NOW, None)
        if probe is None or type(probe) in (str, int, float, bool):
            return (name, CONST, probe)
        return (name, NEUTRAL, sub)


_INSTANT = "\x00the event's instant\x00"
"""The ``now`` :meth:`EventShapes._fill` probes a schema's neutral value with: a ``date-time``
nobody set is this very object (no document string is it), so it becomes the event's instant."""


class EventPlan:
    """The fills of one event type: of its ``payload`` and of its ``data`` beside the envelope."""

    __slots__ = ("data", "doc", "payload")

    def __init__(self, doc: SpecDocument, payload: tuple[Fill, ...], data: tuple[Fill, ...]) -> None:
        self.doc = doc
        self.payload = payload
        self.data = data

    def fill(self, fills: tuple[Fill, ...], out: dict[str, Any], call: Call, now: str) -> dict[str, Any]:
        """``out`` (completed in place) with each of ``fills`` it lacks, in their (the schema's)
        order after what it has: ``payload`` on the emitter's payload, ``data`` on an empty
        dict (usually none: no ``data_fields``); ``now`` is the event's instant."""
        for name, kind, value in fills:
            if name in out:
                continue
            if kind == CONST:
                out[name] = value
            elif kind == NOW:
                out[name] = now
            elif kind == CALL:
                out[name] = value(call)
            else:
                out[name] = neutral(self.doc, value, now)
        return out


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return bool(schema.get("nullable")) or (isinstance(kind, list) and "null" in kind)


def _type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None


def _branch(doc: SpecDocument, schema: dict[str, Any]) -> dict[str, Any]:
    """The first concrete branch of a ``oneOf``/``anyOf`` (the schema itself otherwise)."""
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            first = doc.deref(branches[0])
            return first if isinstance(first, dict) else schema
    return schema


NIL_UUID = "00000000-0000-0000-0000-000000000000"


def neutral(doc: SpecDocument, schema: Any, now: str = "") -> Any:
    """The value a property nobody set gets (see the module docstring); a ``date-time`` is
    ``now`` (the event's time), a ``uuid`` the nil uuid, so formats hold too."""
    schema = doc.deref(schema)
    if not isinstance(schema, dict):
        return None
    if _nullable(schema):
        return None
    if "default" in schema:
        return schema["default"]
    enum = [v for v in schema.get("enum") or [] if v is not None]
    if enum:
        return enum[0]
    schema = _branch(doc, schema)
    kind = _type(schema)
    if kind == "object":
        return complete(doc, schema, {}, {}, now)
    if kind == "string" and schema.get("format") == "date-time":
        return now
    if kind == "string" and schema.get("format") == "uuid":
        return NIL_UUID
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}.get(kind or "")


def complete(doc: SpecDocument, schema: Any, value: dict[str, Any], known: dict[str, Any], now: str = "") -> dict[str, Any]:
    """``value`` with every property ``schema`` declares (``known`` first, else neutral values).
    An object the emitter set is kept as it is: its members say what it holds (a recording's
    ``recording_urls`` names the formats recorded, no more)."""
    schema = _branch(doc, doc.deref(schema))
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return value
    out = dict(value)
    for name, sub in props.items():
        if name not in out:
            out[name] = known[name] if name in known else neutral(doc, sub, now)
    return out
