"""Reading and parsing request bodies, with the size limit and content-type negotiation."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request

from emulator.core.errors import BadRequest, ClientClosed, ErrorItem, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from emulator.http.context import UNPARSED
from emulator.http.deadlines import TaskDeadline
from emulator.http.storable import check_storable
from emulator.openapi.index import Operation


async def read_body(request: Request, limit: int, deadline: TaskDeadline) -> bytes:
    """The raw body, refusing more than ``limit`` bytes before reading it all, and a sender that
    takes longer than the deadline (a byte-at-a-time client must not hold a worker)."""
    headers = request.headers
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
    if (declared == "0" or (not declared and request.scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"))) and "transfer-encoding" not in headers:
        request._body = b""  # noqa: SLF001 - nothing to read (the common case, kept cheap; some clients say Content-Length: 0)
        return b""
    # The ASGI messages read directly (Request.stream() is an async generator per body), in this
    # frame, between the deadline's begin and end (deadlines.py: what ``within`` does).
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    task = deadline.begin()
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientClosed("The client closed the connection before sending the whole body.")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
    except asyncio.CancelledError:
        if not deadline.timed_out(task):
            raise  # somebody else's cancellation (a shutdown): not ours to swallow
        raise RequestTimeout(f"The request body did not arrive within {deadline.timeout:g} s.") from None
    except TimeoutError:  # one of the server's own, as it always was
        raise RequestTimeout(f"The request body did not arrive within {deadline.timeout:g} s.") from None
    except ClientDisconnect:  # what a receive of Starlette's raises for a disconnect it saw first
        raise ClientClosed("The client closed the connection before sending the whole body.") from None
    finally:
        deadline.end(task)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = body  # noqa: SLF001 - lets request.form() parse what we already read
    return body


def _media_type(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    media_type = raw.split(";", 1)[0].strip().lower()
    kind, slash, sub = media_type.partition("/")
    if not (kind and slash and sub) or " " in media_type:  # e.g. ";;;/": not a media type at all
        raise UnsupportedMediaType(f"Content-Type {raw!r} is not a media type (type/subtype).")
    return media_type


def _accepts(declared: str, actual: str) -> bool:
    if declared == actual or declared == "*/*":
        return True
    if declared.endswith("/*"):
        return actual.startswith(declared[:-1])
    return False


def negotiate(operation: Operation, media_type: str | None) -> str | None:
    """The declared media type this request's body is sent as, or 415."""
    if operation.request_body is None:
        return media_type
    declared = list(operation.request_body.content)
    if media_type is None:
        # No Content-Type: treat as JSON when the operation takes JSON (curl -d without -H).
        return next((d for d in declared if "json" in d), declared[0] if declared else None)
    for d in declared:
        if _accepts(d, media_type):
            return d
    if media_type.endswith("+json") or media_type == "text/json":
        json_declared = next((d for d in declared if "json" in d), None)
        if json_declared:
            return json_declared
    raise UnsupportedMediaType(
        f"Content-Type {media_type!r} is not supported here; use one of: {', '.join(declared)}"
    )


def _is_curl_json(operation: Operation, raw: bytes) -> bool:
    """``curl -d '{...}'`` without ``-H 'Content-Type: application/json'`` labels JSON as a form:
    read it as JSON where the operation takes JSON and no form (what the user meant)."""
    if operation.request_body is None or raw.lstrip()[:1] not in (b"{", b"["):
        return False
    declared = operation.request_body.content
    return "application/x-www-form-urlencoded" not in declared and any("json" in d for d in declared)


async def parse_body(request: Request, operation: Operation, raw: bytes, content_type: str | None, *, checked: bool = False) -> tuple[str | None, Any]:
    """(declared media type, parsed body). JSON → value, forms → dict, anything else → bytes.

    ``content_type``: the request's Content-Type header (the caller has read it already).
    ``checked``: these bytes were parsed and found storable and valid before
    (``http/clean_bodies.py``): JSON is then left :data:`UNPARSED` until a handler reads it."""
    actual = _media_type(content_type)
    if actual == "application/x-www-form-urlencoded" and _is_curl_json(operation, raw):
        actual = "application/json"
    if not raw:
        return (negotiate(operation, actual) if operation.request_body else actual), None
    declared = negotiate(operation, actual)
    kind = declared or actual or ""
    if "json" in kind:
        if checked:
            return declared, UNPARSED  # parsed when a handler reads it (http/context.py)
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(
                "The request body is not valid JSON.",
                items=[ErrorItem(f"The request body is not valid JSON: {exc.msg} (at byte {exc.pos})", pointer="")],
            ) from exc
        check_storable(value, raw)
        return declared, value
    if kind == "application/x-www-form-urlencoded":
        form: dict[str, Any] = {}
        for key, value in parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True):
            if key in form:
                prior = form[key]
                form[key] = [*prior, value] if isinstance(prior, list) else [prior, value]
            else:
                form[key] = value
        return declared, form
    if kind.startswith("multipart/"):
        try:
            parsed = await request.form(max_files=16, max_fields=256)
        except Exception as exc:  # the multipart parser raises several types
            raise BadRequest(f"The multipart body could not be parsed: {exc}") from exc
        out: dict[str, Any] = {}
        for name, item in parsed.multi_items():
            out[name] = item if isinstance(item, UploadFile) else str(item)
        return declared, out
    return declared, raw
