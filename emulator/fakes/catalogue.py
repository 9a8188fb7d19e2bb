"""The model catalogue: which model ids the emulator serves, and their facts.

One table, read by the chat engine (is this model known?), the models endpoints (what to list)
and the embeddings engine (how many dimensions a vector has). Ids are the ones the published
document and the product seeds name; facts (parameter counts, context lengths, licences) are
public model-card figures, rounded. ``created`` is fixed so listings are byte-stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Embedding model id -> vector dimension (real dimension of each model).
EMBEDDING_MODELS: dict[str, int] = {
    "thenlper/gte-large": 1024,
    "intfloat/multilingual-e5-large": 1024,
}

# A fixed registration instant for every catalogue row (2024-01-01T00:00:00Z).
CATALOGUE_CREATED = 1704067200


@dataclass(frozen=True)
class ModelInfo:
    id: str
    parameters: int
    context_length: int
    license: str
    tier: str = "medium"
    task: str = "text-generation"
    owned_by: str = "Telnyx"
    max_completion_tokens: int | None = None
    languages: tuple[str, ...] = ("en",)
    is_vision_supported: bool = False
    is_fine_tunable: bool = False
    recommended_for_assistants: bool = False
    pricing: dict[str, str] = field(default_factory=dict)

    @property
    def organization(self) -> str:
        return self.id.split("/", 1)[0] if "/" in self.id else self.owned_by

    @property
    def parameters_str(self) -> str | None:
        if not self.parameters:
            return None  # the vendor does not publish a parameter count
        value = float(self.parameters)
        for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
            if value >= size:
                shown = f"{value / size:.1f}".rstrip("0").rstrip(".")
                return f"{shown}{unit}"
        return str(self.parameters)


def _price(prompt: str, completion: str) -> dict[str, str]:
    return {"prompt": prompt, "completion": completion, "currency": "USD", "unit": "1M_tokens"}


_MULTI = ("en", "es", "fr", "de", "it", "pt", "zh", "ja")

CHAT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("moonshotai/Kimi-K2.6", 1_000_000_000_000, 262_144, "Modified MIT", "large", languages=_MULTI,
              recommended_for_assistants=True, pricing=_price("0.600000", "2.500000")),
    ModelInfo("zai-org/GLM-5.2", 753_900_000_000, 202_752, "MIT", "large", languages=_MULTI,
              recommended_for_assistants=True, pricing=_price("0.600000", "2.200000")),
    ModelInfo("zai-org/GLM-5.1-FP8", 753_900_000_000, 202_752, "MIT", "large", languages=_MULTI,
              pricing=_price("0.550000", "2.000000")),
    ModelInfo("MiniMaxAI/MiniMax-M2.7", 229_000_000_000, 196_608, "Modified MIT", "medium", languages=_MULTI,
              pricing=_price("0.300000", "1.200000")),
    ModelInfo("Qwen/Qwen3-235B-A22B", 235_000_000_000, 131_072, "Apache 2.0", "medium", languages=_MULTI,
              recommended_for_assistants=True, pricing=_price("0.300000", "0.900000")),
    ModelInfo("meta-llama/Meta-Llama-3.1-8B-Instruct", 8_000_000_000, 131_072, "Llama 3.1 Community License",
              "small", is_fine_tunable=True, pricing=_price("0.020000", "0.050000")),
    ModelInfo("meta-llama/Meta-Llama-3.1-70B-Instruct", 70_000_000_000, 131_072, "Llama 3.1 Community License",
              "medium", pricing=_price("0.400000", "0.400000")),
    ModelInfo("meta-llama/Llama-3.3-70B-Instruct", 70_000_000_000, 131_072, "Llama 3.3 Community License",
              "medium", pricing=_price("0.400000", "0.400000")),
    ModelInfo("google/gemma-2b-it", 2_500_000_000, 8_192, "Gemma Terms of Use", "small",
              pricing=_price("0.020000", "0.020000")),
    ModelInfo("openai/gpt-4o", 200_000_000_000, 128_000, "Proprietary", "large", owned_by="openai",
              max_completion_tokens=16_384, is_vision_supported=True, languages=_MULTI,
              pricing=_price("2.500000", "10.000000")),
    ModelInfo("openai/gpt-4o-mini", 8_000_000_000, 128_000, "Proprietary", "small", owned_by="openai",
              max_completion_tokens=16_384, is_vision_supported=True, languages=_MULTI,
              pricing=_price("0.150000", "0.600000")),
    # Anthropic's models, as Telnyx's Anthropic-compatible endpoint (/ai/anthropic/v1/messages)
    # serves them; the ``anthropic`` SDK sends the bare ids (``claude-sonnet-4-5``), which
    # ALIASES maps here. Anthropic publishes no parameter counts (0 = undisclosed).
    *(ModelInfo(f"anthropic/{name}", 0, context, "Proprietary", tier, owned_by="anthropic",
                max_completion_tokens=completion, is_vision_supported=True, languages=_MULTI,
                pricing=_price(prompt, output))
      for name, context, completion, tier, prompt, output in (
          ("claude-opus-4-5", 200_000, 64_000, "large", "5.000000", "25.000000"),
          ("claude-sonnet-4-5", 200_000, 64_000, "large", "3.000000", "15.000000"),
          ("claude-haiku-4-5", 200_000, 64_000, "medium", "1.000000", "5.000000"),
          ("claude-opus-4-6", 200_000, 128_000, "large", "5.000000", "25.000000"),
          ("claude-sonnet-4-6", 200_000, 64_000, "large", "3.000000", "15.000000"),
          ("claude-3-7-sonnet-latest", 200_000, 64_000, "large", "3.000000", "15.000000"),
          ("claude-3-5-haiku-latest", 200_000, 8_192, "small", "0.800000", "4.000000"),
      )),
)

EMBEDDING_INFO: tuple[ModelInfo, ...] = (
    ModelInfo("thenlper/gte-large", 335_000_000, 512, "MIT", "small", task="feature-extraction"),
    ModelInfo("intfloat/multilingual-e5-large", 560_000_000, 512, "MIT", "small", task="feature-extraction",
              languages=_MULTI),
)

# Bare aliases some clients send (the assistant schema's example uses "gpt-4o").
# Anthropic's bare ids are what the ``anthropic`` SDK sends; dated snapshots
# (``claude-haiku-4-5-20251001``) answer as their model.
ALIASES: dict[str, str] = {
    "gpt-4o": "openai/gpt-4o",
    "gpt-4o-mini": "openai/gpt-4o-mini",
    **{info.id.removeprefix("anthropic/"): info.id for info in CHAT_MODELS if info.owned_by == "anthropic"},
}
_SNAPSHOT = re.compile(r"^(claude-[a-z0-9-]+?)-(\d{8})$")

DEFAULT_CHAT_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct"


def chat_model(model_id: str) -> ModelInfo | None:
    """The catalogue row for a chat model id (aliases resolved), or None if unknown."""
    model_id = canonical(model_id)
    for info in CHAT_MODELS:
        if info.id == model_id:
            return info
    return None


def canonical(model_id: str) -> str:
    """The catalogue id ``model_id`` names: an alias's target, a dated Anthropic snapshot's
    model (``claude-haiku-4-5-20251001`` → ``anthropic/claude-haiku-4-5``), else itself."""
    if model_id in ALIASES:
        return ALIASES[model_id]
    snapshot = _SNAPSHOT.match(model_id.removeprefix("anthropic/"))
    if snapshot is not None:
        return ALIASES.get(snapshot.group(1), model_id)
    return model_id


def is_embedding_model(model_id: str) -> bool:
    return model_id in EMBEDDING_MODELS


def model_metadata(info: ModelInfo, iso_created: str) -> dict[str, Any]:
    """A ``ModelMetadata`` row (the document's shape for ``/ai/openai/models``)."""
    return {
        "id": info.id,
        "object": "model",
        "created": iso_created,
        "owned_by": info.owned_by,
        "organization": info.organization,
        "context_length": info.context_length,
        "max_completion_tokens": info.max_completion_tokens,
        "languages": list(info.languages),
        "parameters": info.parameters,
        "parameters_str": info.parameters_str,
        "tier": info.tier,
        "license": info.license,
        "task": info.task,
        "is_fine_tunable": info.is_fine_tunable,
        "is_vision_supported": info.is_vision_supported,
        "recommended_for_assistants": info.recommended_for_assistants,
        "pricing": dict(info.pricing),
        "regions": ["us-central-1", "us-east-1"],
        "base_model": None,
        "description": None,
    }
