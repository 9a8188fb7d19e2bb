"""What an uploaded file is: its container from the magic bytes, its duration, our metadata.

Transcription (``fakes/stt.py``) and document summaries (``families/speech/summarize.py``) must
accept real uploads and reject what is not audio with a clear error, without decoding a single
sample: the duration comes from the container's own headers (WAV ``fmt``/``data``, MPEG frame
headers, FLAC STREAMINFO, an Ogg stream's last granule position) and WAVs we made give back
their ``tlnx`` chunk. Split from ``audio.py``, which writes what this reads; ``audio``
re-exports these names, so callers import them from there.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import orjson

META_CHUNK = b"tlnx"
"""The private RIFF chunk (UTF-8 JSON: text, segments, ...) ``audio.encode_wav`` writes after ``data``."""


class AudioError(ValueError):
    """The bytes are not audio we can read (or the synthesis request is impossible)."""


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
