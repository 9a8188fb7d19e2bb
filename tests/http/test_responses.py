"""Rendering (``http/responses.py``): a remembered error body is the body the error renders to,
in its own style, and never another error's."""

from __future__ import annotations

import orjson
import pytest

from emulator.core.errors import ApiError, ErrorItem, ErrorStyle, NotFound, RateLimited, ValidationFailed, error_body
from emulator.http import responses
from emulator.http.responses import JSONResponse, render_error


def _fresh(err: ApiError, style: ErrorStyle) -> bytes:
    return orjson.dumps(error_body(err, style))


@pytest.mark.parametrize("style", list(ErrorStyle))
def test_a_repeated_error_renders_as_a_fresh_one_in_each_style(style: ErrorStyle) -> None:
    def make() -> ValidationFailed:
        return ValidationFailed(items=[ErrorItem("Input should be a valid list", pointer="/messages", kind="list_type")])

    first, again = render_error(make(), style), render_error(make(), style)
    assert first.status_code == again.status_code == 422
    assert first.body == again.body == _fresh(make(), style)
    assert dict(again.raw_headers)[b"content-length"] == str(len(again.body)).encode()


def test_errors_that_differ_in_any_part_get_their_own_bodies() -> None:
    item = ErrorItem("Field required", pointer="/model", kind="missing")
    variants: list[ApiError] = [
        ValidationFailed(items=[item]),
        ValidationFailed(items=[ErrorItem("Field required", pointer="/messages", kind="missing")]),
        ValidationFailed(items=[ErrorItem("Field required!", pointer="/model", kind="missing")]),
        ValidationFailed(items=[item], code="10032"),
        ValidationFailed(items=[item], style=ErrorStyle.FASTAPI),
        ApiError(items=[item]),  # another class: no kind-specific codes
        NotFound(items=[item]),
    ]
    for style in ErrorStyle:
        bodies = [render_error(err, style).body for err in variants]
        assert bodies == [_fresh(err, style) for err in variants]
    assert len({render_error(err).body for err in variants[:3]}) == 3  # other items, other bodies


def test_headers_are_the_errors_own_each_time() -> None:
    limited = render_error(RateLimited("Slow down", headers={"Retry-After": "3"}))
    again = render_error(RateLimited("Slow down", headers={"Retry-After": "7"}))
    assert limited.body == again.body
    assert dict(limited.raw_headers)[b"retry-after"] == b"3" and dict(again.raw_headers)[b"retry-after"] == b"7"


def test_an_error_with_many_items_is_rendered_every_time_and_correctly() -> None:
    many = [ErrorItem(f"bad {i}", pointer=f"/x/{i}") for i in range(responses.RENDERED_MAX_ITEMS + 1)]
    before = len(responses._RENDERED)  # noqa: SLF001 - the bound is what is under test
    assert render_error(ValidationFailed(items=many)).body == _fresh(ValidationFailed(items=many), ErrorStyle.TELNYX)
    assert len(responses._RENDERED) == before  # noqa: SLF001


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(responses, "RENDERED_KEPT", 4)
    for i in range(10):
        err = ValidationFailed(items=[ErrorItem(f"bad {i}", pointer="/x")])
        assert render_error(err).body == _fresh(err, ErrorStyle.TELNYX)
    assert len(responses._RENDERED) <= 4  # noqa: SLF001


def test_a_rendered_response_is_a_json_response_of_those_bytes() -> None:
    built = JSONResponse.rendered(b'{"a":1}', 201, {"X-Thing": "y"})
    assert (built.status_code, built.body) == (201, b'{"a":1}')
    assert built.raw_headers == JSONResponse({"a": 1}, status_code=201, headers={"X-Thing": "y"}).raw_headers
