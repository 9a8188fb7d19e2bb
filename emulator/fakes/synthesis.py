"""Speech without a speech model: the built-in "babble" vocoder and espeak-ng.

Text-to-speech (``families/speech``) and call recordings (``families/calls/recordings.py``) need
real, playable audio whose length follows the text, with no model download. When ``espeak-ng``
(or ``espeak``) is on PATH and the engine is ``auto``/``espeak``, the text is spoken by it
(intelligible). Otherwise a built-in "babble" vocoder renders each letter — vowels as a pitched
harmonic wave shaped by the vowel's formants, consonants as shaped noise, spaces and
punctuation as pauses — so the audio is real, playable, and its length grows with the text
(~13 letters per second at speed 1).

Both give a :class:`Speech`: samples plus the text and its sentence timings, which
``fakes/audio.py`` writes out in the format asked for. Split from ``audio.py`` so that module
is about bytes (writing them, with :mod:`emulator.fakes.probe` reading them) and this one about
sound; ``audio`` re-exports these names, so callers import them from there.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import wave
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

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


@dataclass
class Speech:
    """Synthesized audio and what it says: the text and sentence timings travel with the samples
    so the WAV writer can embed them and transcription can give them back."""

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

