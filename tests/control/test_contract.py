"""The control API's contract: ``/_emulator/openapi.json`` declares a request schema for every
body and a response schema for every answer, generated from the pydantic models the endpoints
parse and answer with — so the document accepts what the endpoint accepts, and a misspelt key
is a 422 naming it on every endpoint that takes a JSON body."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from emulator.families.calls.control import VERBS
from emulator.runtime.family import ControlRoute

BODY_METHODS = {"post", "put", "patch"}
DASHBOARD = "/_emulator/ui"
"""The dashboard's browser routes (HTML, a sign-in form answered with 303) are not the control
API whose contract these tests check."""


def test_the_document_is_valid_openapi_and_every_reference_resolves(client: TestClient) -> None:
    doc = client.get("/_emulator/openapi.json").json()
    validate(doc)
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', str(doc).replace("'", '"')))
    assert refs and refs <= set(doc["components"]["schemas"])


def test_every_operation_declares_its_request_and_response_schemas(client: TestClient) -> None:
    doc = client.get("/_emulator/openapi.json").json()
    for path, item in doc["paths"].items():
        if path.startswith(DASHBOARD):
            continue
        for method, op in item.items():
            name = f"{method.upper()} {path}"
            if method in BODY_METHODS:
                content = op.get("requestBody", {}).get("content", {})
                assert content, f"{name} takes a body but declares no requestBody"
                assert all("schema" in media for media in content.values()), f"{name}: a body media type without schema"
            answers = {status: r for status, r in op["responses"].items() if status.startswith("2")}
            assert answers, f"{name} declares no 2xx response"
            for status, answer in answers.items():
                if status == "204":
                    assert "content" not in answer, f"{name}: a 204 has no body"
                    continue
                assert answer.get("content"), f"{name} {status} declares no response content"
                assert all("schema" in media for media in answer["content"].values()), f"{name} {status}: content without schema"


def test_the_generated_schemas_are_the_models_the_endpoints_use(client: TestClient) -> None:
    table: tuple[ControlRoute, ...] = client.app.state.control_table  # type: ignore[attr-defined]
    doc = client.get("/_emulator/openapi.json").json()
    for route in table:
        op = doc["paths"][re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)][route.method.lower()]
        if route.body is not None:
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1].startswith(route.body.__name__), route.operation_id
        if route.response is not None:
            answer = next(r for s, r in op["responses"].items() if s.startswith("2"))
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1].startswith(route.response.__name__), route.operation_id


def test_the_document_accepts_what_the_endpoint_accepts(client: TestClient) -> None:
    """A script with an object step and a short-string step: the endpoint queues it and the
    generated schema validates it; the same body with ``script`` for ``steps`` fails both."""
    doc = client.get("/_emulator/openapi.json").json()
    schema = {**doc["paths"]["/_emulator/calls/scripts"]["post"]["requestBody"]["content"]["application/json"]["schema"], "components": doc["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    good = {"to": "+15550001111", "steps": [{"action": "answer", "after": 1}, "press 12#"], "auto": True}
    assert validator.is_valid(good)
    assert client.post("/_emulator/calls/scripts", json=good).status_code == 201
    bad = {"to": "+15550001111", "script": ["answer"]}
    assert not validator.is_valid(bad)
    r = client.post("/_emulator/calls/scripts", json=bad)
    assert r.status_code == 422
    assert [(e["source"]["pointer"], "'script'" in e["detail"]) for e in r.json()["errors"]] == [("/script", True)]


def test_a_misspelt_step_key_is_named_with_its_pointer(client: TestClient) -> None:
    r = client.post("/_emulator/calls/scripts", json={"to": "+1555", "steps": ["answer", {"action": "say", "txt": "hi"}]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"]["pointer"] == "/steps/1/txt"


MISSPELT = "not_a_field"


def _body_routes(client: TestClient) -> list[ControlRoute]:
    table: tuple[ControlRoute, ...] = client.app.state.control_table  # type: ignore[attr-defined]
    return [r for r in table if r.body is not None]


def _start_call(client: TestClient) -> str:
    r = client.post("/_emulator/calls/inbound", json={"from": "+15550001111", "to": "+15550002222", "connection_id": "conn-1", "api_key": "k"})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["call_control_id"])


def _urls(route: ControlRoute, call_id: str) -> list[str]:
    """Every URL of the route, its placeholders filled (each verb of the other party)."""
    fill = {"call_id": call_id, "event_type": "call.speak.ended", "api_key": "k", "kind": "fine_tuning_job", "event_id": "evt-x", "conversation_id": "conv-x"}
    path = route.path
    for name in re.findall(r"\{(\w+)(?::\w+)?\}", path):
        if name != "verb":
            path = re.sub(r"\{" + name + r"(?::\w+)?\}", fill.get(name, "x"), path)
    return [path.replace("{verb}", verb) for verb in VERBS] if "{verb}" in path else [path]


def test_every_body_route_is_covered(client: TestClient) -> None:
    """Every POST/PUT/PATCH with a JSON body names its model (so the next test reaches it);
    only the bucket upload takes raw bytes."""
    table: tuple[ControlRoute, ...] = client.app.state.control_table  # type: ignore[attr-defined]
    modelless = [r.operation_id for r in table if r.method in ("POST", "PUT", "PATCH") and r.body is None and not r.path.startswith(DASHBOARD)]
    assert modelless == ["putBucketFile"]


def test_a_misspelt_key_is_a_422_naming_it_on_every_control_endpoint(client: TestClient) -> None:
    call_id = _start_call(client)
    checked = []
    for route in _body_routes(client):
        for url in _urls(route, call_id):
            r = client.request(route.method, url, params={"api_key": "k"}, json={MISSPELT: 1})
            errors = r.json().get("errors", []) if r.headers.get("content-type", "").startswith("application/json") else []
            named = [e for e in errors if e.get("source", {}).get("pointer") == f"/{MISSPELT}" and MISSPELT in e["detail"]]
            assert r.status_code == 422 and named, f"{route.method} {url}: {r.status_code} {r.text[:300]}"
            checked.append(url)
    assert len(checked) >= 25


@pytest.mark.parametrize(
    ("url", "body", "key"),
    [
        ("/_emulator/calls/inbound", {"from": "+1", "to": "+2", "connection_id": "c", "api_key": "k", "script": ["answer"]}, "script"),
        ("/_emulator/reset", {"apikey": "k"}, "apikey"),
        ("/_emulator/faults", [{"status": 500}, {"statuz": 500}], "1/statuz"),
        ("/_emulator/rules", {"rules": [{"reply": {"content": "x"}, "time": 2}]}, "rules/0/time"),
        ("/_emulator/rules", {"reply": {"contents": "x"}}, "reply/contents"),
        ("/_emulator/lifecycles/advance?api_key=k", {"step": 1}, "step"),
    ],
)
def test_nested_and_listed_misspellings_point_at_the_key(client: TestClient, url: str, body: Any, key: str) -> None:
    r = client.post(url, json=body)
    assert r.status_code == 422, r.text
    assert f"/{key}" in [e["source"]["pointer"] for e in r.json()["errors"]]


def test_the_other_party_verbs_take_only_their_own_fields(client: TestClient) -> None:
    call_id = _start_call(client)
    r = client.post(f"/_emulator/calls/{call_id}/script", json={"script": ["press 1"]})
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/script"
    r = client.post(f"/_emulator/calls/{call_id}/dtmf", json={"digits": "1", "text": "hi"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/text"
    ok = client.post(f"/_emulator/calls/{call_id}/script", json={"steps": ["press 1"]})
    assert ok.status_code == 200 and ok.json()["data"]["call_control_id"] == call_id


def test_triggered_events_take_the_fields_of_their_document_schema(client: TestClient) -> None:
    call_id = _start_call(client)
    ok = client.post(f"/_emulator/calls/{call_id}/events/call.speak.ended", json={"status": "interrupted"})
    assert ok.status_code == 202 and ok.json()["data"]["event_type"] == "call.speak.ended"
    r = client.post(f"/_emulator/calls/{call_id}/events/call.speak.ended", json={"stauts": "interrupted"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/stauts"
    assert "status" in r.json()["errors"][0]["detail"]  # the expected fields are listed
