"""A small synchronous client of the control API (``/_emulator``), failing loudly.

Every helper of the plugin goes through :class:`Control`: a control call that does not succeed
raises :class:`ControlError` with the emulator's own error text, so a test shows *why* (a misspelt
fault field, an unknown operationId) instead of a bare status code.
"""

from __future__ import annotations

from typing import Any

import httpx


class ControlError(AssertionError):
    """A control-API call answered with an error (an AssertionError, so pytest shows it plainly)."""

    def __init__(self, method: str, path: str, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.response = response
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        self.body = body
        super().__init__(f"{method} {path} -> {response.status_code}: {_describe(body)}")


def _describe(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        parts = []
        for err in body["errors"]:
            if isinstance(err, dict):
                parts.append(str(err.get("detail") or err.get("title") or err))
        return "; ".join(parts) or str(body)
    return str(body)[:2000]


class Control:
    """``GET/POST/PUT/DELETE`` on the control API of the emulator at ``url``."""

    def __init__(self, url: str, *, admin_token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None, ok: tuple[int, ...] = ()) -> Any:
        """The decoded JSON answer (None for an empty one); any non-2xx not listed in ``ok``
        raises :class:`ControlError`."""
        full = path if path.startswith("/_emulator") else f"/_emulator{path}"
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        response = self.http.request(method, full, json=json, params=clean or None)
        if response.status_code >= 400 and response.status_code not in ok:
            raise ControlError(method, full, response)
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, /, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, /, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json={} if json is None else json, **kw)

    def put(self, path: str, /, json: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json={} if json is None else json, **kw)

    def delete(self, path: str, /, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def close(self) -> None:
        self.http.close()


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
