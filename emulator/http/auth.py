"""Bearer authentication, parsed in one place for the API, the journal and the control guard."""

from __future__ import annotations

from collections.abc import Iterable

from emulator.core.errors import Unauthorized


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The token of ``Authorization: Bearer <token>`` among raw ASGI headers, else None."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def authenticate(headers: Iterable[tuple[bytes, bytes]], accepted: frozenset[str]) -> str:
    """The caller's API key. Keys partition state; ``--api-keys`` (``accepted``, from
    :meth:`Settings.accepted_api_keys`, empty = any key) restricts which are accepted."""
    token = bearer_token(headers)
    if token is None:
        raise Unauthorized("The required authentication headers were either invalid or not included in the request.")
    if accepted and token not in accepted:
        raise Unauthorized("The API key provided is not valid.")
    return token
