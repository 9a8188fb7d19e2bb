"""AI on a call: ``gather_using_ai`` and the ``ai_assistant_*`` commands.

Both run a conversation with the other party: its scripted ``say`` steps (or, for an AI gather
with nothing scripted, a seeded answer built from the ``parameters`` schema) are the user turns.
Conversations are recorded with :func:`record_conversation`, the single write path, so they are
visible under ``/ai/conversations``.
"""

from __future__ import annotations

import uuid
from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.fakes.replies import answer
from emulator.families.calls import ai_params, lifecycle, relay
from emulator.families.calls.ai_conversations import end_conversation, find_conversation, generate_insights, record_conversation
from emulator.families.calls.commands import perform, require_fields
from emulator.families.calls.errors import AiSessionInProgress, CannotExecute
from emulator.families.calls.events import Env, emit
from emulator.families.calls.media import transcribe
from emulator.families.calls.model import AI_TURN_SECONDS, AiSession, Call, Step, speech_seconds
from emulator.families.calls.rules import AI_GATHER_PARAMETERS, UNKNOWN_CONVERSATION
from emulator.http.binding import operation
from emulator.http.context import RequestContext

LLM_MODEL = "meta-llama/Meta-Llama-3.1-70B-Instruct"
STT_MODEL = "distil-whisper/distil-large-v2"
TTS_PROVIDER = "telnyx"
TTS_MODEL = "KokoroTTS"


def _as_uuid(value: str) -> str:
    """``value`` when it is a uuid (conversation ids are), else one derived from it."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"conversation:{value}"))


def _reply(env: Env, text: str) -> str:
    return answer(text, env.ids.random)


def _start_session(env: Env, call: Call, kind: str, body: dict[str, Any]) -> AiSession:
    if call.ai is not None:
        raise AiSessionInProgress("AI Assistant cannot be started more than once.")
    given = body.get("assistant")
    assistant: dict[str, Any] = given if isinstance(given, dict) else {}
    session = AiSession(
        kind=kind,
        conversation_id=env.ids.uuid(),
        started_at=env.now(),
        assistant_id=str(assistant.get("id") or ""),
        parameters=body.get("parameters") or {},
        send_partial_results=bool(body.get("send_partial_results", False)),
        send_message_history_updates=bool(body.get("send_message_history_updates", False)),
        greeting=body.get("greeting"),
        voice=str(body.get("voice") or "Telnyx.KokoroTTS.af"),
        gather_ended_speech=body.get("gather_ended_speech"),
    )
    timeout_ms = body.get("user_response_timeout_ms")
    if isinstance(timeout_ms, int) and not isinstance(timeout_ms, bool) and timeout_ms > 0:
        session.user_response_timeout = timeout_ms / 1000
    for message in body.get("message_history") or []:
        if isinstance(message, dict) and message.get("content"):
            session.message_history.append({"role": str(message.get("role", "user")), "content": str(message["content"])})
    if session.greeting:
        session.message_history.append({"role": "assistant", "content": str(session.greeting)})
    call.ai = session
    record_conversation(env, session, call)
    return session


def _history(session: AiSession) -> list[dict[str, Any]]:
    return [{"role": m["role"], "content": m["content"]} for m in session.message_history if m.get("role") in ("assistant", "user")]


def listen(env: Env, call: Call, session: AiSession, delay: float) -> None:
    """Wait ``delay`` (the assistant speaking), then take the other party's next utterance."""
    session.generation += 1
    gen = session.generation

    def turn() -> None:
        if call.ai is not session or session.generation != gen:
            return
        _take(env, call, session, gen)
        if session.kind == "ai_gather":
            lifecycle.later(env, call, session.user_response_timeout, lambda: no_response(env, call, session, gen))

    lifecycle.later(env, call, delay, turn)


