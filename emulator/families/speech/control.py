"""Control API for speech-to-text: script the transcript of an exact audio file, and inspect
the transcriptions made.

``POST /_emulator/transcripts {"sha256": "<hex>", "text": "...", "api_key": "K"?}`` makes every
later transcription of that file return ``text`` (for one API key, or for all when ``api_key``
is omitted). ``audio_base64`` may be sent instead of ``sha256`` and is hashed for you.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, confine, emulator_of, parse, reply
from emulator.core.errors import BadRequest, NotFound
from emulator.fakes.stt import TranscriptionLog, TranscriptScripts
from emulator.families.speech.transcripts import GLOBAL_SCOPE
from emulator.runtime.family import ControlRoute

_HEX = re.compile(r"[0-9a-fA-F]{64}")


class TranscriptRequest(Body):
    text: str = Field(description="the transcript every later transcription of the file returns")
    sha256: str | None = Field(default=None, description="64 hex digits: the SHA-256 of the audio file")
    audio_base64: str | None = Field(default=None, description="the audio itself, hashed for you (instead of sha256)")
    api_key: str | None = Field(default=None, description="only for this API key; omitted = every key")


class ScriptedTranscript(Reply):
    sha256: str
    text: str
    api_key: str | None


class TranscriptListing(Reply):
    scripts: dict[str, Any] = Field(description="sha256 -> text")
    transcriptions: list[dict[str, Any]] | None = Field(default=None, description="with ?api_key=: the transcriptions it made")
    total_seconds: int | float | None = Field(default=None, description="with ?api_key=: audio seconds transcribed")


def _scope(request: Request, value: Any) -> str:
    """The scope named (an API key, or omitted: every key); a tenant caller's is always its own."""
    value = confine(request, value)
    if value is None:
        return GLOBAL_SCOPE
    if not isinstance(value, str) or not value:
        raise BadRequest("api_key must be a non-empty string.")
    return value


async def script_transcript(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await parse(request, TranscriptRequest)
    text = body.text
    digest = body.sha256
    if body.audio_base64 is not None:
        try:
            digest = hashlib.sha256(base64.b64decode(body.audio_base64, validate=True)).hexdigest()
        except (binascii.Error, TypeError, ValueError) as exc:
            raise BadRequest("audio_base64 is not valid base64.") from exc
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise BadRequest("sha256 must be the 64-hex-digit SHA-256 of the audio file (or send audio_base64).")
    scope = _scope(request, body.api_key)
    emulator.state.tenant(scope).store(TranscriptScripts).put(digest, text)
    return reply(ScriptedTranscript(sha256=digest.lower(), text=text, api_key=None if scope == GLOBAL_SCOPE else scope), status_code=201)


async def list_transcripts(request: Request) -> Response:
    """Scripted transcripts in a scope, and (for an API key) the transcriptions it made."""
    emulator = emulator_of(request)
    scope = _scope(request, request.query_params.get("api_key"))
    tenant = emulator.state.tenant(scope)
    out: dict[str, Any] = {"scripts": tenant.store(TranscriptScripts).dump()}
    if scope != GLOBAL_SCOPE:
        log = tenant.store(TranscriptionLog)
        out["transcriptions"] = log.dump()
        out["total_seconds"] = log.total_seconds()
    return reply(TranscriptListing.model_validate(out), exclude_unset=True)


async def delete_transcript(request: Request) -> Response:
    emulator = emulator_of(request)
    scope = _scope(request, request.query_params.get("api_key"))
    if not emulator.state.tenant(scope).store(TranscriptScripts).remove(request.path_params["sha256"]):
        raise NotFound("No transcript is scripted for that hash in this scope.")
    return Response(status_code=204)


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/transcripts", script_transcript, "scriptTranscript",
        "Script the transcript returned for an audio file (by SHA-256)",
        {"responses": {"201": {"description": "scripted"}}},
        body=TranscriptRequest, response=ScriptedTranscript,
        access="tenant",
    ),
    ControlRoute(
        "GET", "/_emulator/transcripts", list_transcripts, "listTranscripts",
        "Scripted transcripts and transcriptions made",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "listing"}},
        },
        response=TranscriptListing,
        access="tenant",
    ),
    ControlRoute(
        "DELETE", "/_emulator/transcripts/{sha256}", delete_transcript, "deleteTranscript",
        "Remove a scripted transcript",
        {
            "parameters": [
                {"name": "sha256", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "api_key", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"204": {"description": "removed"}, "404": {"description": "absent"}},
        },
        access="tenant",
    ),
)
