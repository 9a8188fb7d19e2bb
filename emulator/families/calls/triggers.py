"""Sending one event for a call on demand (``POST /_emulator/calls/{id}/events/{type}``).

Events that mean a state change go through the real logic (``call.hangup`` hangs the call up,
``call.answered`` answers a ringing call, ``call.dtmf.received`` presses a digit), so what
follows stays consistent; the rest are emitted with the call's ids, its client_state, sensible
defaults and any fields given in the body. ``call.recording.saved`` files a (silent) recording,
so the URLs it names serve audio like those of a real ``record_stop``.
"""

from __future__ import annotations

from typing import Any

from emulator.families.calls import gather, lifecycle, recordings
from emulator.families.calls.commands import BASE_URL
from emulator.families.calls.errors import CallEnded, CallNotAnswered, CannotExecute
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import Call

DEFAULTS: dict[str, dict[str, Any]] = {
    "call.initiated": {"direction": "incoming", "state": "parked"},
    "call.bridged": {},
    "call.hold": {},
    "call.unhold": {},
    "call.speak.started": {},
    "call.speak.ended": {"status": "completed"},
    "call.playback.started": {"media_url": "https://example.com/audio.mp3", "overlay": False},
    "call.playback.ended": {"media_url": "https://example.com/audio.mp3", "overlay": False, "status": "completed"},
    "call.gather.ended": {"digits": "", "status": "timeout"},
    "call.ai_gather.ended": {"result": {}, "status": "invalid", "message_history": []},
    "call.ai_gather.partial_results": {"partial_results": {}, "message_history": []},
    "call.ai_gather.message_history_updated": {"message_history": []},
    "call.machine.detection.ended": {"result": "human"},
    "call.machine.greeting.ended": {"result": "ended"},
    "call.machine.premium.detection.ended": {"result": "human_residence"},
    "call.machine.premium.greeting.ended": {"result": "beep_detected"},
    "call.refer.started": {"sip_notify_response": 100},
    "call.refer.completed": {"sip_notify_response": 200},
    "call.refer.failed": {"sip_notify_response": 603},
    "siprec.started": {},
    "siprec.stopped": {"hangup_cause": "normal_clearing"},
    "siprec.failed": {"failure_cause": "NORMAL_TEMPORARY_FAILURE"},
    "streaming.started": {"stream_url": "wss://example.com/stream"},
    "streaming.stopped": {"stream_url": "wss://example.com/stream"},
    "streaming.failed": {"failure_reason": "connection_failed", "stream_type": "websocket"},
    "call.fork.started": {"stream_type": "decrypted"},
    "call.fork.stopped": {"stream_type": "decrypted"},
    "call.recording.saved": {"channels": "single"},  # + a served recording: see _recording_saved
    "call.recording.error": {"reason": "Internal server error"},
    "call.transcription": {"transcription_data": {"transcript": "hello", "confidence": 0.98, "is_final": True}},
    "call.conversation.ended": {"calling_party_type": "pstn", "duration_sec": 0},
    "call.conversation_insights.generated": {"calling_party_type": "pstn", "results": []},
    "call.deepfake_detection.result": {"result": "real", "score": 0.02, "consistency": 0.95},
    "call.deepfake_detection.error": {"error_message": "detection_timeout"},
    "call.enqueued": {"queue": "support", "current_position": 1, "queue_avg_wait_time_secs": 0},
    "call.dequeued": {"queue": "support", "queue_position": 1, "reason": "leave", "wait_time_secs": 0},
}
DRIVEN = ("call.answered", "call.hangup", "call.dtmf.received")
TRIGGERS = frozenset((*DEFAULTS, *DRIVEN))


def trigger(env: Env, call: Call, event_type: str, body: dict[str, Any]) -> Any:
    if event_type == "call.answered":
        if call.state not in ("ringing", "parked"):
            raise CannotExecute("The call is not ringing.")
        lifecycle.callee_answers(env, call)
        return None
    if event_type == "call.hangup":
        if not call.is_alive:
            raise CallEnded("This call is no longer active.")
        lifecycle.remote_hangup(env, call)
        return None
    if event_type == "call.dtmf.received":
        digit = str(body.get("digit") or "1")
        if call.state != "answered" or digit not in gather.DTMF_SYMBOLS:
            raise CallNotAnswered("A digit needs an answered call and one DTMF symbol.")
        gather.press(env, call, digit)
        return None
    if event_type == "call.recording.saved":
        return emit(env, call, event_type, {**DEFAULTS[event_type], **_recording_saved(env, call, body), **body})
    return emit(env, call, event_type, {**DEFAULTS[event_type], **body})


def _recording_saved(env: Env, call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """The recording a triggered ``call.recording.saved`` names: one really filed (so its URLs
    are served, like those of ``record_stop``), spanning nothing — the audio is the emulator's
    silent recording. A recording running on the call is left running. The URLs use the address
    the app last reached the emulator at for this call (``commands.perform``)."""
    channels = "dual" if body.get("channels") == "dual" else "single"
    fmt = "mp3"  # what record_start is mostly asked for; the URL serves WAV, as record_stop's do
    running = call.recording
    base_url = call.extra.get(BASE_URL)
    recordings.begin(env, call, channels=channels, fmt=fmt, base_url=base_url if isinstance(base_url, str) else None)
    saved = recordings.save(env, call)
    call.recording = running
    assert saved is not None  # begin() just started it
    urls = {fmt: saved["url"]}
    return {
        "recording_id": saved["recording_id"],
        "recording_started_at": env.iso(saved["started_at"]),
        "recording_ended_at": env.iso(saved["ended_at"]),
        "recording_urls": urls,
        "public_recording_urls": dict(urls),
    }
