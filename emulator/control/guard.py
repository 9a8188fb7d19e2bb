"""The control API's two cross-cutting jobs, each in one place: the admin-token guard and the
rendering of ``ApiError`` in the Telnyx envelope (a Starlette exception handler)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.core.errors import ApiError, Unauthorized
from emulator.dashboard.session import cookie_token, same_token
from emulator.http.responses import render_error


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: every control-API failure in the Telnyx envelope."""
    assert isinstance(exc, ApiError)
    return render_error(exc)


class AdminGuard:
    """Pure ASGI middleware: with an admin token set, every control route except the public ones
    (pre-signed style downloads whose unguessable id is the secret) needs ``Bearer <token>``."""

    def __init__(self, app: ASGIApp, *, token: str | None, public_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.token = token
        self.public: list[re.Pattern[str]] = [compile_path(p)[0] for p in public_paths]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token and scope["type"] == "http" and not any(p.match(scope["path"]) for p in self.public) and not self._authorized(scope):
            err = Unauthorized("The control API needs Authorization: Bearer <admin token>.")
            await render_error(err)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        assert self.token
        signed_in = False  # the dashboard's login cookie stands in for the header (dashboard/session.py)
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, given = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and given.strip() == self.token
            if name == b"cookie":
                signed_in = signed_in or same_token(cookie_token(value), self.token)
        return signed_in
