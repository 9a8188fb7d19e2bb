"""The control API over HTTP, and the one error type the CLI shows.

Every failure becomes a :class:`CtlError` with a one-line message: the emulator's own error
detail (Telnyx envelope: ``errors[].detail`` and ``source.pointer``) for a 4xx/5xx, or what to
do when the emulator cannot be reached. The CLI's group prints it and exits non-zero.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx

DEFAULT_URL = "http://127.0.0.1:4010"
URL_ENV = "TELNYX_EMULATOR_URL"
TOKEN_ENV = "TELNYX_EMULATOR_ADMIN_TOKEN"  # noqa: S105 (the name of an env var, not a secret)

EXIT_API_ERROR = 1
"""The emulator answered with an error (4xx/5xx); the message carries its detail."""
EXIT_UNREACHABLE = 3
"""No answer at all: connection refused, timeout, not an emulator (2 is click's usage error)."""


class CtlError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_API_ERROR, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.status = status
        """The emulator's HTTP status, when it answered."""


def segment(value: str) -> str:
    """One path segment, escaped (call control ids contain ``:``, keys may contain ``/``)."""
    return quote(value, safe=":")


def error_message(response: httpx.Response) -> str:
    """``404 Resource not found: No call with … (GET /_emulator/calls/x)`` from any error body."""
    request = response.request
    where = f"({request.method} {request.url.path})"
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()[0] if response.text.strip() else response.reason_phrase
        return f"{response.status_code} {text} {where}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return f"{response.status_code} {response.reason_phrase} {where}"
    title = str(errors[0].get("title") or response.reason_phrase)
    details = []
    for item in errors:
        detail = str(item.get("detail") or item.get("title") or "")
        pointer = (item.get("source") or {}).get("pointer") or (item.get("source") or {}).get("parameter")
        details.append(f"{detail} [{pointer}]" if pointer and pointer not in detail else detail)
    return f"{response.status_code} {title}: {'; '.join(d for d in details if d)} {where}"


class Control:
    """A thin client of ``/_emulator``: JSON in, JSON out, errors as :class:`CtlError`."""

    def __init__(self, url: str | None = None, admin_token: str | None = None, timeout: float = 10.0) -> None:
        self.url = (url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
        token = admin_token if admin_token is not None else os.environ.get(TOKEN_ENV)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.http.request(method, f"/_emulator{path}", json=json, params=query)
        except httpx.ConnectError as exc:
            raise CtlError(f"cannot reach the emulator at {self.url} ({_reason(exc)}); start it with `telnyx-emulator` or pass --url / {URL_ENV}", EXIT_UNREACHABLE) from exc
        except httpx.TimeoutException as exc:
            raise CtlError(f"the emulator at {self.url} did not answer in time ({type(exc).__name__})", EXIT_UNREACHABLE) from exc
        except httpx.HTTPError as exc:
            raise CtlError(f"request to {self.url} failed: {exc}", EXIT_UNREACHABLE) from exc
        if response.status_code == 401:
            hint = f" (pass --admin-token or set {TOKEN_ENV})" if "Authorization" not in self.http.headers else ""
            raise CtlError(error_message(response) + hint, status=401)
        if response.status_code >= 400:
            raise CtlError(error_message(response), status=response.status_code)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise CtlError(f"{self.url} answered {method} {path} with something that is not JSON; is it a telnyx-emulator?", EXIT_UNREACHABLE) from exc

    def get(self, path: str, /, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, /, **params: Any) -> Any:
        return self.request("POST", path, json={} if body is None else body, params=params)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, json={} if body is None else body)

    def delete(self, path: str, /, **params: Any) -> Any:
        return self.request("DELETE", path, params=params)


def _reason(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    return "connection refused" if "refused" in text or "errno 111" in text else (str(exc) or "cannot connect")
