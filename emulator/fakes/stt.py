"""Speech-to-text without a model: how an upload becomes a transcript, and what is remembered.

The transcript of an upload is, in order of precedence:

1. a transcript scripted for the file's SHA-256 (control API ``POST /_emulator/transcripts``);
2. the text our own TTS embedded in it (WAV ``tlnx`` chunk), or remembered for its hash (raw
   PCM/G.711 outputs carry no container to embed into);
3. a deterministic sentence chosen from the hash — same file, same words, every run.

Stores (per tenant, via ``ctx.tenant.store(...)``):

* :class:`TranscriptionLog` — every transcription made (seconds, model, when); the legacy STT
  usage report reads it through ``entries`` / ``dump()``.
* :class:`TranscriptScripts` — scripted transcripts by file hash.
* :class:`SynthesizedAudio` — what our TTS said, by output hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from emulator.fakes.audio import AudioError, AudioInfo, proportional_segments, read_audio, split_sentences

WORDS_PER_SECOND = 2.6  # conversational speech rate, for durations we cannot measure


@dataclass
class TranscriptionRecord:
    id: str
    created_at: str
    model: str
    duration: float  # seconds of audio transcribed (what usage is billed on)
    sha256: str
    source: str  # "upload" | "file_url"
    language: str | None
    response_format: str
    characters: int
    at: float = 0.0  # emulator-clock unix seconds of created_at (for date-range reports)


@dataclass
class TranscriptionLog:
    """Every transcription a tenant made, oldest first."""

    snapshot_name = "transcription_log"
    snapshot_aliases = ("emulator.engines.stt:TranscriptionLog",)  # its key before stores had names

    entries: list[TranscriptionRecord] = field(default_factory=list)

    def record(self, entry: TranscriptionRecord) -> None:
        self.entries.append(entry)

    def total_seconds(self, model: str | None = None) -> float:
        return round(sum(e.duration for e in self.entries if model is None or e.model == model), 3)

    def dump(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries]

    @classmethod
    def load(cls, data: list[dict[str, Any]]) -> TranscriptionLog:
        """Snapshot protocol (``emulator/core/snapshot.py``): the inverse of ``dump``."""
        return cls([TranscriptionRecord(**entry) for entry in data])


@dataclass
class TranscriptScripts:
    """sha256 (hex, lower case) -> the transcript to return for that exact file."""

    snapshot_name = "transcript_scripts"
    snapshot_aliases = ("emulator.engines.stt:TranscriptScripts",)  # its key before stores had names

    by_hash: dict[str, str] = field(default_factory=dict)

    def put(self, sha256: str, text: str) -> None:
        self.by_hash[sha256.lower()] = text

    def get(self, sha256: str) -> str | None:
        return self.by_hash.get(sha256.lower())

    def remove(self, sha256: str) -> bool:
        return self.by_hash.pop(sha256.lower(), None) is not None

    def dump(self) -> dict[str, str]:
        return dict(self.by_hash)

    @classmethod
    def load(cls, data: dict[str, str]) -> TranscriptScripts:
        return cls({str(k).lower(): str(v) for k, v in data.items()})


@dataclass
class SynthesizedAudio:
    """sha256 of audio our TTS produced -> {"text", "duration", "segments"}."""

    snapshot_name = "synthesized_audio"
    snapshot_aliases = ("emulator.engines.stt:SynthesizedAudio",)  # its key before stores had names

    by_hash: dict[str, dict[str, Any]] = field(default_factory=dict)

    def remember(self, data: bytes, text: str, duration: float, segments: list[dict[str, Any]]) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.by_hash[digest] = {"text": text, "duration": round(duration, 3), "segments": segments}
        return digest

    def get(self, sha256: str) -> dict[str, Any] | None:
        return self.by_hash.get(sha256)

    def dump(self) -> dict[str, Any]:
        return {h: dict(v) for h, v in self.by_hash.items()}

    @classmethod
    def load(cls, data: dict[str, Any]) -> SynthesizedAudio:
        return cls({h: {"text": v["text"], "duration": float(v["duration"]), "segments": list(v["segments"])} for h, v in data.items()})


@dataclass
class Transcript:
    text: str
    duration: float
    segments: list[dict[str, Any]]
    sha256: str
    origin: str  # scripted | embedded | remembered | generated


# Our own phrase bank: openings, requests and closings typical of a phone conversation.
_OPENINGS = (
    "Hi, thanks for calling.", "Hello, this is Sam speaking.", "Good morning.", "Hey, it's me again.",
    "Hello, can you hear me?", "Thanks for getting back to me.", "Hi there.", "Good afternoon.",
)
_MIDDLES = (
    "I'd like to check the status of my order.", "I'm calling about the invoice from last month.",
    "Could you move my appointment to Thursday?", "The delivery arrived but one item is missing.",
    "I want to update the billing address on my account.", "My internet has been dropping since yesterday.",
    "Can you tell me when the store opens tomorrow?", "I need to reset the password for my account.",
    "We would like to book a table for four people.", "I'm following up on the support ticket I opened.",
)
_CLOSINGS = (
    "Please call me back when you can.", "Thanks, have a great day.", "Let me know if you need anything else.",
    "I'll wait for your email.", "That's all for now, goodbye.", "Talk to you soon.",
)


def generated_text(sha256: str, duration: float | None) -> str:
    """A deterministic, plausible transcript picked by the file hash (longer audio, more words)."""
    seed = int(sha256[:16], 16)
    parts = [_OPENINGS[seed % len(_OPENINGS)]]
    want = max(1, round((duration or 4.0) * WORDS_PER_SECOND / 8))  # ~8 words per sentence
    for i in range(max(1, want - 1)):
        parts.append(_MIDDLES[(seed >> (4 + 3 * i)) % len(_MIDDLES)])
        if len(parts) > 12:
            break
    if want > 2:
        parts.append(_CLOSINGS[(seed >> 40) % len(_CLOSINGS)])
    return " ".join(parts)


def transcribe(
    data: bytes,
    *,
    scripts: TranscriptScripts | None = None,
    remembered: SynthesizedAudio | None = None,
) -> Transcript:
    """The transcript of ``data``; raises :class:`AudioError` when the bytes are not audio."""
    digest = hashlib.sha256(data).hexdigest()
    known = remembered.get(digest) if remembered else None
    scripted = scripts.get(digest) if scripts else None
    info: AudioInfo | None = None
    if known is None:
        try:
            info = read_audio(data)
        except AudioError:
            if scripted is None:  # a scripted hash is the user's word that this is audio
                raise
    duration = known["duration"] if known else info.duration if info else 0.0
    if scripted is not None:
        if duration == 0.0:
            duration = round(len(scripted.split()) / WORDS_PER_SECOND, 3)
        return Transcript(scripted, duration, proportional_segments(scripted, duration), digest, "scripted")
    if known is not None:
        return Transcript(known["text"], duration, list(known["segments"]), digest, "remembered")
    assert info is not None
    meta = info.meta
    if meta and isinstance(meta.get("text"), str):
        segments = meta.get("segments")
        if not isinstance(segments, list):
            segments = proportional_segments(meta["text"], duration)
        return Transcript(meta["text"], duration, segments, digest, "embedded")
    text = generated_text(digest, duration)
    return Transcript(text, duration, proportional_segments(text, duration), digest, "generated")


__all__ = [
    "AudioError",
    "SynthesizedAudio",
    "Transcript",
    "TranscriptScripts",
    "TranscriptionLog",
    "TranscriptionRecord",
    "generated_text",
    "split_sentences",
    "transcribe",
]
