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

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core.errors import BadRequest, NotFound
from emulator.fakes.stt import TranscriptionLog, TranscriptScripts
from emulator.families.speech.transcripts import GLOBAL_SCOPE
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute

_HEX = re.compile(r"[0-9a-fA-F]{64}")


def _scope(value: Any) -> str:
    if value is None:
        return GLOBAL_SCOPE
    if not isinstance(value, str) or not value:
        raise BadRequest("api_key must be a non-empty string.")
    return value


async def script_transcript(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise BadRequest("text (the transcript to return) is required and must be a string.")
    digest = body.get("sha256")
    if body.get("audio_base64") is not None:
        try:
            digest = hashlib.sha256(base64.b64decode(body["audio_base64"], validate=True)).hexdigest()
        except (binascii.Error, TypeError, ValueError) as exc:
            raise BadRequest("audio_base64 is not valid base64.") from exc
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise BadRequest("sha256 must be the 64-hex-digit SHA-256 of the audio file (or send audio_base64).")
    scope = _scope(body.get("api_key"))
    emulator.state.tenant(scope).store(TranscriptScripts).put(digest, text)
    return JSONResponse({"sha256": digest.lower(), "text": text, "api_key": None if scope == GLOBAL_SCOPE else scope}, status_code=201)


async def list_transcripts(request: Request) -> Response:
    """Scripted transcripts in a scope, and (for an API key) the transcriptions it made."""
    emulator = emulator_of(request)
    scope = _scope(request.query_params.get("api_key"))
    tenant = emulator.state.tenant(scope)
    out: dict[str, Any] = {"scripts": tenant.store(TranscriptScripts).dump()}
    if scope != GLOBAL_SCOPE:
        log = tenant.store(TranscriptionLog)
        out["transcriptions"] = log.dump()
        out["total_seconds"] = log.total_seconds()
    return JSONResponse(out)


async def delete_transcript(request: Request) -> Response:
    emulator = emulator_of(request)
    scope = _scope(request.query_params.get("api_key"))
    if not emulator.state.tenant(scope).store(TranscriptScripts).remove(request.path_params["sha256"]):
        raise NotFound("No transcript is scripted for that hash in this scope.")
    return Response(status_code=204)


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/transcripts", script_transcript, "scriptTranscript",
        "Script the transcript returned for an audio file (by SHA-256)",
        {
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["text"],
                            "properties": {
                                "sha256": {"type": "string"},
                                "audio_base64": {"type": "string"},
                                "text": {"type": "string"},
                                "api_key": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "responses": {"201": {"description": "scripted"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/transcripts", list_transcripts, "listTranscripts",
        "Scripted transcripts and transcriptions made",
        {
            "parameters": [{"name": "api_key", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "listing"}},
        },
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
    ),
)
