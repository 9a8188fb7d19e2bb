"""Speech audio without a speech model: what families import, and the formats it is served in.

Where things live: the sound itself — :class:`Speech`, the built-in "babble" vocoder and
espeak-ng — in ``fakes/synthesis.py``; reading uploads (container from magic bytes, duration,
our metadata back) in ``fakes/probe.py``; MP3/OGG encoding in ``fakes/encoders.py``. This module
writes the uncompressed formats and re-exports the rest, so families and tests import every
audio name from here.

Round trip: every WAV we produce carries the exact text (and sentence timings) in a private
RIFF chunk ``tlnx`` holding UTF-8 JSON, after the ``data`` chunk where every reader skips it.
The transcription endpoint reads it back, so our own TTS always transcribes to its input.

Formats: :func:`encode` turns speech into what was asked for. WAV, raw PCM and G.711 are written
here; MP3 (the Telnyx default) and OGG/Opus need an encoder the standard library lacks, so they
come from PyAV when the optional ``audio`` extra is installed (``fakes/encoders.py``). Without
it, mp3/ogg requests get WAV with ``Content-Type: audio/wav`` — honest bytes every player
handles — rather than a mislabelled or silent file; the served format is always named (the
``x-emulator-audio-format`` header).
"""

from __future__ import annotations

import struct
from array import array
from functools import lru_cache
from typing import Any

import orjson

from emulator.fakes import encoders
from emulator.fakes.probe import META_CHUNK, AudioError, AudioInfo, read_audio, sniff
from emulator.fakes.synthesis import Speech, babble, espeak, espeak_binary, proportional_segments, split_sentences

__all__ = [
    "MEDIA_TYPES",
    "META_CHUNK",
    "AudioError",
    "AudioInfo",
    "Speech",
    "babble",
    "encode",
    "encode_g711",
    "encode_wav",
    "espeak",
    "espeak_binary",
    "proportional_segments",
    "read_audio",
    "served_format",
    "sniff",
    "split_sentences",
]

MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm", "mulaw": "audio/basic", "alaw": "audio/x-alaw-basic", "mp3": "audio/mpeg", "ogg": "audio/ogg"}
"""Content-Type of each format :func:`encode` serves."""


def served_format(fmt: str) -> str:
    """The format a request for ``fmt`` is answered in: itself, or WAV when it is mp3/ogg and
    PyAV (the ``audio`` extra) is not installed."""
    if fmt in encoders.CODECS and not encoders.available(fmt):
        return "wav"
    return fmt


def encode(speech: Speech, fmt: str, meta: dict[str, Any] | None = None) -> tuple[bytes, str]:
    """``(bytes, served format)`` of ``speech`` as ``fmt`` (wav, pcm, mulaw, alaw, mp3, ogg).

    Only WAV carries our ``tlnx`` metadata chunk; compressed output is recognised on upload by
    its bytes instead (the tenant remembers what it synthesized).
    """
    served = served_format(fmt)
    if served in encoders.CODECS:
        return encoders.encode(speech.samples, speech.rate, served, title=speech.text), served
    if served == "pcm":
        return speech.samples.tobytes(), served
    if served in ("mulaw", "alaw"):
        return encode_g711(speech, served), served
    return encode_wav(speech, meta), "wav"


def encode_wav(speech: Speech, meta: dict[str, Any] | None = None) -> bytes:
    """16-bit mono PCM WAV with our ``tlnx`` metadata chunk after ``data``."""
    pcm = speech.samples.tobytes() if speech.samples.itemsize == 2 else b""
    fmt = struct.pack("<HHIIHH", 1, 1, speech.rate, speech.rate * 2, 2, 16)
    info = _chunk(b"ISFT", b"telnyx-emulator\x00")
    payload = orjson.dumps({"v": 1, "text": speech.text, "segments": speech.segments, **(meta or {})})
    body = (
        b"WAVE" + _chunk(b"fmt ", fmt) + _chunk(b"data", pcm)
        + _chunk(b"LIST", b"INFO" + info) + _chunk(META_CHUNK, payload)
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def _ulaw(sample: int) -> int:
    """ITU-T G.711 mu-law of a 16-bit sample (the classic 14-bit Sun reference algorithm)."""
    value, mask = sample >> 2, 0xFF
    if value < 0:
        value, mask = -value, 0x7F
    value = min(value, 8159) + 33
    segment = max(0, value.bit_length() - 6)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def _alaw(sample: int) -> int:
    """ITU-T G.711 A-law of a 16-bit sample (13-bit reference algorithm)."""
    value, mask = sample >> 3, 0xD5
    if value < 0:
        value, mask = -value - 1, 0x55
    value = min(value, 4095)
    segment = max(0, value.bit_length() - 5)
    mantissa = (value >> 1) & 0x0F if segment < 2 else (value >> segment) & 0x0F
    return ((segment << 4) | mantissa) ^ mask


def encode_g711(speech: Speech, law: str) -> bytes:
    """Raw G.711 (``mulaw`` or ``alaw``), 8-bit per sample, at the speech's rate."""
    table = _g711_table(law)
    return bytes(map(table.__getitem__, array("H", speech.samples.tobytes())))


@lru_cache(maxsize=2)
def _g711_table(law: str) -> bytes:
    """Code of every 16-bit sample, indexed by its unsigned bit pattern (one lookup per sample)."""
    fn = _ulaw if law == "mulaw" else _alaw
    return bytes(fn(u - 65536 if u >= 32768 else u) for u in range(65536))
