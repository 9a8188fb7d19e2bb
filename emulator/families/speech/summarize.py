"""``POST /ai/summarize`` — an extractive summary of a bucket file's actual content.

Media files (wav, mp3, ...) are transcribed first (recorded in the tenant's transcription log,
since Telnyx bills both), then summarised. :func:`read_bucket_file` is the one way AI endpoints
read bucket files: the tenant's uploads first, then ``fixtures/buckets/`` folders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, NotFound, ValidationFailed
from emulator.fakes import summarizer as engine
from emulator.fakes.audio import AudioError
from emulator.fakes.stt import SynthesizedAudio, TranscriptionLog, TranscriptionRecord, transcribe
from emulator.families.embeddings.bucket_store import read_bucket_file
from emulator.families.embeddings.implicit import ensure_file
from emulator.families.speech import rules
from emulator.families.speech.transcripts import scripts_for
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

SUMMARY_STT_MODEL = "distil-whisper/distil-large-v2"


def _field(body: dict[str, Any], name: str) -> str:
    # Only what the document says: required, a string. (A blank name used to be refused too; it
    # names no file, so it now gets the same 404 as any other missing file.)
    value = body.get(name)
    if not isinstance(value, str):
        detail = "Field required" if value is None else f"{name} must be a string"
        raise ValidationFailed(detail, items=[ErrorItem(detail, pointer=f"/{name}", kind="missing" if value is None else "string_type")])
    return value


@operation("PostSummary")
async def post_summary(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.json
    bucket, filename = _field(body, "bucket"), _field(body, "filename")
    prompt = body.get("system_prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise ValidationFailed("system_prompt must be a string", items=[ErrorItem("system_prompt must be a string", pointer="/system_prompt")])
    data = read_bucket_file(ctx, bucket, filename)
    if data is None and ctx.mode.creates_unknown_ids and _safe_name(filename):  # an implicit bucket file
        data = ensure_file(ctx.emulator, ctx.api_key, bucket, filename)
    if data is None:
        raise NotFound(f"File {filename!r} was not found in bucket {bucket!r}.")
    try:
        if engine.extension(filename) in engine.MEDIA_EXTENSIONS:
            text = _transcribe_for_summary(ctx, data)
        else:
            text = engine.extract_text(data, filename)
        summary = engine.summarize(text, prompt)
    except (engine.UnsupportedDocument, AudioError) as exc:
        ctx.business_rule(rules.SUMMARY_READABLE, ValidationFailed(str(exc), items=[ErrorItem(str(exc), pointer="/filename")]))
        summary = _lossy_summary(data, prompt)
    return {"data": {"summary": summary}}


def _lossy_summary(data: bytes, prompt: str | None) -> str:
    """The ``summarize_readable`` substitute: the bytes read as text; empty if no sentence remains."""
    try:
        return engine.summarize(data.decode("utf-8", errors="replace"), prompt)
    except engine.UnsupportedDocument:
        return ""


def _safe_name(filename: str) -> bool:
    """A name an implicit file may take: never a path out of its bucket."""
    return bool(filename) and ".." not in filename.split("/") and not filename.startswith("/")


def _transcribe_for_summary(ctx: RequestContext, data: bytes) -> str:

    result = transcribe(data, scripts=scripts_for(ctx), remembered=ctx.tenant.store(SynthesizedAudio))
    ctx.tenant.store(TranscriptionLog).record(
        TranscriptionRecord(
            id=ctx.tenant.ids.uuid(), created_at=ctx.state.clock.iso(), model=SUMMARY_STT_MODEL,
            duration=result.duration, sha256=result.sha256, source="summarize", language=None,
            response_format="text", characters=len(result.text), at=ctx.state.clock.now(),
        )
    )
    return result.text
