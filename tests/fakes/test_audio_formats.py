"""Speech as MP3 (Telnyx's default) and OGG/Opus through PyAV, and the announced WAV fallback."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.fakes import audio, encoders
from tests.conftest import AUTH, make_settings

HAS_AV = importlib.util.find_spec("av") is not None
needs_av = pytest.mark.skipif(not HAS_AV, reason="PyAV is not installed (the optional `audio` extra); the WAV fallback is tested without it")
TEXT = "Your appointment is confirmed for Tuesday."


def speak(c: TestClient, fmt: str | None) -> tuple[bytes, dict[str, str]]:
    params = {"response_format": fmt} if fmt else {}
    r = c.post("/v2/text-to-speech/speech", headers=AUTH, json={"text": TEXT, "voice": "Telnyx.NaturalHD.astra", "telnyx": params})
    assert r.status_code == 200, r.text
    return r.content, dict(r.headers)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    with TestClient(create_app(make_settings(tmp_path, tts_engine="builtin"))) as c:
        yield c  # type: ignore[misc]


def test_without_pyav_mp3_and_ogg_are_served_as_announced_wav(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoders, "_av", lambda: None)
    for fmt in (None, "mp3", "ogg"):  # None: the Telnyx default, mp3
        data, headers = speak(client, fmt)
        assert data[:4] == b"RIFF" and headers["content-type"] == "audio/wav" and headers["x-emulator-audio-format"] == "wav"
    assert audio.served_format("mp3") == "wav" and audio.served_format("mulaw") == "mulaw"


@needs_av
def test_default_tts_output_is_a_real_mp3(client: TestClient) -> None:
    import av  # noqa: PLC0415 - optional: skipped without it

    data, headers = speak(client, None)
    assert headers["content-type"] == "audio/mpeg" and headers["x-emulator-audio-format"] == "mp3"
    assert audio.sniff(data) == "mp3"
    with av.open(io.BytesIO(data)) as container:  # decodes as MP3, mono, at the requested rate
        stream = container.streams.audio[0]
        assert stream.codec_context.name.startswith("mp3") and stream.rate == 24000 and stream.channels == 1
        samples = sum(frame.samples for frame in container.decode(stream))
    assert samples / 24000 == pytest.approx(audio.read_audio(data).duration, abs=0.1)
    assert speak(client, "mp3")[0] == data  # deterministic bytes, as the WAV output is
    # Our own MP3 transcribes back to its text (the tenant remembers what it synthesized).
    t = client.post("/v2/ai/audio/transcriptions", headers=AUTH, files={"file": ("a.mp3", data, "audio/mpeg")}, data={"model": "distil-whisper/distil-large-v2"})
    assert t.status_code == 200 and t.json() == {"text": TEXT}


@needs_av
def test_ogg_is_opus_with_its_true_duration(client: TestClient) -> None:
    import av  # noqa: PLC0415 - optional: skipped without it

    wav, _ = speak(client, "wav")
    data, headers = speak(client, "ogg_vorbis")
    assert headers["content-type"] == "audio/ogg" and headers["x-emulator-audio-format"] == "ogg"
    assert data[:4] == b"OggS" and b"OpusHead" in data[:512]
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.audio[0].codec_context.name == "opus"
    # The duration read from the last page's granule position matches the WAV of the same speech.
    assert audio.read_audio(data).duration == pytest.approx(audio.read_audio(wav).duration, abs=0.03)


@needs_av
def test_encoder_resamples_rates_opus_does_not_take() -> None:
    speech = audio.babble("Twenty two kilohertz.", rate=22050)
    data, served = audio.encode(speech, "ogg")
    assert served == "ogg"
    assert audio.read_audio(data).duration == pytest.approx(speech.duration, abs=0.03)
