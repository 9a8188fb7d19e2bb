"""Turning handler results and errors into HTTP responses (the one place errors are rendered)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from emulator.core.errors import ApiError, ErrorStyle, error_body
from emulator.http.binding import Reply
from emulator.openapi.index import Operation

_JSON = b"application/json"


class JSONResponse(Response):
    """orjson-serialised JSON (several times faster than the stdlib for large bodies).

    Its raw headers are built directly: Starlette's ``init_headers`` re-scans the given headers
    and re-encodes the media type on every response, a tenth of a small request's cost.
    """

    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        self._init_rendered(orjson.dumps(content), status_code, headers)

    @classmethod
    def rendered(cls, body: bytes, status_code: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
        """A response of JSON already serialized (``body``)."""
        response = cls.__new__(cls)
        response._init_rendered(body, status_code, headers)  # noqa: SLF001 - its own class
        return response

    def _init_rendered(self, body: bytes, status_code: int, headers: Mapping[str, str] | None) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        if not headers:
            self.raw_headers = [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _JSON)]
            return
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if not any(name == b"content-length" for name, _ in raw):
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if not any(name == b"content-type" for name, _ in raw):
            raw.append((b"content-type", _JSON))
        self.raw_headers = raw

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def to_response(result: Any, operation: Operation) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        status = result.status or operation.success_code
        if status == 204 or result.body is None:
            return Response(status_code=status, headers=result.headers)
        return JSONResponse(result.body, status_code=status, headers=result.headers)
    status = operation.success_code
    if status == 204 or result is None:
        return Response(status_code=status)
    return JSONResponse(result, status_code=status)


# Rendered error bodies by everything ``error_body`` reads: a client's retries and a negative
# test in a loop send the same invalid request again and again, and shaping and serializing the
# envelope was a tenth of such a 422. Bounded (emptied when full); errors with many items (a
# hostile body's) are rendered every time rather than kept.
_RENDERED: dict[tuple[object, ...], bytes] = {}
RENDERED_KEPT = 512
RENDERED_MAX_ITEMS = 8


def render_error(err: ApiError, style: ErrorStyle = ErrorStyle.TELNYX) -> Response:
    """``err`` as a response in ``style`` (the envelope itself is shaped by ``error_body``)."""
    items = err.items
    if len(items) > RENDERED_MAX_ITEMS:
        return JSONResponse(error_body(err, style), status_code=err.instance_status, headers=err.headers)
    # error_body is a pure function of these (ErrorItem is a frozen dataclass: hashable by value)
    key = (type(err), err.instance_status, err.instance_code, err.instance_title, err.forced_style, style, *items)
    body = _RENDERED.get(key)
    if body is None:
        if len(_RENDERED) >= RENDERED_KEPT:
            _RENDERED.clear()
        body = _RENDERED[key] = orjson.dumps(error_body(err, style))
    return JSONResponse.rendered(body, err.instance_status, err.headers)
