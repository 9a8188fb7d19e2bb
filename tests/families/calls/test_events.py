"""Every event the calls family emits validates against the published ``webhooks`` schemas of the
embedded document — produced by real flows, and by the on-demand trigger for every type."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.core.paths import embedded_spec_path
from emulator.families.calls.triggers import TRIGGERS
from tests.support.calls import CLIENT_STATE, Hit, calls_env, webhook_validators

# Every emitted type must have a published schema in the embedded document (no exceptions).
NOT_IN_EMBEDDED: set[str] = set()

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}


def _validators() -> dict:
    return webhook_validators(json.loads(Path(embedded_spec_path()).read_text()))


def _check(hits: list[Hit]) -> set[str]:
    validators = _validators()
    seen: set[str] = set()
    for hit in hits:
        seen.add(hit.event_type)
        validator = validators.get(hit.event_type)
        if validator is None:
            assert hit.event_type in NOT_IN_EMBEDDED, f"{hit.event_type} has no published schema"
            continue
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(hit.data)]
        assert not errors, (hit.event_type, errors)
        assert hit.json()["meta"]["attempt"] == 1
    return seen


def test_events_from_real_flows_validate(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550006001", "voicemail")
        h.script("+15550006002", "answer", "press 12#", "say: my name is Ada and I am 42", "say: hello", {"action": "hangup", "after": 30})
        machine = h.dial("+15550006001", answering_machine_detection="detect_beep", client_state=CLIENT_STATE)
        premium = h.dial("+15550006003", answering_machine_detection="premium")
        ccid = h.dial("+15550006002", client_state=CLIENT_STATE, record="record-from-answer", stream_url="wss://example.com/s")
        h.rx.wait(6)
        h.action(ccid, "gather_using_speak", {"payload": "Enter your code", "voice": "female"})
        h.advance(2)
        h.action(ccid, "gather_using_audio", {"audio_url": "https://example.com/menu.mp3", "maximum_tries": 1, "timeout_millis": 1000})
        h.advance(4)
        h.action(ccid, "playback_start", {"media_name": "hold-music"})
        h.action(ccid, "speak", {"payload": "one moment", "voice": "female"})
        h.action(ccid, "fork_start", {"target": "udp:192.0.2.1:9000"})
        h.action(ccid, "siprec_start", {})
        h.action(ccid, "transcription_start", {})
        h.action(ccid, "gather_using_ai", {"parameters": PERSON, "send_partial_results": True, "send_message_history_updates": True})
        h.advance(3)
        h.action(ccid, "ai_assistant_start", {"send_message_history_updates": True})
        h.advance(3)
        h.action(ccid, "ai_assistant_stop", {})
        h.action(ccid, "conversation_relay_start", {"url": "wss://example.com/relay"})
        h.action(ccid, "conversation_relay_stop", {})
        h.action(ccid, "enqueue", {"queue_name": "support", "max_wait_time_secs": 5})
        h.action(ccid, "leave_queue", {})
        h.action(ccid, "enqueue", {"queue_name": "support"})  # still queued when the party hangs up
        h.action(premium, "enqueue", {"queue_name": "support", "max_wait_time_secs": 60})  # leaves when bridged
        h.action(machine, "bridge", {"call_control_id": premium})
        h.action(premium, "refer", {"sip_address": "sip:a@example.com"})
        h.advance(40)
        hits = h.rx.settle()
        h.verify(hits)
        seen = _check(hits)
    assert seen >= {
        "call.initiated", "call.answered", "call.hangup", "call.speak.started", "call.speak.ended",
        "call.playback.started", "call.playback.ended", "call.dtmf.received", "call.gather.ended",
        "call.ai_gather.partial_results", "call.ai_gather.message_history_updated", "call.ai_gather.ended",
        "call.conversation.ended", "call.conversation_insights.generated", "call.machine.detection.ended",
        "call.machine.greeting.ended", "call.machine.premium.detection.ended", "call.bridged",
        "call.refer.started", "call.refer.completed", "siprec.started", "siprec.stopped",
        "streaming.started", "streaming.stopped", "call.fork.started", "call.fork.stopped",
        "call.recording.saved", "call.transcription", "call.enqueued", "call.dequeued",
    }  # fmt: skip
    reasons = {h.payload["reason"] for h in hits if h.event_type == "call.dequeued"}
    assert reasons == {"leave", "hangup", "bridged"}


def test_every_triggerable_event_validates(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = h.dial(client_state=CLIENT_STATE)
        h.rx.wait(2)
        payload_only = sorted(TRIGGERS - {"call.answered", "call.hangup", "call.dtmf.received"})
        for event_type in [*payload_only, "call.dtmf.received", "call.hangup"]:
            h.admin(f"/calls/{ccid}/events/{event_type}", expect=202)
        hits = h.rx.wait(2 + len(payload_only) + 2)
        h.verify(hits)
        seen = _check(hits)
    assert seen == set(payload_only) | {"call.initiated", "call.answered", "call.dtmf.received", "call.hangup"}
