"""Scripted transcripts: what speech-to-text answers for audio whose SHA-256 a test scripted,
for one API key or (under the pseudo-tenant ``GLOBAL_SCOPE``) for every key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.fakes.stt import TranscriptScripts

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

GLOBAL_SCOPE = "*"  # the pseudo-tenant holding transcripts scripted for every API key


def scripts_for(ctx: RequestContext) -> TranscriptScripts:
    """Scripted transcripts visible to the caller: global ones, overridden by the tenant's."""
    merged = TranscriptScripts(dict(ctx.state.tenant(GLOBAL_SCOPE).store(TranscriptScripts).by_hash))
    merged.by_hash.update(ctx.tenant.store(TranscriptScripts).by_hash)
    return merged
