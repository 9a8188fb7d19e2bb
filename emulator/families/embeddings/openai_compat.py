"""``POST /ai/openai/embeddings`` — OpenAI-compatible embeddings from the deterministic engine."""

from __future__ import annotations

from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.fakes import embeddings
from emulator.families.embeddings import rules
from emulator.families.embeddings.embedding import DEFAULT_MODEL
from emulator.http.binding import operation
from emulator.http.context import RequestContext

MAX_INPUTS = 2048  # OpenAI's per-request limit on the number of inputs


def _invalid(detail: str, field: str) -> ValidationFailed:
    return ValidationFailed(detail, items=[ErrorItem(detail, pointer=f"/{field}")])


def _inputs(ctx: RequestContext, raw: Any) -> list[str]:
    """The request's texts; the document allows a string or an array of strings."""
    if isinstance(raw, str):
        texts = [raw]
    elif isinstance(raw, list) and all(isinstance(t, str) for t in raw):
        texts = list(raw)
    else:
        raise _invalid("input must be a string or an array of strings", "input")
    if not texts:
        ctx.business_rule(rules.OPENAI_INPUT, _invalid("input must not be an empty array", "input"))
    if len(texts) > MAX_INPUTS:
        ctx.business_rule(rules.OPENAI_INPUT_COUNT, _invalid(f"input may hold at most {MAX_INPUTS} strings, got {len(texts)}", "input"))
    for i, text in enumerate(texts):
        if not text.strip():
            detail = "input must not be empty" if isinstance(raw, str) else f"input[{i}] must not be empty"
            ctx.business_rule(rules.OPENAI_INPUT, ValidationFailed(detail, items=[ErrorItem(detail, pointer="/input" if isinstance(raw, str) else f"/input/{i}")]))
    return texts


@operation("create_openai_embeddings")
async def create_embeddings(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.json
    if "input" not in body:
        raise _invalid("Field required", "input")
    model = body.get("model")
    if not isinstance(model, str):
        raise _invalid("model is required and must be a string", "model")
    texts = _inputs(ctx, body["input"])
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise _invalid("encoding_format must be 'float' or 'base64'", "encoding_format")
    dimensions = body.get("dimensions")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int)):
        raise _invalid("dimensions must be an integer", "dimensions")
    try:
        native = embeddings.dimension_of(model)
    except embeddings.UnknownEmbeddingModel as exc:
        ctx.business_rule(rules.OPENAI_MODEL, _invalid(str(exc), exc.field))
        native = embeddings.dimension_of(DEFAULT_MODEL)
        model = DEFAULT_MODEL
    if dimensions is not None and not 1 <= dimensions <= native:
        ctx.business_rule(rules.OPENAI_DIMENSIONS, _invalid(f"dimensions must be between 1 and {native} for {model}, got {dimensions}", "dimensions"))
        dimensions = None
    vectors = embeddings.embed(texts, model, dimensions)
    used = sum(embeddings.token_count(t) for t in texts)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": embeddings.to_base64(v) if encoding == "base64" else v,
        }
        for i, v in enumerate(vectors)
    ]
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": used, "total_tokens": used}}