def _take(env: Env, call: Call, session: AiSession, gen: int) -> bool:
    """The other party's next utterance for turn ``gen``: a scripted ``say`` (the steps after it
    run once it is heard), an unscripted party's default answer to an AI gather — or nothing yet:
    the session waits, and a ``say`` from the control API (or a step scripted later, see
    :func:`offered`) is heard then. Scripted silence leaves it waiting too."""
    how, step = lifecycle.take_input(call, "say")
    session.waiting = False
    if how == "step" and step is not None:
        lifecycle.later(env, call, step.after + AI_TURN_SECONDS, lambda: _scripted_utterance(env, call, session, step.text, gen))
    elif how == "default" and session.kind == "ai_gather":
        result = ai_params.fake_result(session.parameters, env.ids.random)
        text = ai_params.utterance_for(result)
        lifecycle.later(env, call, AI_TURN_SECONDS, lambda: hear(env, call, session, text, gen))
    else:
        session.waiting = True
    return how in ("step", "silence")


def _scripted_utterance(env: Env, call: Call, session: AiSession, text: str, gen: int) -> None:
    if call.ai is not session or session.generation != gen:
        return  # the session moved on (or ended): the words were never heard
    hear(env, call, session, text, gen)
    lifecycle.input_given(env, call)


def offered(env: Env, call: Call) -> bool:
    """``CallHooks.offered``: an AI gather / assistant waiting for the other party's next words,
    with nothing on its way, takes the ``say`` (or silence) now at the head of the script. An AI
    gather's no-response timeout keeps counting from when it started waiting."""
    session = call.ai
    if session is None or session.kind == "relay" or not session.waiting:
        return False
    return _take(env, call, session, session.generation)


def no_response(env: Env, call: Call, session: AiSession, gen: int) -> None:
    """The user-response timeout of an AI gather: it ends with what it has (when still waiting
    on turn ``gen``). Also re-armed after a restore (``service.rearm``)."""
    if call.ai is session and session.generation == gen and session.waiting:
        finish_gather(env, call, session, ai_params.gathered(session, env.now()))


def hear(env: Env, call: Call, session: AiSession, text: str, gen: int | None = None) -> None:
    """The other party says ``text`` to the AI on the call."""
    if call.ai is not session or (gen is not None and session.generation != gen):
        return
    session.waiting = False
    session.generation += 1
    session.turns += 1
    session.message_history.append({"role": "user", "content": text})
    transcribe(env, call, text)
    if session.kind == "assistant":
        reply = _reply(env, text)
        session.message_history.append({"role": "assistant", "content": reply})
        record_conversation(env, session, call)
        if session.send_message_history_updates:
            emit(env, call, "call.ai_gather.message_history_updated", {"message_history": _history(session)})
        listen(env, call, session, speech_seconds(reply))
        lifecycle.run_remote(env, call)
        return
    gathered = ai_params.gathered(session, env.now())
    if session.send_partial_results:
        emit(env, call, "call.ai_gather.partial_results", {"partial_results": gathered, "message_history": _history(session)})
    question = ai_params.follow_up(session, gathered, call.remote)
    if question is not None:
        session.message_history.append({"role": "assistant", "content": question})
        if session.send_message_history_updates:
            emit(env, call, "call.ai_gather.message_history_updated", {"message_history": _history(session)})
        record_conversation(env, session, call)
        listen(env, call, session, speech_seconds(question))
        return
    finish_gather(env, call, session, gathered)


def finish_gather(env: Env, call: Call, session: AiSession, result: dict[str, Any]) -> None:
    closing = ai_params.closing(session, result)
    session.message_history.append({"role": "assistant", "content": closing})
    if session.send_message_history_updates:
        emit(env, call, "call.ai_gather.message_history_updated", {"message_history": _history(session)})
    status = ai_params.status(session.parameters, result)
    emit(env, call, "call.ai_gather.ended", {"result": result, "status": status, "message_history": _history(session)})
    close(env, call, session, reason="gather_ended")
    lifecycle.run_remote(env, call)


