"""The router built from the document: static-before-param, /v2 and bare paths, 404/405."""

from __future__ import annotations

import pytest

from emulator.core.errors import MethodNotAllowed, NotFound
from emulator.openapi import index as index_module
from emulator.openapi.index import OperationIndex
from emulator.openapi.loader import SpecDocument, load_document


@pytest.fixture(scope="module")
def index() -> OperationIndex:
    return OperationIndex(load_document())


def test_static_segment_beats_parameter(index: OperationIndex) -> None:
    op, params = index.match("GET", "/v2/ai/assistants/tags")
    assert op.path == "/ai/assistants/tags"
    assert params == {}
    op, params = index.match("GET", "/v2/ai/assistants/asst_123")
    assert op.path == "/ai/assistants/{assistant_id}"
    assert params == {"assistant_id": "asst_123"}


def test_bare_and_v2_paths_route_alike(index: OperationIndex) -> None:
    a, pa = index.match("POST", "/v2/calls/abc/actions/answer")
    b, pb = index.match("POST", "/calls/abc/actions/answer")
    assert a is b and pa == pb == {"call_control_id": "abc"}


def test_percent_encoded_parameters_are_decoded(index: OperationIndex) -> None:
    _, params = index.match("GET", "/v2/calls/v3%3Aabc")
    assert params == {"call_control_id": "v3:abc"}


def test_unknown_path_is_not_found(index: OperationIndex) -> None:
    with pytest.raises(NotFound):
        index.match("GET", "/v2/no/such/thing")


def test_wrong_method_lists_allowed(index: OperationIndex) -> None:
    with pytest.raises(MethodNotAllowed) as info:
        index.match("PATCH", "/v2/calls")
    assert info.value.headers["allow"] == "POST"


def test_backtracking_and_embedded_params() -> None:
    doc = SpecDocument(
        raw={
            "openapi": "3.1.0",
            "paths": {
                "/a/{x}/c": {"get": {"operationId": "axc", "responses": {}}},
                "/a/b/d": {"get": {"operationId": "abd", "responses": {}}},
                "/files/{name}.json": {"get": {"operationId": "file", "responses": {}}},
            },
        },
        source="test",
    )
    index = OperationIndex(doc)
    # "/a/b/c": the static "b" branch has no "c", so the router must back off to {x}.
    op, params = index.match("GET", "/a/b/c")
    assert op.operation_id == "axc" and params == {"x": "b"}
    op, params = index.match("GET", "/files/report.json")
    assert op.operation_id == "file" and params == {"name": "report"}


def test_every_embedded_operation_routes_to_itself(index: OperationIndex) -> None:
    for op in index.operations:
        concrete = op.path.replace("{", "").replace("}", "")
        found, _ = index.match(op.method, "/v2" + concrete)
        # A concrete path may legitimately hit a static sibling (e.g. .../tags); it must then
        # be an operation whose template equals that concrete path.
        assert found is op or found.path == concrete, (op.key, found.key)


def test_a_remembered_route_hands_out_its_own_params_dict(index: OperationIndex) -> None:
    first_op, first = index.match("GET", "/v2/ai/assistants/asst_123")
    first["assistant_id"] = "changed by a caller"
    again_op, again = index.match("GET", "/v2/ai/assistants/asst_123")
    assert again_op is first_op and again == {"assistant_id": "asst_123"}
    other_op, other = index.match("GET", "/v2/ai/assistants/asst_456")
    assert other_op is first_op and other == {"assistant_id": "asst_456"}


def test_the_route_memo_is_bounded(index: OperationIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "ROUTE_CACHE_SIZE", 8)
    for n in range(50):
        op, params = index.match("GET", f"/v2/ai/assistants/a{n}")
        assert params == {"assistant_id": f"a{n}"}
    assert len(index._routes) <= 8  # noqa: SLF001 - the bound is the point of this test
