"""The control API's two cross-cutting jobs, each in one place: who the caller is (and whether
the route it calls lets it in), and the rendering of ``ApiError`` in the Telnyx envelope (a
Starlette exception handler).

Three callers (``runtime/family.py``: ``Access`` says which routes each reaches):

- the **admin**: ``Authorization: Bearer <admin token>`` (or the dashboard's sign-in cookie), or
  — while no admin token is set — a request with no ``Authorization`` header at all, which is
  how the pytest plugin, ``telnyx-emulator-ctl`` and the dashboard talk to a local emulator;
- a **tenant**: ``Authorization: Bearer <anything else>``. The bearer is an API key, as on the
  API, so whoever can call the API as that key can steer that key's tenant — and nothing more:
  whoever can reach the port cannot read or wipe other tenants just by naming a key;
- **anonymous**: no header while an admin token is set: only public routes answer (401 else).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.control.admin_cookie import cookie_token, same_token
from emulator.control.requests import ADMIN, CALLER_SCOPE_KEY, Caller
from emulator.core.errors import ApiError, Forbidden, Unauthorized
from emulator.core.settings import Settings
from emulator.http.responses import render_error
from emulator.runtime.family import Access, ControlRoute

ANONYMOUS = Caller(admin=False)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: every control-API failure in the Telnyx envelope."""
    assert isinstance(exc, ApiError)
    return render_error(exc)


class AdminGuard:
    """Pure ASGI middleware in front of every control route: it names the caller (stored in the
    scope for ``control/requests.py``) and refuses what the route's ``access`` does not allow."""

    def __init__(self, app: ASGIApp, *, settings: Settings, table: Iterable[ControlRoute]) -> None:
        self.app = app
        self.token = settings.admin_token or None
        self.accepted = settings.accepted_api_keys()
        self.routes: list[tuple[re.Pattern[str], str, Access]] = [(compile_path(r.path)[0], r.method, r.access) for r in table]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        access = self.access(scope["method"], scope["path"])
        try:
            scope[CALLER_SCOPE_KEY] = self._admit(self._caller(scope, access), access, scope)
        except ApiError as err:
            await render_error(err)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def access(self, method: str, path: str) -> Access | None:
        """The access of the route that will serve the request (the router's order: first path
        and method match); None when none does (the router answers 404 or 405)."""
        method = "GET" if method == "HEAD" else method
        for pattern, route_method, access in self.routes:
            if route_method == method and pattern.match(path):
                return access
        return None

    def _caller(self, scope: Scope, access: Access | None) -> Caller:
        header: str | None = None
        signed_in = False  # the dashboard's login cookie stands in for the header (control/admin_cookie.py)
        for name, value in scope.get("headers", ()):
            if name == b"authorization" and header is None:
                header = value.decode("latin-1")
            elif name == b"cookie" and self.token:
                signed_in = signed_in or same_token(cookie_token(value), self.token)
        if header is None:
            return ADMIN if self.token is None or signed_in else ANONYMOUS
        scheme, _, given = header.partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given:
            if access == "public":
                return ANONYMOUS
            raise Unauthorized("The control API takes Authorization: Bearer <admin token>, or Bearer <API key> for that key's own tenant.")
        if self.token is not None and same_token(given, self.token):
            return ADMIN
        if self.accepted and given not in self.accepted and access != "public":
            raise Unauthorized("The API key provided is not valid.")  # as the API says (http/auth.py)
        return Caller(admin=False, api_key=given)

    def _admit(self, caller: Caller, access: Access | None, scope: Scope) -> Caller:
        if caller.admin or access == "public":
            return caller
        if caller.api_key is None:  # anonymous while an admin token is set
            raise Unauthorized("The control API needs Authorization: Bearer <admin token> (or Bearer <API key> for that key's own tenant).")
        if access == "admin":
            how = "Authorization: Bearer <admin token>" if self.token else "the admin token, or no Authorization header at all (no --admin-token is set)"
            raise Forbidden(
                f"{scope['method']} {scope['path']} acts on the whole emulator, not one tenant: it needs {how}. "
                "A Bearer API key reaches only the control routes scoped to its own tenant."
            )
        return caller  # a tenant route, or none (the router's 404/405 tells nothing about anyone)
