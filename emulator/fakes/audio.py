"""Speech audio without a speech model: synthesis, WAV/G.711 encoding, and container parsing.

Synthesis: when ``espeak-ng`` (or ``espeak``) is on PATH and the engine is ``auto``/``espeak``,
the text is spoken by it (intelligible). Otherwise a built-in "babble" vocoder renders each
letter — vowels as a pitched harmonic wave shaped by the vowel's formants, consonants as shaped
noise, spaces and punctuation as pauses — so the audio is real, playable, and its length grows
with the text (~13 letters per second at speed 1).

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

import io
import math
import re
import shutil
import struct
import subprocess
import wave
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from emulator.fakes import encoders

META_CHUNK = b"tlnx"
PEAK = 0.55 * 32767

# Vowel formants (F1, F2, F3) in Hz — textbook averages for an adult voice.
_FORMANTS: dict[str, tuple[int, int, int]] = {
    "a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010),
    "o": (570, 840, 2410), "u": (300, 870, 2240), "y": (400, 1900, 2500),
}
# Consonant noise "colour": the one-pole low-pass coefficient (higher = darker) and level.
_CONSONANT: dict[str, tuple[float, float]] = {
    "s": (0.05, 0.35), "z": (0.1, 0.3), "f": (0.2, 0.2), "v": (0.4, 0.25), "h": (0.6, 0.15),
    "t": (0.15, 0.4), "k": (0.35, 0.4), "p": (0.5, 0.4), "b": (0.7, 0.35), "d": (0.6, 0.35),
    "g": (0.7, 0.35), "m": (0.9, 0.3), "n": (0.88, 0.3), "l": (0.85, 0.3), "r": (0.8, 0.3),
}
VOWEL_SECONDS = 0.09
CONSONANT_SECONDS = 0.06
SPACE_SECONDS = 0.07
PAUSE_SECONDS = 0.25


class AudioError(ValueError):
    """The bytes are not audio we can read (or the synthesis request is impossible)."""


@dataclass
class Speech:
    samples: array  # signed 16-bit mono PCM
    rate: int
    text: str
    segments: list[dict[str, Any]] = field(default_factory=list)  # {"start","end","text"}
    engine: str = "builtin"

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


# --- built-in synthesis ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _vowel_period(vowel: str, rate: int, f0: int) -> array:
    """One pitch period of a voiced vowel: harmonics of f0 weighted by formant resonances."""
    period = max(2, round(rate / f0))
    formants = _FORMANTS.get(vowel, _FORMANTS["a"])
    harmonics = []
    k = 1
    while k * f0 < min(4000, rate / 2):
        freq = k * f0
        gain = sum(1.0 / (1.0 + ((freq - f) / 90.0) ** 2) for f in formants) + 0.05
        harmonics.append((k, gain))
        k += 1
    wave_ = [sum(g * math.sin(2 * math.pi * k * n / period) for k, g in harmonics) for n in range(period)]
    peak = max(abs(v) for v in wave_) or 1.0
    return array("h", (int(v / peak * PEAK) for v in wave_))


@lru_cache(maxsize=64)
def _noise(consonant: str, rate: int) -> array:
    """A quarter second of deterministic, coloured noise for a consonant."""
    pole, level = _CONSONANT.get(consonant, (0.5, 0.25))
    state, y, out = (ord(consonant) * 2654435761) & 0xFFFFFFFF or 1, 0.0, array("h")
    for _ in range(rate // 4):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF  # LCG: same bytes on every run
        x = state / 0x3FFFFFFF - 1.0
        y = pole * y + (1 - pole) * x
        out.append(int(max(-1.0, min(1.0, y * 2.5)) * level * 32767))
    return out


def _fade(chunk: array, rate: int) -> array:
    """4 ms linear fade in/out so letter boundaries do not click."""
    ramp = min(len(chunk) // 2, rate // 250)
    for i in range(ramp):
        g = i / ramp
        chunk[i] = int(chunk[i] * g)
        chunk[-1 - i] = int(chunk[-1 - i] * g)
    return chunk


def _letter(ch: str, rate: int, f0: int, speed: float) -> array:
    if ch in _FORMANTS:
        n = int(rate * VOWEL_SECONDS / speed)
        period = _vowel_period(ch, rate, f0)
        reps, rest = divmod(n, len(period))
        return _fade(period * reps + period[:rest], rate)
    n = int(rate * CONSONANT_SECONDS / speed)
    noise = _noise(ch, rate)
    chunk = noise[:n] if n <= len(noise) else noise * (n // len(noise) + 1)
    return _fade(chunk[:n], rate)


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text)]
    return [p for p in parts if p]


def babble(text: str, *, rate: int = 24000, f0: int = 140, speed: float = 1.0) -> Speech:
    """The built-in synthesizer: deterministic, dependency-free, length proportional to text."""
    out = array("h")
    segments: list[dict[str, Any]] = []
    for sentence in split_sentences(text) or [text]:
        start = len(out) / rate
        for ch in sentence.casefold():
            if ch.isalpha() or ch.isdigit():
                letter = ch if ch in _FORMANTS or ch in _CONSONANT else ("a" if ch.isdigit() else "n")
                out.extend(_letter(letter, rate, f0, speed))
            elif ch in ".,!?;:":
                out.extend(array("h", bytes(2 * int(rate * PAUSE_SECONDS / speed))))
            elif ch.isspace():
                out.extend(array("h", bytes(2 * int(rate * SPACE_SECONDS / speed))))
        out.extend(array("h", bytes(2 * int(rate * PAUSE_SECONDS / speed))))
        segments.append({"start": round(start, 3), "end": round(len(out) / rate, 3), "text": sentence})
    return Speech(out, rate, text, segments)


# --- espeak-ng ---------------------------------------------------------------------------------


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def espeak(text: str, *, rate: int = 24000, female: bool = False, speed: float = 1.0, language: str = "en-us") -> Speech | None:
    """Intelligible speech from espeak-ng, resampled to ``rate``; None if it is unavailable/fails."""
    binary = espeak_binary()
    if binary is None:
        return None
    frames, src_rate = b"", 0
    for lang in dict.fromkeys([(language or "en-us").lower(), "en-us"]):  # unknown language: English
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, text passed on stdin
                [binary, "-v", lang + ("+f3" if female else ""), "-s", str(int(165 * speed)), "--stdout"],
                input=text.encode(), capture_output=True, timeout=30, check=True,
            )
            with wave.open(io.BytesIO(done.stdout)) as w:
                src_rate, frames = w.getframerate(), w.readframes(w.getnframes())
            break
        except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
            continue
    if not src_rate:
        return None
    src = array("h", frames[: len(frames) - len(frames) % 2])
    n = int(len(src) * rate / src_rate)
    out = array("h", (src[min(len(src) - 1, int(i * src_rate / rate))] for i in range(n))) if src else array("h")
    speech = Speech(out, rate, text, engine="espeak-ng")
    speech.segments = proportional_segments(text, speech.duration)
    return speech


def proportional_segments(text: str, duration: float) -> list[dict[str, Any]]:
    """Sentence segments whose times are proportional to their length in characters."""
    sentences = split_sentences(text) or ([text] if text else [])
    total = sum(len(s) for s in sentences) or 1
    out, t = [], 0.0
    for s in sentences:
        end = t + duration * len(s) / total
        out.append({"start": round(t, 3), "end": round(end, 3), "text": s})
        t = end
    return out


# --- encoders ----------------------------------------------------------------------------------

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


# --- reading audio -----------------------------------------------------------------------------


@dataclass
class AudioInfo:
    format: str  # wav | mp3 | flac | ogg | mp4 | webm
    duration: float
    meta: dict[str, Any] | None = None  # our tlnx chunk, when present


def sniff(data: bytes) -> str | None:
    """The container of ``data`` from its magic bytes, or None when it is not audio we know."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def read_audio(data: bytes) -> AudioInfo:
    """Format, duration and our metadata of an upload; :class:`AudioError` if it is not audio."""
    kind = sniff(data)
    if kind == "wav":
        return _read_wav(data)
    if kind == "mp3":
        return AudioInfo("mp3", _mp3_duration(data))
    if kind == "flac":
        return AudioInfo("flac", _flac_duration(data))
    if kind == "ogg" and (seconds := _ogg_duration(data)) is not None:
        return AudioInfo("ogg", seconds)
    if kind in ("ogg", "mp4", "webm"):
        # Compressed containers we do not parse: estimate at a typical 32 kbit/s voice bitrate.
        return AudioInfo(kind, round(len(data) / 4000, 3))
    raise AudioError("The file is not audio in a supported format (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm).")


