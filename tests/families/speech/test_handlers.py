"""Text-to-speech and transcription with the official ``telnyx`` SDK: playable WAV whose length
grows with the text, a TTS → STT round trip, scripted transcripts, voices, and bad audio."""

from __future__ import annotations

import base64
import hashlib
import io
import wave
from pathlib import Path

import httpx
import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.fakes.audio import babble, encode_g711, encode_wav, espeak_binary
from tests.conftest import AUTH, LiveServer, make_settings


@pytest.fixture
def builtin_app(tmp_path: Path):  # noqa: ANN201 - the Starlette app
    # The default path must work without espeak-ng, so tests pin the built-in synthesizer.
    return create_app(make_settings(tmp_path, tts_engine="builtin"))


@pytest.fixture
def server(builtin_app):  # noqa: ANN001, ANN201
    with LiveServer(builtin_app) as live:
        yield live


def _sdk(server: LiveServer, key: str = "test-key") -> telnyx.Telnyx:
    return telnyx.Telnyx(api_key=key, base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)


def _speak(client: telnyx.Telnyx, text: str, **kwargs: object) -> bytes:
    kwargs.setdefault("telnyx", {"response_format": "wav"})  # the default, mp3, is MP3 when PyAV is installed (tests/fakes/test_audio_formats.py)
    raw = client.text_to_speech.with_raw_response.generate_speech(text=text, voice="Telnyx.NaturalHD.astra", **kwargs)  # type: ignore[arg-type]
    assert raw.http_response.headers["content-type"] == "audio/wav"
    return raw.http_response.content


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 24000
        frames = w.readframes(w.getnframes())
        assert any(frames)  # not silence
        return w.getnframes() / w.getframerate()


def test_tts_is_playable_wav_growing_with_text_and_round_trips(server: LiveServer) -> None:
    client = _sdk(server)
    short_text = "Hello there."
    long_text = "Hello there. Your appointment is confirmed for Thursday at ten in the morning. See you then!"
    short, long_ = _speak(client, short_text), _speak(client, long_text)
    assert 0.5 < _wav_seconds(short) < _wav_seconds(long_)
    assert _speak(client, short_text) == short  # deterministic bytes
    result = client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("speech.wav", long_, "audio/wav"), response_format="verbose_json", timestamp_granularities="segment")
    assert result.text == long_text
    assert result.duration == pytest.approx(_wav_seconds(long_), abs=0.01)
    assert [s.text for s in result.segments or []] == [
        "Hello there.", "Your appointment is confirmed for Thursday at ten in the morning.", "See you then!"
    ]
    assert [s.id for s in result.segments or []] == [0, 1, 2]
    ends = [s.end for s in result.segments or []]
    assert ends == sorted(ends) and ends[-1] <= result.duration
    plain = client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("speech.wav", long_, "audio/wav"))
    assert plain.text == long_text and plain.duration is None and plain.segments is None


def test_base64_output_and_speed(server: LiveServer) -> None:
    client = _sdk(server)
    text = "Speed changes the length of the audio."
    encoded = client.text_to_speech.generate_speech(text=text, provider="telnyx", output_type="base64_output", telnyx={"response_format": "wav"})
    audio = base64.b64decode(encoded.base64_audio or "")
    fast = base64.b64decode(
        client.text_to_speech.generate_speech(text=text, provider="telnyx", output_type="base64_output", telnyx={"voice_speed": 2.0, "response_format": "wav"}).base64_audio or ""
    )
    assert _wav_seconds(fast) < _wav_seconds(audio) * 0.6
    assert client.ai.audio.transcribe(model="openai/whisper-large-v3-turbo", file=("a.wav", fast)).text == text


def test_raw_pcm_and_g711_outputs(builtin_app) -> None:  # noqa: ANN001
    with TestClient(builtin_app) as client:
        _raw_outputs(client)


def _raw_outputs(client: TestClient) -> None:
    r = client.post("/v2/text-to-speech/speech", headers=AUTH, json={"text": "One two three.", "provider": "xai", "xai": {"voice_id": "eve", "output_format": "mulaw", "sample_rate": 8000}})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/basic"
    expected = encode_g711(babble("One two three.", rate=8000, f0=210), "mulaw")
    assert r.content == expected  # 1 byte per sample at 8 kHz
    pcm = client.post("/v2/text-to-speech/speech", headers=AUTH, json={"text": "One two three.", "provider": "telnyx", "telnyx": {"response_format": "pcm", "sampling_rate": 16000}})
    assert pcm.headers["content-type"] == "audio/pcm" and len(pcm.content) % 2 == 0
    # Raw PCM has no container to embed text in; the emulator remembers what it said.
    r = client.post("/v2/ai/audio/transcriptions", headers=AUTH, files={"file": ("a.pcm", pcm.content)}, data={"model": "distil-whisper/distil-large-v2"})
    assert r.status_code == 200 and r.json() == {"text": "One two three."}


def test_not_audio_and_bad_requests_are_4xx(server: LiveServer) -> None:
    client = _sdk(server)
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("notes.wav", b"this is not audio at all" * 20))
    assert err.value.body["detail"][0]["loc"] == ["body", "file"]  # type: ignore[index]
    with pytest.raises(telnyx.UnprocessableEntityError):
        client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file_url="https://example.com/file.mp3")
    with pytest.raises(telnyx.UnprocessableEntityError) as tts:
        client.text_to_speech.generate_speech(text="", provider="telnyx")
    assert tts.value.body == {"errors": {"text": ["text is required and must not be blank"]}}
    with pytest.raises(telnyx.BadRequestError):
        client.text_to_speech.generate_speech(text="hi", voice="nobody.voice")


