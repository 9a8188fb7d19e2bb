"""Signing the browser in when an admin token is set.

A browser cannot add ``Authorization: Bearer <token>`` to a page load or an ``EventSource``, so
``/_emulator/ui/login`` (public) takes the token once and stores it in an HttpOnly, SameSite=Strict
cookie scoped to ``/_emulator``; the admin guard accepts that cookie as it accepts the header
(``control/guard.py``). SameSite=Strict keeps other sites from riding on it (no CSRF).
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from emulator.control.admin_cookie import ADMIN_COOKIE, same_token
from emulator.control.requests import emulator_of

UI_PATH = "/_emulator/ui"


_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>telnyx-emulator · sign in</title>
<link rel="stylesheet" href="{ui}/static/style.css"></head><body class="login">
<form method="post" action="{ui}/login" class="card"><h1>telnyx-emulator</h1>
<p>This emulator has an admin token. Enter it to open the dashboard.</p>{error}
<input type="password" name="token" placeholder="admin token" autofocus required>
<button type="submit">Sign in</button></form></body></html>"""


def _form(error: str = "", status: int = 200) -> HTMLResponse:
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    return HTMLResponse(_FORM.format(ui=UI_PATH, error=message), status_code=status)


async def login_form(request: Request) -> Response:
    if not emulator_of(request).settings.admin_token:
        return RedirectResponse(UI_PATH, status_code=303)
    return _form()


async def login(request: Request) -> Response:
    token = emulator_of(request).settings.admin_token
    if not token:
        return RedirectResponse(UI_PATH, status_code=303)
    form = await request.form()
    given = form.get("token")
    if not isinstance(given, str) or not same_token(given, token):
        return _form("That is not the admin token.", status=401)
    response = RedirectResponse(UI_PATH, status_code=303)
    response.set_cookie(ADMIN_COOKIE, token, path="/_emulator", httponly=True, samesite="strict")
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse(f"{UI_PATH}/login", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/_emulator")
    return response
