"""Embeddings through the official ``openai`` SDK: real dimensions, base64, meaningful similarity."""

from __future__ import annotations

import base64
import math
import struct

import openai
import pytest
from starlette.testclient import TestClient

from emulator.fakes.embeddings import cosine, embed, normalise
from tests.conftest import AUTH, LiveServer


def _client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_dimension_usage_and_determinism(live_server: LiveServer) -> None:
    client = _client(live_server)
    first = client.embeddings.create(model="thenlper/gte-large", input=["the cat sat on the mat", "hello"], encoding_format="float")
    again = client.embeddings.create(model="thenlper/gte-large", input=["the cat sat on the mat", "hello"], encoding_format="float")
    assert [d.index for d in first.data] == [0, 1]
    assert all(len(d.embedding) == 1024 for d in first.data)
    assert abs(sum(v * v for v in first.data[0].embedding) - 1.0) < 1e-9  # unit length
    assert first.data[0].embedding == again.data[0].embedding
    assert first.data[0].embedding != first.data[1].embedding
    assert first.model == "thenlper/gte-large" and first.object == "list"
    assert first.usage.prompt_tokens == first.usage.total_tokens > 0


def test_base64_decodes_to_the_same_floats(live_server: LiveServer) -> None:
    client = _client(live_server)
    text = "The quick brown fox jumps over the lazy dog"
    floats = client.embeddings.create(model="intfloat/multilingual-e5-large", input=text, encoding_format="float").data[0].embedding
    # The SDK's default is base64, which it decodes itself: must equal the float32 of the floats.
    decoded = client.embeddings.create(model="intfloat/multilingual-e5-large", input=text).data[0].embedding
    assert len(decoded) == 1024
    assert all(abs(a - b) < 1e-6 for a, b in zip(floats, decoded, strict=True))
    raw = client.embeddings.with_raw_response.create(model="intfloat/multilingual-e5-large", input=text, encoding_format="base64")
    b64 = raw.http_response.json()["data"][0]["embedding"]
    assert isinstance(b64, str)
    unpacked = struct.unpack("<1024f", base64.b64decode(b64))
    assert unpacked == struct.unpack("<1024f", struct.pack("<1024f", *floats))


def test_similarity_ordering(live_server: LiveServer) -> None:
    client = _client(live_server)
    texts = ["the cat sat on the mat", "a cat on a mat", "quarterly revenue grew", "Revenue grew strongly this quarter"]
    vecs = [d.embedding for d in client.embeddings.create(model="thenlper/gte-large", input=texts, encoding_format="float").data]
    assert _cos(vecs[0], vecs[1]) > _cos(vecs[0], vecs[2]) + 0.3
    assert _cos(vecs[2], vecs[3]) > _cos(vecs[2], vecs[1])


def test_dimensions_truncate_and_renormalise(live_server: LiveServer) -> None:
    client = _client(live_server)
    full = client.embeddings.create(model="thenlper/gte-large", input="support ticket about billing", encoding_format="float").data[0].embedding
    short = client.embeddings.create(model="thenlper/gte-large", input="support ticket about billing", dimensions=256, encoding_format="float").data[0].embedding
    assert len(short) == 256
    assert abs(sum(v * v for v in short) - 1.0) < 1e-9
    norm = math.sqrt(sum(v * v for v in full[:256]))
    assert all(abs(s - f / norm) < 1e-12 for s, f in zip(short, full[:256], strict=True))


def test_bad_input_is_422(live_server: LiveServer) -> None:
    client = _client(live_server)
    with pytest.raises(openai.UnprocessableEntityError) as err:
        client.embeddings.create(model="no/such-model", input="hi")
    assert err.value.body["detail"][0]["loc"] == ["body", "model"]  # type: ignore[index]
    with pytest.raises(openai.UnprocessableEntityError):
        client.embeddings.create(model="thenlper/gte-large", input="hi", dimensions=4096)
    with pytest.raises(openai.UnprocessableEntityError):
        client.embeddings.create(model="thenlper/gte-large", input=[])


def test_raw_http_errors_name_the_field(client: TestClient) -> None:
    r = client.post("/v2/ai/openai/embeddings", headers=AUTH, json={"model": "thenlper/gte-large", "input": [1, 2, 3]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "input"]
    r = client.post("/v2/ai/openai/embeddings", headers=AUTH, json={"model": "thenlper/gte-large", "input": ["ok", "  "]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "input", 1]
    r = client.post("/v2/ai/openai/embeddings", headers=AUTH, json={"model": "thenlper/gte-large", "input": "x", "encoding_format": "hex"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "encoding_format"]


def test_engine_api_for_other_families() -> None:
    assert normalise("The runners were running quickly") == ["runner", "run", "quick"]
    a, b, c = embed(["refund my order", "I want a refund for the order", "weather in Paris"], "thenlper/gte-large", 64)
    assert len(a) == 64
    assert cosine(a, b) > cosine(a, c)
