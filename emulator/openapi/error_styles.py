"""Which error envelope an operation speaks — one table, derived from the document itself.

Telnyx's API is several services behind one gateway, and each declares its own validation error
shape. We read the schema an operation declares for its 422 (or 400) response and map it here:

| declared schema                         | style      | who uses it                       |
|-----------------------------------------|------------|-----------------------------------|
| ``HTTPValidationError`` (FastAPI)       | fastapi    | most ``/ai/*`` operations         |
| ``ValidationErrorResponse``             | field_map  | ``/text-to-speech/*`` validation  |
| anything else / nothing declared        | telnyx     | call control, TeXML, legacy, ...  |

Authentication failures always use the Telnyx envelope (the gateway answers them).
"""

from __future__ import annotations

from typing import Any

from emulator.core.errors import ErrorStyle

STYLE_BY_SCHEMA: dict[str, ErrorStyle] = {
    "HTTPValidationError": ErrorStyle.FASTAPI,
    "ValidationErrorResponse": ErrorStyle.FIELD_MAP,
}


def _schema_names(response: Any) -> list[str]:
    """Names of the component schemas (and responses) a response object refers to."""
    names: list[str] = []
    if not isinstance(response, dict):
        return names
    if "$ref" in response:
        names.append(response["$ref"].rsplit("/", 1)[-1])
    for media in (response.get("content") or {}).values():
        schema = (media or {}).get("schema") or {}
        if "$ref" in schema:
            names.append(schema["$ref"].rsplit("/", 1)[-1])
        if isinstance(schema.get("title"), str):
            names.append(schema["title"])
    return names


def error_style_for(responses: dict[str, Any]) -> ErrorStyle:
    for status in ("422", "400"):
        for name in _schema_names(responses.get(status)):
            if name in STYLE_BY_SCHEMA:
                return STYLE_BY_SCHEMA[name]
    return ErrorStyle.TELNYX
