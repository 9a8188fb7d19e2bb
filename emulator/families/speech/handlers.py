"""Text-to-speech and speech-to-text: ``POST /text-to-speech/speech``, ``GET
/text-to-speech/voices`` and ``POST /ai/audio/transcriptions``.

TTS audio carries its text (see ``emulator/fakes/audio.py``), so what the emulator says it
also hears back. The WebSocket TTS operation (``GET /text-to-speech/speech``) is not served here.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import anyio
import orjson
from starlette.datastructures import UploadFile
from starlette.responses import Response

from emulator.core.errors import BadRequest, ErrorItem, ValidationFailed
from emulator.fakes import audio, voices
from emulator.fakes.stt import (
    WORDS_PER_SECOND,
    SynthesizedAudio,
    Transcript,
    TranscriptionLog,
    TranscriptionRecord,
    generated_text,
    transcribe,
)
from emulator.families.embeddings.bucket_store import read_bucket_file
from emulator.families.embeddings.implicit import ensure_file, spoken_page
from emulator.families.speech import rules
from emulator.families.speech.transcripts import scripts_for
from emulator.http.binding import operation
from emulator.http.responses import JSONResponse

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

MAX_TEXT = 5000  # characters per TTS request (minutes of audio; keeps synthesis fast)
FORMATS = {"mp3": "mp3", "wav": "wav", "pcm": "pcm", "mulaw": "mulaw", "ulaw": "mulaw", "alaw": "alaw",
           "ogg_vorbis": "ogg", "ogg": "ogg"}
STT_MODELS = ("distil-whisper/distil-large-v2", "openai/whisper-large-v3-turbo", "deepgram/nova-3",
              "deepgram/nova-2", "deepgram/nova-3-medical", "deepgram/nova-2-medical")


def _invalid(detail: str, pointer: str) -> ValidationFailed:
    return ValidationFailed(detail, items=[ErrorItem(detail, pointer=pointer)])


# --- TTS ---------------------------------------------------------------------------------------


def _spoken_text(ctx: RequestContext, body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        ctx.business_rule(rules.TTS_TEXT, _invalid("text is required and must not be blank", "/text"))
        return ""
    if len(text) > MAX_TEXT:
        ctx.business_rule(rules.TTS_TEXT_LENGTH, _invalid(f"text may be at most {MAX_TEXT} characters, got {len(text)}", "/text"))
        text = text[:MAX_TEXT]
    if body.get("text_type") == "ssml" or text.lstrip().startswith("<speak"):
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        text = re.sub(r"\s+", " ", text).strip()
    return text


def _voice(ctx: RequestContext, body: dict[str, Any]) -> tuple[str, str, voices.Voice | None]:
    """(provider, voice id, catalogue voice if listed) from ``voice`` or ``provider``."""
    voice, provider = body.get("voice"), body.get("provider")
    if voice is not None:
        named = voices.provider_of(voice) if isinstance(voice, str) else None
        if not isinstance(voice, str) or not voice.strip():
            ctx.business_rule(rules.TTS_VOICE, _invalid("voice must be a non-empty string", "/voice"))
        elif named is None:
            ctx.business_rule(rules.TTS_VOICE, BadRequest(f"Voice {voice!r} does not start with a supported provider ({', '.join(voices.PROVIDERS)})."))
        else:
            return named, voice, voices.find(voice)
        provider = provider if provider in voices.PROVIDERS else "telnyx"
    if provider is None:
        ctx.business_rule(rules.TTS_PROVIDER, _invalid("provider is required unless voice is given", "/provider"))
        provider = "telnyx"
    if provider not in voices.PROVIDERS:
        raise _invalid(f"provider must be one of: {', '.join(voices.PROVIDERS)}", "/provider")
    chosen = voices.default_voice(provider)
    return provider, chosen.voice_id, chosen


def _number(ctx: RequestContext, params: dict[str, Any], names: tuple[str, ...], pointer: str, lo: float, hi: float) -> float | None:
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        try:
            number = float(value)  # AWS sends sample_rate as a string
        except (TypeError, ValueError):
            ctx.business_rule(rules.TTS_AUDIO_PARAMS, _invalid(f"{name} must be a number", f"{pointer}/{name}"))
            return None
        if not lo <= number <= hi:
            ctx.business_rule(rules.TTS_AUDIO_PARAMS, _invalid(f"{name} must be between {lo:g} and {hi:g}", f"{pointer}/{name}"))
            number = min(hi, max(lo, number))
        return number
    return None


@operation("generateSpeech")
async def generate_speech(ctx: RequestContext) -> Any:
    body = ctx.json
    text = _spoken_text(ctx, body)
    output_type = body.get("output_type", "binary_output")
    if output_type not in ("binary_output", "base64_output"):
        raise _invalid("output_type must be binary_output or base64_output", "/output_type")
    provider, voice_id, listed = _voice(ctx, body)
    raw_params = body.get(provider)
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    pointer = f"/{provider}"
    requested = params.get("response_format") or params.get("output_format") or "mp3"
    fmt = FORMATS.get(str(requested).lower())
    if fmt is None:
        ctx.business_rule(rules.TTS_FORMAT, _invalid(f"unsupported audio format {requested!r}; use mp3, wav, pcm, mulaw or alaw", f"{pointer}/response_format"))
        fmt = "mp3"
    default_rate = 8000 if fmt in ("mulaw", "alaw") else 24000
    rate = int(_number(ctx, params, ("sampling_rate", "sample_rate"), pointer, 8000, 48000) or default_rate)
    speed = _number(ctx, params, ("voice_speed", "speed"), pointer, 0.5, 2.0) or 1.0
    female = (listed.gender == "female") if listed else (sum(map(ord, voice_id)) % 2 == 0)
    raw_language = body.get("language")
    language = raw_language if isinstance(raw_language, str) else "en-us"

    def render() -> audio.Speech:
        engine = ctx.emulator.settings.tts_engine
        if engine != "builtin":
            spoken = audio.espeak(text, rate=rate, female=female, speed=speed, language=language)
            if spoken is not None:
                return spoken
        return audio.babble(text, rate=rate, f0=210 if female else 120, speed=speed)

    speech = render() if len(text) < 400 else await anyio.to_thread.run_sync(render)
    # mp3/ogg need PyAV (the `audio` extra); without it they are served as honest WAV (fakes/audio.py)
    data, served = audio.encode(speech, fmt, {"voice": voice_id, "provider": provider, "engine": speech.engine})
    ctx.tenant.store(SynthesizedAudio).remember(data, speech.text, speech.duration, speech.segments)
    headers = {"x-emulator-audio-format": served, "x-emulator-tts-engine": speech.engine}
    if output_type == "base64_output":
        return JSONResponse({"base64_audio": base64.b64encode(data).decode("ascii")}, headers=headers)
    return Response(data, media_type=audio.MEDIA_TYPES[served], headers=headers)


@operation("listVoices")
async def list_voices(ctx: RequestContext) -> dict[str, Any]:
    provider = ctx.query.get("provider")
    if provider is None:  # tolerate the filter[provider]=... spelling some docs use
        nested = ctx.query.get("filter")
        provider = nested.get("provider") if isinstance(nested, dict) else ctx.query.get("filter[provider]")
    provider = provider if provider is None else str(provider).lower()
    if provider is not None and provider not in voices.PROVIDERS:
        raise BadRequest(f"Unknown provider {provider!r}; use one of: {', '.join(voices.PROVIDERS)}.")
    api_key = ctx.query.get("api_key")
    if provider in voices.NEEDS_API_KEY and not api_key:
        ctx.business_rule(rules.VOICES_API_KEY, BadRequest(f"Listing {provider} voices needs your {provider} API key in the api_key parameter."))
    listed = [
        v.as_json() for v in voices.voices_for(provider)
        if provider is not None or api_key or v.provider not in voices.NEEDS_API_KEY
    ]
    return {"voices": listed}


# --- STT ---------------------------------------------------------------------------------------


async def _upload_bytes(ctx: RequestContext, form: dict[str, Any]) -> tuple[bytes | None, str]:
    """The audio and where it came from; None (warn mode) when neither file nor file_url is given."""
    file, url = form.get("file"), form.get("file_url")
    if (file is None) == (not url):
        ctx.business_rule(rules.STT_FILE_OR_URL, _invalid("give exactly one of file or file_url", "/file"))
        if file is None:
            return None, "none"
    if isinstance(file, UploadFile):
        return await file.read(), "upload"
    if isinstance(file, str):
        return file.encode(), "upload"
    return fetch_local(ctx, str(url)), "file_url"


def fetch_local(ctx: RequestContext, url: str) -> bytes:
    """The bytes behind a ``file_url`` — only from buckets: the emulator never uses the network.

    Accepted: Telnyx storage URLs (``https://<region>.telnyxcloudstorage.com/<bucket>/<file>``
    or ``https://<bucket>.<region>.telnyxcloudstorage.com/<file>``) and the emulator's own
    control-API file URL (``http://<emulator>/_emulator/buckets/<bucket>/<file>``).
    """
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), unquote(parts.path).lstrip("/")
    own_hosts = {"127.0.0.1", "localhost", "::1", (ctx.request.url.hostname or "").lower()}
    bucket = filename = None
    if host in own_hosts and path.startswith("_emulator/buckets/"):
        bucket, _, filename = path.removeprefix("_emulator/buckets/").partition("/")
    elif host.endswith(("telnyxcloudstorage.com", "telnyxstorage.com")):
        labels = host.split(".")
        if len(labels) > 3:  # virtual-hosted style: <bucket>.<region>.telnyxcloudstorage.com
            bucket, filename = labels[0], path
        else:
            bucket, _, filename = path.partition("/")
    if parts.scheme not in ("http", "https") or not bucket or not filename:
        ctx.business_rule(rules.STT_FILE_URL, _invalid(
            "file_url must point at a bucket file (Telnyx storage URL or /_emulator/buckets/<bucket>/<file>);"
            " the emulator does not fetch from the network", "/file_url",
        ))
        return spoken_page(url)
    data = read_bucket_file(ctx, bucket, filename)
    if data is None and ctx.mode.creates_unknown_ids:  # an implicit bucket file (lenient mode)
        data = ensure_file(ctx.emulator, ctx.api_key, bucket, filename)
    if data is None:
        raise _invalid(f"file_url names {filename!r} in bucket {bucket!r}, which does not exist", "/file_url")
    return data


def _granularities(form: dict[str, Any]) -> list[str]:
    raw = form.get("timestamp_granularities[]", form.get("timestamp_granularities"))
    values = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    for value in values:
        if value != "segment":  # the document's enum
            raise _invalid("timestamp_granularities supports only 'segment'", "/timestamp_granularities[]")
    return values


def _model_config(ctx: RequestContext, form: dict[str, Any], model: str) -> dict[str, Any] | None:
    raw = form.get("model_config")
    nested = {k[len("model_config["):-1]: v for k, v in form.items() if k.startswith("model_config[") and k.endswith("]")}
    if raw in (None, "") and nested:
        # SDKs flatten an object field of a multipart body to model_config[key]=value parts.
        raw = {k: {"true": True, "false": False}.get(v, v) if isinstance(v, str) else v for k, v in nested.items()}
    if raw in (None, "", {}):
        return None
    if not model.startswith("deepgram/"):
        ctx.business_rule(rules.STT_MODEL_CONFIG, BadRequest("model_config is only allowed with the deepgram/* models."))
        return None
    try:
        value = orjson.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise _invalid("model_config must be a JSON object", "/model_config") from None
    if not isinstance(value, dict):
        raise _invalid("model_config must be a JSON object", "/model_config")
    return value


@operation("audio_public_audio_transcriptions_post")
async def create_transcription(ctx: RequestContext) -> dict[str, Any]:
    form = ctx.body if isinstance(ctx.body, dict) else {}
    model = form.get("model")
    if model is None:
        raise _invalid("Field required", "/model")
    if model not in STT_MODELS:
        raise _invalid(f"model must be one of: {', '.join(STT_MODELS)}", "/model")
    response_format = form.get("response_format") or "json"
    if response_format not in ("json", "verbose_json"):
        raise _invalid("response_format must be json or verbose_json", "/response_format")
    if _granularities(form) and response_format != "verbose_json":
        ctx.business_rule(rules.STT_GRANULARITIES, _invalid("timestamp_granularities needs response_format verbose_json", "/timestamp_granularities[]"))
    config = _model_config(ctx, form, model)
    data, source = await _upload_bytes(ctx, form)
    result = _transcript(ctx, model, data, source)
    language = form.get("language") if isinstance(form.get("language"), str) else None
    ctx.tenant.store(TranscriptionLog).record(
        TranscriptionRecord(
            id=ctx.tenant.ids.uuid(), created_at=ctx.state.clock.iso(), model=model, duration=result.duration,
            sha256=result.sha256, source=source, language=language, response_format=response_format,
            characters=len(result.text), at=ctx.state.clock.now(),
        )
    )
    out: dict[str, Any] = {"text": result.text}
    if response_format != "verbose_json" or model == "openai/whisper-large-v3-turbo":
        return out  # the document: json is text only; whisper-large-v3-turbo returns text only
    out["duration"] = result.duration
    if model.startswith("deepgram/"):
        if config:
            out["words"] = _words(result.segments, diarize=bool(config.get("diarize")))
        return out
    out["segments"] = [{"id": i, **seg} for i, seg in enumerate(result.segments)]
    return out


def _transcript(ctx: RequestContext, model: str, data: bytes | None, source: str) -> Transcript:
    if data is None:  # warn mode, no audio given: nothing heard
        return Transcript("", 0.0, [], hashlib.sha256(b"").hexdigest(), "generated")
    if model.startswith("deepgram/") and audio.sniff(data) not in ("wav", "mp3", None):
        ctx.business_rule(rules.STT_DEEPGRAM_FORMATS, _invalid(f"{model} accepts only mp3 and wav files", "/file"))
    try:
        return transcribe(data, scripts=scripts_for(ctx), remembered=ctx.tenant.store(SynthesizedAudio))
    except audio.AudioError as exc:
        ctx.business_rule(rules.STT_AUDIO, _invalid(str(exc), "/file" if source == "upload" else "/file_url"))
    digest = hashlib.sha256(data).hexdigest()
    text = generated_text(digest, None)
    duration = round(len(text.split()) / WORDS_PER_SECOND, 3)
    return Transcript(text, duration, audio.proportional_segments(text, duration), digest, "generated")


def _words(segments: list[dict[str, Any]], *, diarize: bool) -> list[dict[str, Any]]:
    """Per-word timings spread evenly over each segment (Deepgram-style word objects)."""
    words: list[dict[str, Any]] = []
    for seg in segments:
        parts = seg["text"].split()
        span = (seg["end"] - seg["start"]) / (len(parts) or 1)
        for i, word in enumerate(parts):
            entry: dict[str, Any] = {"word": word, "start": round(seg["start"] + i * span, 3),
                                     "end": round(seg["start"] + (i + 1) * span, 3), "confidence": 0.99}
            if diarize:
                entry["speaker"] = 0
            words.append(entry)
    return words
