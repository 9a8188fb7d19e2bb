"""Call recordings: what was said while a recording ran, the saved recordings, and their audio.

A running recording (``call.recording``) collects the lines spoken on the call, each on its side:
``outbound`` is our side (``speak`` prompts, the AI assistant's replies), ``inbound`` the other
party (its scripted utterances, as an AI on the call hears them). :func:`save` files the finished
recording in the tenant's :class:`CallRecordings`, under an unguessable token; ``GET
/_emulator/recordings/{token}.{wav|mp3}`` (public, like a pre-signed link: the token is the
secret) renders it with the emulator's TTS engine — a real WAV that says what was said, mono or
one side per channel, which our own speech-to-text transcribes back.

Lines are data on the call (snapshots keep them); the audio is rendered on each download, so a
recording costs no memory until someone listens to it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import wave
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from emulator.core.errors import NotFound
from emulator.fakes import audio
from emulator.fakes.stt import SynthesizedAudio
from emulator.runtime.family import ControlRoute

if TYPE_CHECKING:
    from emulator.families.calls.events import Env
    from emulator.families.calls.model import Call
    from emulator.runtime.emulator import Emulator

RATE = 8000  # telephone audio
GAP_SECONDS = 0.3  # silence between two lines
SIDES = ("inbound", "outbound")
TRACKS = {"inbound": ("inbound",), "outbound": ("outbound",), "both": SIDES}
PATH = "/_emulator/recordings"


@dataclass
class CallRecordings:
    """Per tenant: token -> a saved recording (its lines, channels, times, format)."""

    snapshot_name = "call_recordings"

    by_token: dict[str, dict[str, Any]] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"recordings": self.by_token}

    @classmethod
    def load(cls, data: Any) -> CallRecordings:
        """Snapshot protocol (``emulator/core/snapshot.py``): the inverse of ``dump``."""
        records = data["recordings"] if isinstance(data, dict) else None
        if not isinstance(records, dict) or not all(isinstance(r, dict) for r in records.values()):
            raise TypeError("recordings must map tokens to objects")
        return cls(by_token={str(k): dict(v) for k, v in records.items()})


# -- while recording ---------------------------------------------------------------------------


def begin(env: Env, call: Call, *, channels: str, fmt: str, track: str = "both", base_url: str | None = None) -> dict[str, Any]:
    """Start recording ``call``: from now on what is said on it is kept (``call.recording``)."""
    settings = env.emulator.settings
    rec: dict[str, Any] = {
        "recording_id": env.ids.uuid(), "started_at": env.now(), "channels": channels, "format": fmt, "paused": False,
        "track": track if track in TRACKS else "both", "lines": [],
        "base_url": (base_url or f"http://{settings.host}:{settings.port}").rstrip("/"),
        # AI messages already on the call before the recording started are not in it
        "ai": [call.ai.conversation_id, len(call.ai.message_history)] if call.ai is not None else None,
    }
    call.recording = rec
    return rec


def _sync_ai(call: Call, rec: dict[str, Any], now: float) -> None:
    """Take the AI's replies added since the last look (they are only in its message history;
    the other party's lines come through :func:`said`, in the order they were heard)."""
    session = call.ai
    if session is None or session.kind == "relay":
        return
    seen = rec.get("ai")
    start = seen[1] if isinstance(seen, list) and seen and seen[0] == session.conversation_id else 0
    for message in session.message_history[start:]:
        if message.get("role") == "assistant" and message.get("content") and not rec["paused"]:
            rec["lines"].append([now, "outbound", str(message["content"])])
    rec["ai"] = [session.conversation_id, len(session.message_history)]


def said(env: Env, call: Call, side: str, text: str) -> None:
    """``text`` was said on ``call`` by ``side`` (``inbound``/``outbound``): a running,
    unpaused recording keeps it."""
    rec = call.recording
    if rec is None or not text:
        return
    _sync_ai(call, rec, env.now())
    if not rec["paused"]:
        rec["lines"].append([env.now(), side, text])


# -- saved recordings --------------------------------------------------------------------------


