"""Conversation Relay: ``actions/conversation_relay_start`` / ``conversation_relay_stop``.

A relay connects the call's audio to the customer's WebSocket; the emulator never opens that
socket, it keeps the session as state. The session occupies the call's one AI slot
(:attr:`Call.ai`, ``kind="relay"``) because the document allows one AI Assistant *or* Conversation
Relay session per call: starting either while one runs is 422 ``90061``. The session's id is the
``conversation_relay_id`` of the start response; ``call.conversation.ended`` (the one webhook the
document lists for relays) reports its end — ``relay_stopped`` on stop, ``call_hangup`` when the
call ends. The relay's LLM is the customer's, so the event's ``llm_model`` is empty; no AI
conversation record is created (Telnyx runs no assistant here).
"""

from __future__ import annotations

import re
from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls.commands import perform
from emulator.families.calls.errors import AiSessionInProgress, CannotExecute
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import AiSession, Call
from emulator.http.binding import operation
from emulator.http.context import RequestContext

WS_URL = re.compile(r"^wss?://")
DEFAULT_STT = {"Google": "google/latest_long", "Telnyx": "distil-whisper/distil-large-v2", "Deepgram": "deepgram/nova-3"}


def _url(body: dict[str, Any]) -> str:
    settings = body.get("conversation_relay_settings")
    candidates = [
        ("/url", body.get("url")),
        ("/conversation_relay_url", body.get("conversation_relay_url")),
        ("/conversation_relay_settings/url", settings.get("url") if isinstance(settings, dict) else None),
    ]
    for pointer, value in candidates:
        if value is None:
            continue
        if not isinstance(value, str) or not WS_URL.match(value):
            raise ValidationFailed(items=[ErrorItem("The relay URL must be a ws:// or wss:// URL.", pointer=pointer, code="10033")])
        return value
    raise ValidationFailed(
        items=[ErrorItem("One of url, conversation_relay_url or conversation_relay_settings.url is required.", pointer="/url", code="10004")]
    )


def start(env: Env, call: Call, body: dict[str, Any]) -> dict[str, Any]:
    url = _url(body)
    if call.ai is not None:
        what = "A Conversation Relay" if call.ai.kind == "relay" else "An AI Assistant"
        raise AiSessionInProgress(f"{what} session is already running on this call; only one can be active.")
    engine = str(body.get("transcription_engine") or "Google")
    session = AiSession(
        kind="relay",
        conversation_id=env.ids.uuid(),
        started_at=env.now(),
        parameters={
            "url": url,
            "language": body.get("language") or "en",
            "transcription_engine": engine,
            "tts_provider": body.get("tts_provider") or "telnyx",
            "custom_parameters": body.get("custom_parameters") or {},
            "dtmf_detection": bool(body.get("dtmf_detection") or body.get("conversation_relay_dtmf_detection")),
        },
        greeting=body.get("greeting"),
        voice=str(body.get("voice") or "Telnyx.KokoroTTS.af"),
    )
    if session.greeting:
        session.message_history.append({"role": "assistant", "content": str(session.greeting)})
    call.ai = session
    return {"conversation_relay_id": session.conversation_id, "result": "ok"}


def close(env: Env, call: Call, session: AiSession, *, reason: str) -> None:
    """The relay session ends: ``call.conversation.ended`` for it."""
    if call.ai is session:
        call.ai = None
    session.generation += 1
    params = session.parameters
    engine = str(params.get("transcription_engine") or "Google")
    emit(
        env,
        call,
        "call.conversation.ended",
        {
            "conversation_id": session.conversation_id,
            "duration_sec": max(0, int(env.now() - session.started_at)),
            "calling_party_type": "pstn",
            "stt_model": DEFAULT_STT.get(engine, engine),
            "tts_provider": str(params.get("tts_provider") or "telnyx"),
            "tts_voice_id": session.voice.rsplit(".", 1)[-1],
            "reason": reason,
        },
    )


@operation("CallStartConversationRelay")
async def conversation_relay_start(ctx: RequestContext) -> dict[str, Any]:
    return perform(ctx, start)


@operation("CallStopConversationRelay")
async def conversation_relay_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.ai is None or call.ai.kind != "relay":
            raise CannotExecute("There is no Conversation Relay session running on this call.")
        close(env, call, call.ai, reason="relay_stopped")

    return perform(ctx, act)
