"""The admin token carried as a cookie: a browser cannot send ``Authorization`` when it loads a
page or opens an event stream, so the dashboard's sign-in (``dashboard/session.py``) sets this
cookie and the guard (``control/guard.py``) accepts it in place of the header. Kept here, under
the guard, so the control API never reaches up into the dashboard."""

from __future__ import annotations

import hmac
from http.cookies import CookieError, SimpleCookie

ADMIN_COOKIE = "telnyx_emulator_admin"
"""The cookie the dashboard's login sets; its value is the admin token itself."""


def cookie_token(raw: bytes) -> str | None:
    """The admin cookie's value from a ``Cookie`` header, if present."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except CookieError:  # a malformed cookie header is simply "no cookie"
        return None
    morsel = jar.get(ADMIN_COOKIE)
    return morsel.value if morsel is not None else None


def same_token(given: str | None, token: str) -> bool:
    """Constant-time comparison (a timing side channel must not reveal the token)."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())
