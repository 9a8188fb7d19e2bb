"""Compressed speech (MP3, OGG/Opus) through PyAV, the optional ``audio`` extra.

Telnyx answers text-to-speech with MP3 by default, so a client that saves or plays the bytes
expects MP3. The standard library has no MP3 or Opus encoder; PyAV's wheels carry FFmpeg with
LAME and libopus built in (``pip install 'telnyx-emulator[audio]'``). Without it,
:func:`available` is false and ``fakes/audio.py`` serves WAV instead, saying so in the
``x-emulator-audio-format`` header.

Output is deterministic: FFmpeg's bit-exact flag is set and no encoder or muxer version tag,
date or random stream serial is written, so the same speech gives the same bytes on every run.
"""

from __future__ import annotations

import io
from array import array
from functools import lru_cache
from types import ModuleType
from typing import Any

CODECS = {"mp3": ("mp3", "libmp3lame", "audio/mpeg"), "ogg": ("ogg", "libopus", "audio/ogg")}
"""Our format name → (FFmpeg muxer, encoder, media type)."""

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
"""The input rates libopus accepts; another rate is resampled to the next one up."""


@lru_cache(maxsize=1)
def _av() -> ModuleType | None:
    try:
        import av  # noqa: PLC0415 - optional: the `audio` extra
    except ImportError:
        return None
    return av


def available(fmt: str = "mp3") -> bool:
    """PyAV is installed and its FFmpeg has the encoder for ``fmt`` (mp3 or ogg)."""
    av = _av()
    return av is not None and fmt in CODECS and CODECS[fmt][1] in av.codecs_available


def media_type(fmt: str) -> str:
    return CODECS[fmt][2]


def encode(samples: array, rate: int, fmt: str, *, title: str = "") -> bytes:
    """``samples`` (signed 16-bit mono PCM at ``rate``) as an MP3 or OGG/Opus file.

    Raises ``RuntimeError`` when the encoder is unavailable (callers check :func:`available`).
    """
    av = _av()
    if av is None or not available(fmt):
        raise RuntimeError(f"no {fmt} encoder: install the audio extra (PyAV)")
    muxer, codec, _ = CODECS[fmt]
    out_rate = rate if fmt != "ogg" or rate in OPUS_RATES else next((r for r in OPUS_RATES if r >= rate), 48000)
    buffer = io.BytesIO()
    # fflags +bitexact: no encoder version strings, fixed stream serials — reproducible bytes.
    with av.open(buffer, mode="w", format=muxer, options={"fflags": "+bitexact"}) as container:
        stream: Any = container.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        if fmt == "mp3":
            stream.bit_rate = 64_000  # ample for speech, like a TTS service's default
        if title:
            container.metadata["title"] = title[:200]
        frame = _frame(av, samples)
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=out_rate)
        frame_size = stream.codec_context.frame_size or 1152
        for chunk in _cut(av, resampler.resample(frame) + resampler.resample(None), frame_size):
            container.mux(stream.encode(chunk))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def _frame(av: ModuleType, samples: array) -> Any:
    """An s16 mono frame filled from the raw bytes (PyAV's ndarray helpers would need numpy)."""
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples))
    frame.planes[0].update(samples.tobytes())
    return frame


def _cut(av: ModuleType, frames: list[Any], size: int) -> list[Any]:
    """Encoders with a fixed frame size (LAME 1152, Opus 960) want frames of exactly that many
    samples: an audio FIFO cuts the resampler's output to that size (the last one shorter)."""
    fifo = av.AudioFifo()
    for frame in frames:
        frame.pts = None  # the FIFO numbers its output itself
        fifo.write(frame)
    out = []
    while fifo.samples >= size:
        out.append(fifo.read(size))
    if fifo.samples:
        out.append(fifo.read())
    return out
