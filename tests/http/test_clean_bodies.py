"""Bodies seen clean once are not checked again (http/clean_bodies.py) — and nothing else changes."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.http import clean_bodies
from emulator.http.clean_bodies import CleanBodies
from emulator.http.context import UNPARSED, RequestContext
from emulator.openapi.index import OperationIndex
from emulator.openapi.loader import load_document
from emulator.openapi.validate import RequestValidator
from tests.conftest import AUTH

CHAT = {"model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "messages": [{"role": "user", "content": "Hello there"}]}


def test_the_same_bytes_get_the_same_answer_and_each_its_own_value(client: TestClient) -> None:
    raw = json.dumps(CHAT).encode()
    first = client.post("/v2/ai/chat/completions", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    again = client.post("/v2/ai/chat/completions", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert first.status_code == again.status_code == 200
    assert first.json()["choices"] == again.json()["choices"]


def test_a_clean_body_is_parsed_only_when_read_and_each_request_gets_its_own() -> None:
    raw = b'{"name": "kept", "tags": ["a"]}'
    one = RequestContext(None, None, None, "k", {}, {}, {}, UNPARSED, raw, "application/json")  # type: ignore[arg-type]
    two = RequestContext(None, None, None, "k", {}, {}, {}, UNPARSED, raw, "application/json")  # type: ignore[arg-type]
    assert one.body == {"name": "kept", "tags": ["a"]} and one.body is one.body  # parsed once, on the first read
    one.json["tags"].append("b")
    assert two.json == {"name": "kept", "tags": ["a"]}  # a value of its own
    one.body = {"replaced": True}  # handlers may replace it (assistants' shared tools do)
    assert one.json == {"replaced": True}


def test_a_repeated_body_a_handler_changes_does_not_leak_into_the_next(client: TestClient) -> None:
    raw = json.dumps({"name": "twice", "model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "instructions": "x", "tools": []}).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    first, second = (client.post("/v2/ai/assistants", content=raw, headers=headers) for _ in range(2))
    assert first.status_code == second.status_code == 200 and first.json()["id"] != second.json()["id"]
    same = [k for k in first.json() if k not in ("id", "created_at", "version_id", "version_created_at")]
    assert same and {k: first.json()[k] for k in same} == {k: second.json()[k] for k in same}


def test_a_clean_body_for_one_operation_is_still_checked_for_another(client: TestClient) -> None:
    raw = json.dumps({"name": "kept", "model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "instructions": "x"}).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    assert client.post("/v2/ai/assistants", content=raw, headers=headers).status_code == 200
    r = client.post("/v2/ai/chat/completions", content=raw, headers=headers)  # no messages: still a 422
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "messages"]


def test_an_invalid_body_is_refused_every_time(client: TestClient) -> None:
    raw = json.dumps({"model": "m", "messages": "not-a-list", "temperature": "hot"}).encode()
    answers = [client.post("/v2/ai/chat/completions", content=raw, headers={**AUTH, "Content-Type": "application/json"}) for _ in range(3)]
    assert {r.status_code for r in answers} == {422}
    assert [d["loc"] for d in answers[0].json()["detail"]] == [["body", "messages"], ["body", "temperature"]]
    assert answers[1].json() == answers[2].json() == answers[0].json()  # remembered, and answered the same


def test_a_refused_body_stands_in_for_checking_it_and_params_are_still_checked() -> None:
    doc = load_document()
    index = OperationIndex(doc)
    validator = RequestValidator(doc, index)
    operation, path = index.match("GET", "/v2/ai/assistants/asst-1")
    query = [("fetch_dynamic_variables_from_webhook", "maybe")]  # a boolean parameter to break
    item = ErrorItem("Input should be an object", pointer="", kind="dict_type")
    with pytest.raises(ValidationFailed) as fresh:
        validator.validate(operation, path_params=path, query_items=query, headers={}, media_type=None, body=None)
    with pytest.raises(ValidationFailed) as known:
        validator.validate(operation, path_params=path, query_items=query, headers={}, media_type="application/json",
                           body=UNPARSED, body_checked=True, body_refused=(item,))
    assert fresh.value.items and fresh.value.body_items == ()  # the parameter's item, none of the body's
    assert known.value.items == [*fresh.value.items, item] and known.value.body_items == (item,)  # both, in the usual order


def test_an_unstorable_body_is_refused_every_time(client: TestClient) -> None:
    raw = b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 99999999999999999999}'
    for _ in range(2):
        r = client.post("/v2/ai/chat/completions", content=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 422


def test_keys_are_bounded_and_large_or_empty_bodies_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    operation, _ = OperationIndex(load_document()).match("POST", "/v2/ai/chat/completions")
    monkeypatch.setattr(clean_bodies, "KEPT", 3)
    kept = CleanBodies()
    keys = [kept.key(operation, "application/json", b'{"n": %d}' % n) for n in range(10)]
    for key in keys:
        kept.add(key)
    assert keys[-1] in kept and sum(k in kept for k in keys) <= 3
    assert kept.key(operation, "application/json", b"") is None
    assert kept.key(operation, "application/json", b" " * (clean_bodies.MAX_BYTES + 1)) is None
    assert kept.key(operation, "text/json", b'{"n": 9}') not in kept  # the media type is part of the key