def close(env: Env, call: Call, session: AiSession, *, reason: str | None) -> None:
    """The conversation ends: ``call.conversation.ended`` (+ insights for assistants)."""
    if call.ai is session:
        call.ai = None
    session.generation += 1
    duration = max(0, int(env.now() - session.started_at))
    end_conversation(env, session, call)
    voice = session.voice
    extra: dict[str, Any] = {
        "conversation_id": session.conversation_id,
        "duration_sec": duration,
        "calling_party_type": "pstn",
        "llm_model": LLM_MODEL,
        "stt_model": STT_MODEL,
        "tts_provider": TTS_PROVIDER,
        "tts_model_id": TTS_MODEL,
        "tts_voice_id": voice.rsplit(".", 1)[-1],
        "reason": reason,
    }
    if session.assistant_id:
        extra["assistant_id"] = session.assistant_id
    emit(env, call, "call.conversation.ended", extra)
    if session.kind == "assistant":
        generate_insights(env, session, call)


def say(env: Env, call: Call, text: str) -> str:
    """Control API: the other party says ``text`` now. Heard at once by a listening AI;
    otherwise queued as the next utterance. Returns what happened."""
    session = call.ai
    if session is not None and session.waiting:
        hear(env, call, session, text)
        return "heard"
    call.remote.steps.insert(0, Step(action="say", text=text))
    return "queued"


def after_hangup(env: Env, call: Call) -> None:
    """After ``call.hangup``, the AI session on the call ends with ``call_hangup``."""
    if call.ai is not None and call.ai.kind == "relay":  # a Conversation Relay holds the AI slot
        relay.close(env, call, call.ai, reason="call_hangup")
    elif call.ai is not None:
        close(env, call, call.ai, reason="call_hangup")


@operation("callGatherUsingAI")
async def gather_using_ai(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        params = body.get("parameters")
        if not isinstance(params, dict) or not params:
            error = ValidationFailed(items=[ErrorItem("parameters must be a JSON Schema object.", pointer="/parameters", code="10004")])
            env.business_rule(AI_GATHER_PARAMETERS, error)
            body = {**body, "parameters": {"type": "object", "properties": {}}}
        session = _start_session(env, call, "ai_gather", body)
        listen(env, call, session, speech_seconds(session.greeting) if session.greeting else 0.0)
        return {"conversation_id": session.conversation_id, "result": "ok"}

    return perform(ctx, act)


@operation("CallStartAIAssistant")
async def ai_assistant_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        session = _start_session(env, call, "assistant", body)
        listen(env, call, session, speech_seconds(session.greeting) if session.greeting else 0.0)
        return {"conversation_id": session.conversation_id, "result": "ok"}

    return perform(ctx, act)


@operation("CallStopAIAssistant")
async def ai_assistant_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.ai is None or call.ai.kind != "assistant":
            raise CannotExecute("There is no AI assistant running on this call.")
        close(env, call, call.ai, reason="assistant_stopped")
        lifecycle.run_remote(env, call)

    return perform(ctx, act)


@operation("CallJoinAIAssistant")
async def ai_assistant_join(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        require_fields(body, "conversation_id", "participant")
        conversation_id = str(body["conversation_id"])
        owner = find_conversation(env, conversation_id)
        if owner is None:
            env.business_rule(UNKNOWN_CONVERSATION, CannotExecute("No running AI assistant conversation has this conversation_id."))
            return {"conversation_id": _as_uuid(conversation_id), "result": "ok"}
        participant = body["participant"] if isinstance(body["participant"], dict) else {}
        owner.setdefault("participants", []).append({"call_control_id": call.call_control_id, **participant})
        return {"conversation_id": conversation_id, "result": "ok"}

    return perform(ctx, act)


@operation("CallAddMessagesToAIAssistant")
async def ai_assistant_add_messages(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        session = call.ai
        if session is None or session.kind != "assistant":
            raise CannotExecute("There is no AI assistant running on this call.")
        messages = body.get("messages") or []
        if not isinstance(messages, list):
            raise ValidationFailed(items=[ErrorItem("messages must be an array.", pointer="/messages", code="10026")])
        for message in messages:
            if isinstance(message, dict):
                content = message.get("content")
                session.message_history.append({"role": str(message.get("role", "user")), "content": "" if content is None else str(content)})
        record_conversation(env, session, call)

    return perform(ctx, act)
