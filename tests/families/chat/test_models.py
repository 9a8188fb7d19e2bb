"""Model catalogues through both SDKs, and the catalogue's agreement with the document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import telnyx

from emulator.fakes.catalogue import CHAT_MODELS, EMBEDDING_MODELS, chat_model
from emulator.openapi.loader import load_document
from tests.conftest import LiveServer
from tests.support.chat import live


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live(tmp_path_factory.mktemp("models")) as srv:
        yield srv


def test_openai_sdk_lists_chat_and_embedding_models(server: LiveServer) -> None:
    oa = openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)
    ids = [m.id for m in oa.models.list()]
    assert {"moonshotai/Kimi-K2.6", "zai-org/GLM-5.1-FP8", "MiniMaxAI/MiniMax-M2.7", "meta-llama/Meta-Llama-3.1-8B-Instruct"} <= set(ids)
    assert set(EMBEDDING_MODELS) <= set(ids)
    assert len(ids) == len(set(ids))


def test_telnyx_sdk_strictly_validates_catalogues(server: LiveServer) -> None:
    tx = telnyx.Telnyx(api_key="k", base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)
    models = tx.ai.openai.list_models()
    kimi = next(m for m in models.data if m.id == "moonshotai/Kimi-K2.6")
    assert kimi.organization == "moonshotai" and kimi.owned_by == "Telnyx" and kimi.task == "text-generation"
    assert kimi.parameters_str == "1T" and kimi.context_length == 262144 and kimi.created.year == 2024
    embedding = tx.ai.openai.embeddings.list_embedding_models()
    assert [(m.id, m.object) for m in embedding.data] == [(m, "model") for m in EMBEDDING_MODELS]
    legacy = httpx.get(f"{server.url}/v2/ai/models", headers={"Authorization": "Bearer k"})
    assert legacy.status_code == 200 and [m["id"] for m in legacy.json()["data"]] == [m.id for m in models.data]


def test_every_model_id_the_document_names_is_served(tmp_path: Path) -> None:
    raw = load_document(None, cache_dir=tmp_path).raw
    schemas = raw["components"]["schemas"]
    named = {
        schemas["ChatCompletionRequest"]["properties"]["model"]["default"],
        schemas["Assistant"]["properties"]["model"]["default"],
        raw["paths"]["/ai/anthropic/v1/messages"]["post"]["requestBody"]["content"]["application/json"]["example"]["model"],
        raw["paths"]["/ai/openai/responses"]["post"]["requestBody"]["content"]["application/json"]["example"]["model"],
        schemas["ModelMetadata"]["properties"]["id"]["example"],
        "openai/gpt-4o",
    }
    assert all(chat_model(m) is not None for m in named), named
    assert set(schemas["SupportedEmbeddingModels"]["enum"]) <= set(EMBEDDING_MODELS)
    assert all(info.tier in schemas["ModelMetadata"]["properties"]["tier"]["enum"] for info in CHAT_MODELS)
