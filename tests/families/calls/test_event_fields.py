"""Every call event carries every property its published schema declares — in ``data`` and in
``data.payload`` — not only the required ones, and still validates (clients read fields without
checking they exist; Telnyx sends them all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.core.paths import embedded_spec_path
from emulator.families.calls.triggers import TRIGGERS
from tests.support.calls import CLIENT_STATE, Hit, calls_env, webhook_validators

DOC = json.loads(Path(embedded_spec_path()).read_text())
VALIDATORS = webhook_validators(DOC)
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}


def deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = DOC["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def declared() -> dict[str, tuple[set[str], set[str]]]:
    """event_type -> (the properties of ``data``, the properties of ``data.payload``)."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for hook in DOC["webhooks"].values():
        data = deref(deref(hook["post"]["requestBody"]["content"]["application/json"]["schema"])["properties"]["data"])
        payload = deref(data["properties"].get("payload", {}))
        for event_type in deref(data["properties"]["event_type"]).get("enum") or []:
            out[event_type] = (set(data["properties"]), set(payload.get("properties") or {}))
    return out


def check(hits: list[Hit]) -> set[str]:
    shapes = declared()
    seen: set[str] = set()
    for hit in hits:
        seen.add(hit.event_type)
        data_props, payload_props = shapes[hit.event_type]
        assert data_props <= set(hit.data), (hit.event_type, "data lacks", sorted(data_props - set(hit.data)))
        assert payload_props <= set(hit.payload), (hit.event_type, "payload lacks", sorted(payload_props - set(hit.payload)))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATORS[hit.event_type].iter_errors(hit.data)]
        assert not errors, (hit.event_type, errors)
    return seen


def test_a_full_call_flow_sends_every_declared_property(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550008002", "answer", "press 12#", "say: my name is Ada and I am 42", "say: hello", {"action": "hangup", "after": 30})
        h.script("+15550008001", "voicemail")
        machine = h.dial("+15550008001", answering_machine_detection="detect_beep")
        ccid = h.dial("+15550008002", client_state=CLIENT_STATE, record="record-from-answer", stream_url="wss://example.com/s")
        h.rx.wait(4)
        h.action(ccid, "speak", {"payload": "welcome", "voice": "female"})
        h.advance(2)
        h.action(ccid, "gather_using_speak", {"payload": "Enter your code", "voice": "female"})
        h.advance(2)
        h.action(ccid, "playback_start", {"media_name": "hold-music"})
        h.action(ccid, "fork_start", {"target": "udp:192.0.2.1:9000"})
        h.action(ccid, "siprec_start", {})
        h.action(ccid, "transcription_start", {})
        h.action(ccid, "gather_using_ai", {"parameters": PERSON, "send_partial_results": True, "send_message_history_updates": True})
        h.advance(3)
        h.action(ccid, "ai_assistant_start", {"assistant": {"id": "assistant-1"}})
        h.advance(3)
        h.action(ccid, "ai_assistant_stop", {})
        h.action(ccid, "conversation_relay_start", {"url": "wss://example.com/relay"})
        h.action(ccid, "conversation_relay_stop", {})
        h.action(ccid, "enqueue", {"queue_name": "support"})
        h.action(ccid, "leave_queue", {})
        supervisor = h.dial("+15550008003", supervise_call_control_id=ccid, supervisor_role="monitor")
        h.action(machine, "refer", {"sip_address": "sip:a@example.com"})
        h.advance(40)
        hits = h.rx.settle()
        h.verify(hits)
        seen = check(hits)
    assert supervisor and seen >= {
        "call.initiated", "call.answered", "call.hangup", "call.speak.started", "call.speak.ended",
        "call.playback.started", "call.playback.ended", "call.dtmf.received", "call.gather.ended",
        "call.ai_gather.partial_results", "call.ai_gather.message_history_updated", "call.ai_gather.ended",
        "call.conversation.ended", "call.conversation_insights.generated", "call.machine.detection.ended",
        "call.machine.greeting.ended", "call.bridged", "call.refer.started", "call.refer.completed",
        "siprec.started", "siprec.stopped", "streaming.started", "streaming.stopped", "call.fork.started",
        "call.fork.stopped", "call.recording.saved", "call.transcription", "call.enqueued", "call.dequeued",
    }  # fmt: skip
    ended = [x for x in hits if x.event_type == "call.conversation.ended"]
    assert all(x.data["created_at"] == x.data["occurred_at"] for x in ended)  # the data-level member too
    initiated = next(x.payload for x in hits if x.event_type == "call.initiated" and x.payload["call_control_id"] == ccid)
    assert (initiated["caller_id_name"], initiated["tags"], initiated["sip_headers"]) == ("+13125550001", [], [])
    plain = next(x.payload for x in hits if x.event_type == "call.initiated" and x.payload["call_control_id"] == machine)
    assert plain["client_state"] == ""  # declared, unset: sent empty (the schema has no null)


def test_every_triggerable_event_sends_every_declared_property(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = h.dial(client_state=CLIENT_STATE)
        h.rx.wait(2)
        types = sorted(TRIGGERS - {"call.answered", "call.hangup", "call.dtmf.received"})
        for event_type in [*types, "call.dtmf.received", "call.hangup"]:
            h.admin(f"/calls/{ccid}/events/{event_type}", expect=202)
        hits = h.rx.wait(2 + len(types) + 2)
        h.verify(hits)
        seen = check(hits)
    assert seen == set(types) | {"call.initiated", "call.answered", "call.dtmf.received", "call.hangup"}