def test_scripted_transcript_by_hash_and_generated_fallback(server: LiveServer) -> None:
    client = _sdk(server)
    foreign = encode_wav(babble("x" * 30)).split(b"LIST")[0]  # a WAV without our text chunk
    foreign = foreign[:4] + len(foreign[8:]).to_bytes(4, "little") + foreign[8:]
    first = client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("call.wav", foreign))
    assert first.text and first.text == client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("c.wav", foreign)).text
    digest = hashlib.sha256(foreign).hexdigest()
    r = httpx.post(f"{server.url}/_emulator/transcripts", json={"sha256": digest, "text": "Please cancel my subscription.", "api_key": "test-key"})
    assert r.status_code == 201
    scripted = client.ai.audio.transcribe(model="deepgram/nova-3", file=("call.wav", foreign), response_format="verbose_json", model_config={"diarize": True})
    assert scripted.text == "Please cancel my subscription."
    assert [w.word for w in scripted.words or []] == ["Please", "cancel", "my", "subscription."]
    assert all(w.speaker == 0 for w in scripted.words or [])
    # Scripted for one key only: another key still gets the generated transcript.
    assert _sdk(server, "other-key").ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("c.wav", foreign)).text == first.text
    log = httpx.get(f"{server.url}/_emulator/transcripts", params={"api_key": "test-key"}).json()
    assert [e["model"] for e in log["transcriptions"]] == ["distil-whisper/distil-large-v2"] * 2 + ["deepgram/nova-3"]
    assert log["total_seconds"] == pytest.approx(3 * scripted.duration, abs=0.01)  # type: ignore[operator]


def test_file_url_from_an_uploaded_bucket_file(server: LiveServer) -> None:
    client = _sdk(server)
    audio = _speak(client, "Reading from a bucket.")
    put = httpx.put(f"{server.url}/_emulator/buckets/recordings/hello.wav", params={"api_key": "test-key"}, content=audio, headers={"content-type": "audio/wav"})
    assert put.status_code == 201
    for url in (put.json()["url"], "https://us-central-1.telnyxcloudstorage.com/recordings/hello.wav"):
        assert client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file_url=url).text == "Reading from a bucket."
    with pytest.raises(telnyx.UnprocessableEntityError):
        client.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file_url="https://us-central-1.telnyxcloudstorage.com/recordings/missing.wav")


def test_voices_filter_by_provider(server: LiveServer) -> None:
    client = _sdk(server)
    every = client.text_to_speech.list_voices().voices or []
    assert {v.provider for v in every} >= {"telnyx", "aws", "azure", "xai"}
    xai = client.text_to_speech.list_voices(provider="xai").voices or []
    assert xai and {v.provider for v in xai} == {"xai"}
    assert {v.voice_id for v in xai} == {"xAI.eve", "xAI.ara", "xAI.rex", "xAI.sal", "xAI.leo"}
    with pytest.raises(telnyx.BadRequestError):
        client.text_to_speech.list_voices(provider="elevenlabs")  # needs the caller's vendor key
    assert client.text_to_speech.list_voices(provider="elevenlabs", api_key="el-key").voices
    # A listed voice id is directly usable as ``voice``.
    audio = _speak(client, "Testing a listed voice.")
    assert _wav_seconds(audio) > 0.5


def test_tenant_reset_forgets_scripts(builtin_app) -> None:  # noqa: ANN001
    with TestClient(builtin_app) as c:
        digest = "ab" * 32
        assert c.post("/_emulator/transcripts", json={"sha256": digest, "text": "t", "api_key": "k1"}).status_code == 201
        assert c.get("/_emulator/transcripts", params={"api_key": "k1"}).json()["scripts"] == {digest: "t"}
        c.post("/_emulator/reset", json={"api_key": "k1"})
        assert c.get("/_emulator/transcripts", params={"api_key": "k1"}).json()["scripts"] == {}
        assert c.post("/_emulator/transcripts", json={"sha256": "nothex", "text": "t"}).status_code == 400


@pytest.mark.skipif(espeak_binary() is None, reason="espeak-ng is not installed (optional engine); the built-in synthesizer path is tested above")
def test_espeak_path_is_intelligible_engine_and_round_trips(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, tts_engine="espeak"))) as c:
        text = "Your code is four four two one."
        r = c.post("/v2/text-to-speech/speech", headers=AUTH, json={"text": text, "voice": "AWS.Polly.Joanna", "language": "en-US", "aws": {"output_format": "wav"}})
        assert r.headers["x-emulator-tts-engine"] == "espeak-ng"
        assert _wav_seconds(r.content) > 1.0
        t = c.post("/v2/ai/audio/transcriptions", headers=AUTH, files={"file": ("a.wav", r.content)}, data={"model": "distil-whisper/distil-large-v2"})
        assert t.json() == {"text": text}


def test_oversized_upload_is_413(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, max_body_bytes=4096, tts_engine="builtin"))) as c:
        big = encode_wav(babble("This recording is far too long for the configured limit."))
        r = c.post("/v2/ai/audio/transcriptions", headers=AUTH, files={"file": ("a.wav", big)}, data={"model": "distil-whisper/distil-large-v2"})
        assert r.status_code == 413
        assert c.get("/_emulator/transcripts", params={"api_key": "test-key"}).json()["transcriptions"] == []
