"""The API endpoint: routing with and without /v2, unknown paths and methods in the Telnyx envelope."""

from __future__ import annotations

from starlette.requests import Request
from starlette.testclient import TestClient

from emulator.http.context import base_url_of
from emulator.http.dispatch import ApiRequest
from tests.conftest import AUTH


def test_unknown_path_404_and_wrong_method_405(client: TestClient) -> None:
    r = client.get("/v2/definitely/not/here", headers=AUTH)
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "10001"
    r = client.delete("/v2/calls", headers=AUTH)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.json()["errors"][0]["title"] == "Method not allowed"


def test_no_slash_redirects(client: TestClient) -> None:
    r = client.get("/v2/ai/assistants/", headers=AUTH, follow_redirects=False)
    assert r.status_code != 307 and r.status_code != 308


def test_served_with_and_without_v2(client: TestClient) -> None:
    assert client.get("/v2/ai/models", headers=AUTH).status_code == 200
    assert client.get("/ai/models", headers=AUTH).status_code == 200


def test_api_request_headers_are_case_insensitive_and_first_wins() -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": [(b"prefer", b"first"), (b"prefer", b"second"), (b"x-thing", b"1")]}
    headers = ApiRequest(scope).headers
    assert headers["Prefer"] == "first" and headers.get("PREFER") == "first" and headers.getlist("prefer") == ["first", "second"]
    assert "X-Thing" in headers and "absent" not in headers and headers.get("absent", "d") == "d"
    from_tuple = ApiRequest({**scope, "headers": tuple(scope["headers"])}).headers  # an ASGI server may hand any iterable
    assert from_tuple["prefer"] == "first" and from_tuple.getlist("prefer") == ["first", "second"]
    absent = ApiRequest(scope).query_params
    assert absent.get("a") is None and absent.get("a", "d") == "d" and absent.getlist("a") == [] and "a" not in absent and not absent
    assert ApiRequest({**scope, "query_string": b"a=1&a=2"}).query_params.getlist("a") == ["1", "2"]


def test_base_url_is_starlettes_per_host_and_root_path() -> None:
    def scope(host: bytes | None, root_path: str = "", scheme: str = "http", server: tuple[str, int] = ("127.0.0.1", 8080)) -> dict:
        headers = [(b"host", host)] if host is not None else []
        return {"type": "http", "scheme": scheme, "server": server, "path": "/v2/x", "root_path": root_path, "query_string": b"", "headers": [(b"accept", b"*/*"), *headers]}

    cases = [scope(b"localhost:9000"), scope(b"emulator:8080", "/telnyx"), scope(None), scope(None, scheme="https", server=("h", 443)), scope(b"localhost:9000")]
    for s in cases:
        assert base_url_of(Request(s)) == str(Request(s).base_url).rstrip("/")
    assert [base_url_of(Request(s)) for s in cases] == ["http://localhost:9000", "http://emulator:8080/telnyx", "http://127.0.0.1:8080", "https://h", "http://localhost:9000"]


def test_an_empty_declared_body_is_not_waited_for(client: TestClient) -> None:
    """``Content-Length: 0`` (wrk, some HTTP libraries) means nothing to read, on any method."""
    listed = client.get("/v2/ai/assistants", headers={**AUTH, "Content-Length": "0"})
    assert listed.status_code == 200 and listed.json()["data"] == []
    empty = client.post("/v2/ai/chat/completions", content=b"", headers={**AUTH, "Content-Type": "application/json", "Content-Length": "0"})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body"]
