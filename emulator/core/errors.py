"""The one error type, the one code table, and the one place errors become HTTP responses.

Every failure a client can see is an :class:`ApiError` (or a subclass declaring its status, code
and title as class attributes). Handlers raise; :func:`emulator.http.responses.render_error` renders, in the error *style*
the loaded document declares for the operation's family (see ``emulator/openapi/error_styles.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar


class ErrorStyle(str, Enum):
    """Envelope shapes declared by the published document's error responses."""

    TELNYX = "telnyx"  # {"errors":[{"code","title","detail","source":{...},"meta":{...}}]}
    FASTAPI = "fastapi"  # {"detail":[{"loc":[...],"msg","type"}]}  (most /ai/* operations)
    FIELD_MAP = "field_map"  # {"errors":{"field":["msg"]}}  (text-to-speech validation)


@dataclass(frozen=True)
class CodeInfo:
    title: str
    source: str  # where the code comes from: the published document, or "emulator" for our own


# Error codes, in one table. "document" = the code/title pair appears in Telnyx's published
# document (examples and response schemas); "emulator" = chosen by us where Telnyx documents none.
CODES: Mapping[str, CodeInfo] = {
    "10001": CodeInfo("Not Found", "document"),
    "10004": CodeInfo("Missing required parameter", "document"),
    "10005": CodeInfo("Resource not found", "document"),
    "10006": CodeInfo("Not authorized", "document"),
    "10007": CodeInfo("Unexpected error", "document"),
    "10009": CodeInfo("Authentication failed", "document"),
    "10010": CodeInfo("Authorization Failed", "emulator"),
    "10011": CodeInfo("Too many requests", "document"),
    "10015": CodeInfo("Bad Request", "document"),
    "10019": CodeInfo("Internal Server Error", "document"),
    "10021": CodeInfo("Resource in use", "document"),
    "10026": CodeInfo("Invalid parameter type", "document"),
    "10032": CodeInfo("Invalid enumerated value", "document"),
    "10033": CodeInfo("Value outside of range", "document"),
    "10016": CodeInfo("Service Unavailable", "document"),
    "40901": CodeInfo("Conflict", "document"),
    "10405": CodeInfo("Method not allowed", "emulator"),
    "10408": CodeInfo("Request timeout", "emulator"),
    "10413": CodeInfo("Request entity too large", "emulator"),
    "10499": CodeInfo("Client closed request", "emulator"),
    "10502": CodeInfo("Bad Gateway", "emulator"),
    "10415": CodeInfo("Unsupported media type", "emulator"),
    "10422": CodeInfo("Invalid parameter", "emulator"),
    "90014": CodeInfo("Invalid value for SendDigits", "document"),
    "90015": CodeInfo("Invalid Call Control ID", "document"),
    "90018": CodeInfo("Call has already ended", "document"),
    "90033": CodeInfo("Unable to execute command", "document"),
    "90034": CodeInfo("Call not answered yet", "document"),
    "90031": CodeInfo("Call is not currently forked", "document"),
    "90045": CodeInfo("Media Streaming is used", "document"),
    "90038": CodeInfo("Call already in queue", "document"),
    "90054": CodeInfo("Call transcription is already in progress", "document"),
    "90061": CodeInfo("AI Assistant is already in progress", "document"),
    "90103": CodeInfo("Dial rate limit exceeded", "emulator"),
}

ERROR_DOCS_URL = "https://developers.telnyx.com/docs/overview/errors/{code}"

# Validation problem kind (FastAPI's names, which ErrorItem.kind carries) -> the Telnyx code the
# document uses for that kind of problem, for families that speak the Telnyx envelope.
CODE_BY_KIND: Mapping[str, str] = {
    "missing": "10004",  # Missing required parameter
    "enum": "10032",  # Invalid enumerated value
    "literal_error": "10032",
    "string_type": "10026",  # Invalid parameter type
    "int_type": "10026",
    "float_type": "10026",
    "bool_type": "10026",
    "dict_type": "10026",
    "list_type": "10026",
    "int_parsing": "10026",
    "float_parsing": "10026",
    "bool_parsing": "10026",
    "type_error": "10026",
    "greater_than_equal": "10033",  # Value outside of range
    "less_than_equal": "10033",
    "greater_than": "10033",
    "less_than": "10033",
}


