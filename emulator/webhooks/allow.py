"""Which hosts webhooks may go to (``--webhook-allow``).

The emulator sends requests to URLs its callers hand it and keeps the start of each reply in the
delivery log, which the control API shows: left open, a shared emulator is a way to fetch from
hosts on its network. ``--webhook-allow`` narrows the targets to a list of patterns, comma
separated::

    receiver            that host name, any port
    127.0.0.1:8080      that host and port (a URL without a port means its scheme's: 80, 443)
    [::1]:9000          an IPv6 address, bracketed as in URLs
    *.example.com       any subdomain of example.com, at any depth (not example.com itself)
    *                   any host (as when the list is empty)

Names compare case-insensitively, on the URL's host as written (no DNS lookup). Empty = any
host, as before the option existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _Pattern:
    host: str  # lower case, no brackets; "*" = any; "*.x" = subdomains of x
    port: int | None  # None = any

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host == "*":
            return True
        if self.host.startswith("*."):
            return host.endswith(self.host[1:]) and len(host) > len(self.host) - 1
        return host == self.host


class HostAllowList:
    """The parsed ``webhook_allow`` setting; :meth:`why_blocked` says whether a URL may be used."""

    def __init__(self, patterns: tuple[_Pattern, ...] = ()) -> None:
        self.patterns = patterns

    @classmethod
    def parse(cls, text: str) -> HostAllowList:
        """Raises ``ValueError`` naming the first entry that is not a host pattern."""
        return cls(tuple(_parse_one(entry.strip()) for entry in text.split(",") if entry.strip()))

    def __str__(self) -> str:
        return ",".join(p.host + ("" if p.port is None else f":{p.port}") for p in self.patterns)

    def why_blocked(self, url: str) -> str | None:
        """None when ``url`` may be sent to, else the reason it may not (for the delivery log)."""
        if not self.patterns:
            return None
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        except ValueError:
            return None  # not a usable URL at all: the sender records it as invalid_url
        if any(p.matches(host, port) for p in self.patterns):
            return None
        return f"host {host}:{port} is not allowed by --webhook-allow ({self})"


def _parse_one(entry: str) -> _Pattern:
    host, port_text = entry, ""
    if entry.endswith(":"):
        raise ValueError(f"webhook_allow: {entry!r} has no valid port")
    if entry.startswith("["):
        host, close, rest = entry[1:].partition("]")
        if not close or (rest and not rest.startswith(":")):
            raise ValueError(f"webhook_allow: {entry!r} is not a host or host:port pattern")
        port_text = rest[1:]
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    elif ":" in entry:
        raise ValueError(f"webhook_allow: write IPv6 addresses in brackets, as in URLs: {entry!r}")
    host = host.lower().rstrip(".")
    if not host or "/" in host or "@" in host or ("*" in host and host != "*" and not (host.startswith("*.") and "*" not in host[2:])):
        raise ValueError(f"webhook_allow: {entry!r} is not a host or host:port pattern (wildcards: '*' or '*.example.com')")
    if port_text == "":
        return _Pattern(host, None)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"webhook_allow: {entry!r} has no valid port")
    return _Pattern(host, int(port_text))
