"""Media on a call: speak, playback, recording, streaming, forking and transcription.

The emulator never fetches audio: a prompt 'lasts' ``speech_seconds(text)`` and an audio file
``MEDIA_SECONDS`` on the emulator clock, which is when the ``*.ended`` event comes; the built-in
silence (what plays when no audio is named) ``SILENCE_SECONDS``. Streams and forks connect to
nothing: they are state and their events. A recording
keeps what is said while it runs (``recordings.py``), and ``call.recording.saved`` links to the
emulator's own URL serving it as audio.
"""

from __future__ import annotations

from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls import lifecycle, recordings
from emulator.families.calls.commands import perform, require_fields
from emulator.families.calls.errors import CallNotForked, CannotExecute, StreamingInUse, TranscriptionInProgress
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import MEDIA_SECONDS, Call, speech_seconds
from emulator.families.calls.rules import FORK_TARGET, PLAYBACK_LOOP, PLAYBACK_SOURCE, STREAM_URL
from emulator.http.binding import operation
from emulator.http.context import RequestContext

SILENCE_SECONDS = 1.0
"""How long the built-in silence lasts: what a gather_using_audio without audio plays as its
prompt, and (warn mode, ``rules.PLAYBACK_SOURCE``) a playback_start that names no audio."""

# -- speak ---------------------------------------------------------------------------------------


class _SpeakEnd:
    """The end of the call's current prompt: ``call.speak.ended`` once the prompt being spoken
    when this runs has had its ``speech_seconds``. A call keeps at most one of these pending,
    however many speaks replace each other: each speak leaves its end time in ``call.speaking``
    and arms a timer only when none is pending (``timer_at``); a timer that finds a later end
    there moves on to it. One timer per speak kept thousands pending on a busy call, each held
    by the scheduler's heap: full garbage collections walked them all (tens of milliseconds,
    the p99 tail of ``speak`` under load)."""

    __slots__ = ("call", "env")

    def __init__(self, env: Env, call: Call) -> None:
        self.env = env
        self.call = call

    def __call__(self) -> None:
        env, call = self.env, self.call
        speaking = call.speaking
        if speaking is None or speaking.get("timer_at") is None:
            return  # ended meanwhile (stop, hang-up, restore): a newer speak arms its own timer
        ends_at = float(speaking.get("ends_at", 0.0))
        if ends_at > env.now():
            speaking["timer_at"] = ends_at
            lifecycle.later(env, call, ends_at - env.now(), self)
            return
        call.speaking = None
        emit(env, call, "call.speak.ended", {"status": "completed"})


def begin_speak(env: Env, call: Call, text: str, *, timer_at: float | None = None) -> None:
    """Start speaking ``text``. ``timer_at``: the due time of a speak-end timer already pending
    for the call (the prompt this one replaces armed it)."""
    call.media_generation += 1
    ends_at = env.now() + speech_seconds(text)
    call.speaking = {"token": call.media_generation, "ends_at": ends_at, "timer_at": timer_at}
    recordings.said(env, call, "outbound", text)
    emit(env, call, "call.speak.started")
    if timer_at is None or timer_at > ends_at:
        call.speaking["timer_at"] = ends_at
        lifecycle.later(env, call, ends_at - env.now(), _SpeakEnd(env, call))