def _token(env: Env, recording_id: str) -> str:
    """Unguessable yet deterministic: an HMAC of the recording under the emulator's private
    signing key (same key + same requests = same URLs, and nobody without the key can forge one)."""
    secret = base64.b64decode(env.emulator.services.webhooks.signing_key.seed_b64)
    mac = hmac.new(secret, f"recording|{env.tenant.api_key}|{recording_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def save(env: Env, call: Call) -> dict[str, Any] | None:
    """End the running recording of ``call`` and file it; returns the saved recording (or None
    when nothing was recording). ``url`` is where its audio is served."""
    rec = call.recording
    if rec is None:
        return None
    _sync_ai(call, rec, env.now())
    call.recording = None
    recording_id = str(rec.get("recording_id") or env.ids.uuid())
    call.recording_ids.append(recording_id)
    token = _token(env, recording_id)
    sides = TRACKS[rec.get("track", "both")]
    saved = {
        "recording_id": recording_id,
        "token": token,
        "call_control_id": call.call_control_id,
        "channels": 2 if rec["channels"] == "dual" else 1,
        "format": rec["format"],
        "started_at": rec["started_at"],
        "ended_at": env.now(),
        "lines": [[side, text] for _, side, text in rec["lines"] if side in sides],
        "url": f"{rec['base_url']}{PATH}/{token}.{rec['format']}",
    }
    env.tenant.store(CallRecordings).by_token[token] = saved
    return saved


def find(env: Env, recording_id: str) -> dict[str, Any] | None:
    """A saved recording of this tenant by its id."""
    return next((r for r in env.tenant.store(CallRecordings).by_token.values() if r["recording_id"] == recording_id), None)


def duration(saved: dict[str, Any]) -> int:
    return max(0, int(saved["ended_at"] - saved["started_at"]))


def is_absent(saved: dict[str, Any]) -> bool:
    """Nothing was said while it ran (TeXML reports such a recording as ``absent``)."""
    return not saved["lines"]


# -- the audio ---------------------------------------------------------------------------------


def _speak(emulator: Emulator, text: str, side: str) -> audio.Speech:
    female = side == "outbound"  # two voices, so a listener tells the sides apart
    if emulator.settings.tts_engine != "builtin":
        spoken = audio.espeak(text, rate=RATE, female=female)
        if spoken is not None:
            return spoken
    return audio.babble(text, rate=RATE, f0=210 if female else 120)


def render(emulator: Emulator, saved: dict[str, Any]) -> tuple[bytes, audio.Speech]:
    """The recording as WAV bytes (16-bit PCM, 8 kHz): its lines spoken one after another; in a
    dual recording the other party (inbound) is channel 1 and our side channel 2."""
    gap = array("h", bytes(2 * int(RATE * GAP_SECONDS)))
    mono = array("h")
    runs: list[tuple[str, int]] = []  # (side, samples): whose line each stretch is
    segments: list[dict[str, Any]] = []
    for side, text in saved["lines"]:
        start = len(mono)
        spoken = _speak(emulator, text, side)
        mono.extend(spoken.samples)
        mono.extend(gap)
        runs.append((side, len(spoken.samples) + len(gap)))
        segments.append({"start": round(start / RATE, 3), "end": round((start + len(spoken.samples)) / RATE, 3), "text": text, "channel": side})
    if not segments:  # nothing was said: a second of silence, still a valid file
        mono = array("h", bytes(2 * RATE))
        runs = [("inbound", RATE)]
    speech = audio.Speech(mono, RATE, " ".join(t for _, t in saved["lines"]), segments, engine="builtin")
    if saved["channels"] != 2:
        return audio.encode_wav(speech, {"recording_id": saved["recording_id"]}), speech
    stereo = array("h", bytes(4 * len(mono)))
    at = 0
    for side, n in runs:  # each run on its side's channel, silence on the other
        channel = 0 if side == "inbound" else 1
        stereo[2 * at + channel : 2 * (at + n) : 2] = mono[at : at + n]
        at += n
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(stereo.tobytes())
    return out.getvalue(), speech


async def download(request: Request) -> Response:
    # Public like a pre-signed link: the unguessable token is the secret (see ``_token``).
    emulator = request.app.state.emulator
    token, _, ext = str(request.path_params["file_name"]).rpartition(".")
    for tenant in list(emulator.state.tenants.values()):
        store = tenant.stores().get(CallRecordings)
        saved = store.by_token.get(token) if store is not None else None
        if saved is None or ext != saved["format"]:
            continue
        data, speech = await anyio.to_thread.run_sync(render, emulator, saved)
        tenant.store(SynthesizedAudio).remember(data, speech.text, speech.duration, speech.segments)
        # No MP3 encoder exists here (see ``emulator/fakes/audio.py``): an ``.mp3`` recording is
        # served as the WAV it really is, labelled audio/wav, never as mislabelled bytes.
        headers = {"x-emulator-audio-format": "wav", "content-disposition": f'inline; filename="{saved["recording_id"]}.wav"'}
        return Response(data, media_type="audio/wav", headers=headers)
    raise NotFound("No recording at this URL.")


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", PATH + "/{file_name}", download, "downloadCallRecording",
        "Audio of a saved call recording (the URL its webhook or TeXML callback names)",
        {
            "parameters": [{"name": "file_name", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "<token>.wav or <token>.mp3, as given in the recording's URL"}],
            "responses": {"200": {"description": "WAV audio", "content": {"audio/wav": {}}}, "404": {"description": "no such recording"}},
        },
        access="public",  # like a pre-signed link: the unguessable token is the secret
    ),
)