def _read_wav(data: bytes) -> AudioInfo:
    pos, fmt, frames_bytes, meta = 12, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"fmt " and len(body) >= 16:
            fmt = struct.unpack_from("<HHIIHH", body)
        elif cid == b"data":
            frames_bytes = len(body)
        elif cid == META_CHUNK:
            try:
                meta = orjson.loads(body)
            except orjson.JSONDecodeError:
                meta = None
        pos += 8 + size + (size & 1)
    if fmt is None or frames_bytes is None or fmt[3] == 0:
        raise AudioError("The WAV file is malformed: it lacks a valid 'fmt ' or 'data' chunk.")
    return AudioInfo("wav", round(frames_bytes / fmt[3], 3), meta if isinstance(meta, dict) else None)


_MP3_BITRATES = {  # (mpeg1?, layer) -> kbit/s by index
    (True, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (True, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (False, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
}
_MP3_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def _mp3_duration(data: bytes) -> float:
    """Walk MPEG audio frames (after any ID3v2 tag) and add up their samples."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        pos = 10 + size
    seconds, frames = 0.0, 0
    while pos + 4 <= len(data) and frames < 200_000:
        h = int.from_bytes(data[pos : pos + 4], "big")
        version, layer_bits = (h >> 19) & 3, (h >> 17) & 3
        bitrate_i, rate_i, padding = (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
        if h >> 21 != 0x7FF or version == 1 or layer_bits == 0 or bitrate_i in (0, 15) or rate_i == 3:
            break
        layer, mpeg1 = 4 - layer_bits, version == 3
        bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_i] * 1000
        rate = _MP3_RATES[version][rate_i]
        samples = 384 if layer == 1 else (1152 if mpeg1 or layer == 2 else 576)
        length = (12 * bitrate // rate + padding) * 4 if layer == 1 else samples // 8 * bitrate // rate + padding
        seconds += samples / rate
        frames += 1
        pos += max(length, 1)
    if frames == 0:
        raise AudioError("The file is not valid MP3: no MPEG audio frame was found.")
    return round(seconds, 3)


def _flac_duration(data: bytes) -> float:
    if len(data) < 8 + 34:
        raise AudioError("The FLAC file is truncated: it lacks a STREAMINFO block.")
    info = int.from_bytes(data[8 + 10 : 8 + 18], "big")  # rate(20) channels(3) bps(5) total(36)
    rate, total = info >> 44, info & ((1 << 36) - 1)
    if rate == 0:
        raise AudioError("The FLAC file is malformed: sample rate 0.")
    return round(total / rate, 3)


def _ogg_duration(data: bytes) -> float | None:
    """Duration of an Ogg Opus or Vorbis stream from its last page's granule position (samples
    at 48 kHz for Opus, less the pre-skip; at the stream's rate for Vorbis); None otherwise."""
    last = data.rfind(b"OggS")
    if last < 0 or len(data) < last + 14:
        return None
    granule = struct.unpack_from("<q", data, last + 6)[0]
    head = data.find(b"OpusHead", 0, 512)
    if head >= 0 and len(data) >= head + 12:
        preskip = struct.unpack_from("<H", data, head + 10)[0]
        return round(max(0, granule - preskip) / 48000, 3)
    head = data.find(b"\x01vorbis", 0, 512)
    if head >= 0 and len(data) >= head + 16:
        rate = struct.unpack_from("<I", data, head + 12)[0]
        return round(granule / rate, 3) if rate else None
    return None