@operation("SpeakCall")
async def speak_call(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        require_fields(body, "payload")
        if not body.get("voice"):
            body = {**body, "voice": "AWS.Polly.Joanna"}
        timer_at = None
        if call.speaking is not None:  # a new speak replaces the one in progress (and its timer)
            timer_at = call.speaking.get("timer_at")
            call.speaking = None
            emit(env, call, "call.speak.ended", {"status": "completed"})
        begin_speak(env, call, str(body["payload"]), timer_at=timer_at)

    return perform(ctx, act)


# -- playback ------------------------------------------------------------------------------------


def _playback_fields(pb: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"overlay": pb["overlay"]}
    if pb.get("media_url"):
        out["media_url"] = pb["media_url"]
    if pb.get("media_name"):
        out["media_name"] = pb["media_name"]
    return out


def end_playback(env: Env, call: Call, status: str) -> None:
    pb = call.playback
    if pb is None:
        return
    call.playback = None
    emit(env, call, "call.playback.ended", {**_playback_fields(pb), "status": status})


def _loops(env: Env, loop: Any) -> int | None:
    """How many times to play: ``None`` for 'infinity'; a positive integer (or its string) as
    given; anything else is ``rules.PLAYBACK_LOOP`` (warn mode: once)."""
    if loop == "infinity":
        return None
    if isinstance(loop, int) and not isinstance(loop, bool) and loop >= 1:
        return loop
    if isinstance(loop, str) and loop.isdigit() and int(loop) >= 1:
        return int(loop)
    env.business_rule(
        PLAYBACK_LOOP,
        ValidationFailed(items=[ErrorItem("loop must be a positive integer or 'infinity'.", pointer="/loop", code="10033")]),
    )
    return 1


@operation("StartCallPlayback")
async def playback_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        url, name, content = body.get("audio_url"), body.get("media_name"), body.get("playback_content")
        if not (url or name or content):
            env.business_rule(
                PLAYBACK_SOURCE,
                ValidationFailed(
                    items=[
                        ErrorItem(
                            "One of audio_url, media_name or playback_content is required.", pointer="/audio_url", code="10004"
                        )
                    ]
                ),
            )
        loops = _loops(env, body.get("loop", 1))
        if call.playback is not None:
            end_playback(env, call, "cancelled")
        call.media_generation += 1
        token = call.media_generation
        # Inline audio (playback_content) and the built-in silence have no media_url or
        # media_name: their events carry them empty, as the document says of playback_content.
        pb = {"media_url": url or None, "media_name": name or None,
              "overlay": bool(body.get("overlay", False)), "token": token}
        call.playback = pb
        emit(env, call, "call.playback.started", _playback_fields(pb))
        if loops is not None:

            def done() -> None:
                if call.playback is not None and call.playback.get("token") == token:
                    end_playback(env, call, "completed")

            seconds = MEDIA_SECONDS if (url or name or content) else SILENCE_SECONDS
            lifecycle.later(env, call, seconds * loops, done)

    return perform(ctx, act)


@operation("StopCallPlayback")
async def playback_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        end_playback(env, call, "cancelled")
        if call.speaking is not None:
            call.speaking = None
            emit(env, call, "call.speak.ended", {"status": "completed"})

    return perform(ctx, act)


# -- recording -----------------------------------------------------------------------------------


def begin_recording(env: Env, call: Call, *, channels: str, fmt: str, track: str = "both", base_url: str | None = None) -> None:
    recordings.begin(env, call, channels=channels, fmt=fmt, track=track, base_url=base_url)


def save_recording(env: Env, call: Call) -> dict[str, Any] | None:
    """End the running recording: it is filed (served at its URL) and ``call.recording.saved``
    names that URL under the format asked for. An ``mp3`` URL serves WAV (labelled audio/wav):
    there is no MP3 encoder here, and the requested key is what clients read."""
    started = call.recording
    saved = recordings.save(env, call)
    if started is None or saved is None:
        return None
    urls = {saved["format"]: saved["url"]}
    emit(
        env,
        call,
        "call.recording.saved",
        {
            "recording_id": saved["recording_id"],
            "channels": "dual" if saved["channels"] == 2 else "single",
            "recording_started_at": env.iso(saved["started_at"]),
            "recording_ended_at": env.iso(saved["ended_at"]),
            "recording_urls": urls,
            "public_recording_urls": dict(urls),
        },
    )
    return saved


@operation("StartCallRecord")
async def record_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        require_fields(body, "format", "channels")
        if body["format"] not in ("wav", "mp3"):
            raise ValidationFailed(items=[ErrorItem("format must be wav or mp3.", pointer="/format", code="10032")])
        if body["channels"] not in ("single", "dual"):
            raise ValidationFailed(items=[ErrorItem("channels must be single or dual.", pointer="/channels", code="10032")])
        if call.recording is not None:
            raise CannotExecute("A recording is already in progress on this call.")
        track = body.get("recording_track") if body.get("recording_track") in recordings.TRACKS else "both"
        begin_recording(env, call, channels=body["channels"], fmt=body["format"], track=str(track), base_url=ctx.base_url())

    return perform(ctx, act)


@operation("StopCallRecording")
async def record_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.recording is None:
            raise CannotExecute("There is no recording in progress on this call.")
        save_recording(env, call)

    return perform(ctx, act)


@operation("PauseCallRecording", "ResumeCallRecording")
async def record_pause_resume(ctx: RequestContext) -> dict[str, Any]:
    pause = ctx.operation.operation_id == "PauseCallRecording"

    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.recording is None:
            raise CannotExecute("There is no recording in progress on this call.")
        call.recording["paused"] = pause

    return perform(ctx, act)


# -- streaming, forking, transcription -------------------------------------------------------------


def begin_streaming(env: Env, call: Call, url: str | None) -> None:
    """Record the stream as running; ``url`` ``None``: a stream to nowhere (``rules.STREAM_URL``),
    whose events carry an empty stream_url. Nothing is ever connected."""
    call.streaming = {"stream_url": url, "stream_id": env.ids.uuid()}
    emit(env, call, "streaming.started", {"stream_url": url} if url else {})


def end_streaming(env: Env, call: Call) -> None:
    if call.streaming is None:
        return
    url = call.streaming["stream_url"]
    call.streaming = None
    emit(env, call, "streaming.stopped", {"stream_url": url} if url else {})


@operation("StartCallStreaming")
async def streaming_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        url = body.get("stream_url")
        if url in (None, ""):
            error = ValidationFailed(items=[ErrorItem("The 'stream_url' parameter is required.", pointer="/stream_url", code="10004")])
            env.business_rule(STREAM_URL, error)
        if call.streaming is not None:
            raise StreamingInUse("Media streaming is already running on this call.")
        begin_streaming(env, call, str(url) if url else None)

    return perform(ctx, act)


@operation("StopCallStreaming")
async def streaming_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.streaming is None:
            raise CannotExecute("Media streaming is not running on this call.")
        end_streaming(env, call)

    return perform(ctx, act)


@operation("StartCallFork")
async def fork_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if not (body.get("target") or body.get("rx") or body.get("tx")):
            error = ValidationFailed(items=[ErrorItem("target (or rx/tx) is required.", pointer="/target", code="10004")])
            env.business_rule(FORK_TARGET, error)  # warn mode: a fork to nowhere (target None)
        if call.fork is not None:
            raise CannotExecute("The call is already forked.")
        call.fork = {"target": body.get("target")}
        emit(env, call, "call.fork.started", {"stream_type": "decrypted"})

    return perform(ctx, act)


def end_fork(env: Env, call: Call) -> None:
    if call.fork is not None:
        call.fork = None
        emit(env, call, "call.fork.stopped", {"stream_type": "decrypted"})


@operation("StopCallFork")
async def fork_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.fork is None:
            raise CallNotForked("Can't stop forking, because the call isn't currently forked.")
        end_fork(env, call)

    return perform(ctx, act)


@operation("StartCallTranscription")
async def transcription_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.transcription is not None:
            raise TranscriptionInProgress("Call transcription can not be started more than once.")
        call.transcription = {"engine": body.get("transcription_engine", "Google"), "tracks": body.get("transcription_tracks", "inbound")}

    return perform(ctx, act)


@operation("StopCallTranscription")
async def transcription_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.transcription is None:
            raise CannotExecute("Call transcription is not running on this call.")
        call.transcription = None

    return perform(ctx, act)


def transcribe(env: Env, call: Call, text: str) -> None:
    """The other party said ``text``: a running recording keeps it, a running transcription
    reports it (final result)."""
    recordings.said(env, call, "inbound", text)
    if call.transcription is not None and text:
        emit(env, call, "call.transcription", {"transcription_data": {"transcript": text, "confidence": 0.98, "is_final": True}})


# -- the call's answer and hangup (``events.CallHooks``) ---------------------------------------


def start_on_answer(env: Env, call: Call) -> None:
    """What the dial (or ``actions/answer``) asked to start once the call is answered."""
    if call.record_on_answer:
        begin_recording(env, call, channels="dual", fmt="mp3")
    if call.extra.get("stream_url"):
        begin_streaming(env, call, call.extra["stream_url"])


def end_on_hangup(env: Env, call: Call) -> None:
    """Media that stops with the call reports ``call_hangup`` before ``call.hangup``."""
    if call.speaking is not None:
        call.speaking = None
        emit(env, call, "call.speak.ended", {"status": "call_hangup"})
    end_playback(env, call, "call_hangup")


def after_hangup(env: Env, call: Call) -> None:
    """What a finished call produces after ``call.hangup``."""
    end_streaming(env, call)
    end_fork(env, call)
    if call.siprec is not None:
        call.siprec = None
        emit(env, call, "siprec.stopped", {"hangup_cause": call.hangup_cause or "normal_clearing"})
    call.transcription = None
    save_recording(env, call)
