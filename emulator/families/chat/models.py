"""Model catalogues: ``/ai/openai/models`` (and the deprecated ``/ai/models``) list chat and
embedding models as ``ModelMetadata``; ``/ai/openai/embeddings/models`` lists embedding models in
OpenAI's compact model shape. Rows come from :mod:`emulator.fakes.catalogue`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.fakes.catalogue import CATALOGUE_CREATED, CHAT_MODELS, EMBEDDING_INFO, model_metadata
from emulator.families.fine_tuning.store import fine_tuned_model_rows
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

_CREATED_ISO = datetime.fromtimestamp(CATALOGUE_CREATED, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@operation("list_openai_models", "get_models_public_models_get")
async def list_models(ctx: RequestContext) -> dict[str, Any]:
    rows = [model_metadata(info, _CREATED_ISO) for info in (*CHAT_MODELS, *EMBEDDING_INFO)]
    rows += fine_tuned_model_rows(ctx.tenant)  # the caller's succeeded fine-tuning jobs
    return {"object": "list", "data": rows}


@operation("list_openai_embedding_models")
async def list_embedding_models(ctx: RequestContext) -> dict[str, Any]:
    rows = [{"id": info.id, "object": "model", "created": CATALOGUE_CREATED, "owned_by": "telnyx"} for info in EMBEDDING_INFO]
    return {"object": "list", "data": rows}