@dataclass(frozen=True)
class ErrorItem:
    """One problem. ``pointer`` names a body field (RFC 6901), ``parameter`` a query/path/header
    parameter; ``loc`` is the FastAPI-style location, derived when not given."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    location: str = "body"  # body | query | path | header
    kind: str = "value_error"  # FastAPI "type"
    code: str | None = None  # overrides the error's code for this item

    def loc(self) -> list[str | int]:
        if self.pointer is not None:
            parts: list[str | int] = [
                int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~")
                for p in self.pointer.strip("/").split("/")
                if p != ""
            ]
            return ["body", *parts]
        if self.parameter is not None:
            return [self.location, self.parameter]
        return [self.location]


class ApiError(Exception):
    """Base of every client-visible failure. Subclasses set ``status``, ``code``, ``title``."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "10007"
    title: ClassVar[str] = "Unexpected error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        items: Sequence[ErrorItem] | None = None,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        style: ErrorStyle | None = None,
    ) -> None:
        self.instance_code = code or type(self).code
        self.instance_title = title or (CODES[code].title if code is not None and code in CODES else type(self).title)
        self.instance_status = status or type(self).status
        self.items: list[ErrorItem] = list(items) if items else [ErrorItem(detail or self.instance_title, location="")]
        self.headers: dict[str, str] = dict(headers or {})
        self.forced_style = style
        super().__init__(detail or self.instance_title)


class BadRequest(ApiError):
    status, code, title = 400, "10015", "Bad Request"


class Unauthorized(ApiError):
    status, code, title = 401, "10009", "Authentication failed"


class Forbidden(ApiError):
    status, code, title = 403, "10010", "Authorization Failed"


class NotFound(ApiError):
    status, code, title = 404, "10005", "Resource not found"


class MethodNotAllowed(ApiError):
    status, code, title = 405, "10405", "Method not allowed"


class Conflict(ApiError):
    status, code, title = 409, "40901", "Conflict"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "10413", "Request entity too large"


class RequestTimeout(ApiError):
    status, code, title = 408, "10408", "Request timeout"


class ClientClosed(ApiError):
    """The client went away mid-request: nothing can be answered; journaled as 499 (nginx's
    number for it), never as our 500."""

    status, code, title = 499, "10499", "Client closed request"


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "10415", "Unsupported media type"


class ValidationFailed(ApiError):
    """Schema violations: one item per violation, each naming its field."""

    status, code, title = 422, "10422", "Invalid parameter"
    body_items: tuple[ErrorItem, ...] = ()
    """Those of the items the request body alone caused (set by ``openapi/validate.py``): what
    ``http/clean_bodies.py`` remembers of a body, so the same bytes are not checked again."""


class Unprocessable(ApiError):
    """A well-formed request the current state cannot honour (e.g. call already ended)."""

    status, code, title = 422, "90033", "Unable to execute command"


class RateLimited(ApiError):
    status, code, title = 429, "10011", "Too many requests"


class InternalError(ApiError):
    status, code, title = 500, "10007", "Unexpected error"


def error_body(err: ApiError, style: ErrorStyle) -> dict[str, object]:
    """The JSON body for ``err`` in ``style``; the only place envelopes are shaped."""
    style = err.forced_style or style
    # Auth and transport-level failures come from Telnyx's gateway, which always speaks the
    # Telnyx envelope whatever service sits behind it.
    if style is ErrorStyle.FASTAPI and err.instance_status != 422 and err.instance_status != 404:
        style = ErrorStyle.TELNYX
    if style is ErrorStyle.FASTAPI:
        if err.instance_status == 404:
            # The document's BucketNotFoundError / NotFoundError shape.
            return {"detail": [{"code": err.instance_code, "title": err.instance_title, "detail": i.detail} for i in err.items]}
        return {"detail": [{"loc": i.loc(), "msg": i.detail, "type": i.kind} for i in err.items]}
    if style is ErrorStyle.FIELD_MAP and err.instance_status == 422:
        fields: dict[str, list[str]] = {}
        for i in err.items:
            key = (i.pointer or "/").strip("/").replace("/", ".") or (i.parameter or "base")
            fields.setdefault(key, []).append(i.detail)
        return {"errors": fields}
    out: list[dict[str, object]] = []
    for i in err.items:
        specific = i.code or (CODE_BY_KIND.get(i.kind) if isinstance(err, ValidationFailed) else None)
        code = specific or err.instance_code
        entry: dict[str, object] = {
            "code": code,
            "title": CODES[code].title if specific and specific in CODES else err.instance_title,
            "detail": i.detail,
            "meta": {"url": ERROR_DOCS_URL.format(code=code)},
        }
        if i.pointer is not None:
            entry["source"] = {"pointer": i.pointer}
        elif i.parameter is not None:
            entry["source"] = {"parameter": i.parameter}
        out.append(entry)
    return {"errors": out}
