"""Sending one webhook attempt: build the exact bytes and headers, sign, POST, record the outcome.

One :class:`Sender` per event loop holds the shared ``aiohttp.ClientSession`` (its connector is
the keep-alive pool, for http and https) and the concurrency slots. A 2xx within
``webhook_timeout`` is success; anything else is recorded on the :class:`Attempt` (status code, or
``timeout`` / ``connection_refused`` / ``connection_reset`` / ``connect_error`` / ``invalid_url``).
A URL whose host ``--webhook-allow`` excludes is not contacted at all: the attempt is recorded
(the bytes that would have gone) with ``error = "blocked: <why>"`` (``webhooks/allow.py``). Only
the first ``KEPT_REPLY`` bytes of a reply are kept, marked ``response_truncated`` when it was longer.

Why aiohttp rather than httpx (used elsewhere): httpx's pool (httpcore over anyio) topped out at a
few hundred signed deliveries/s on two cores with a p99 of seconds; aiohttp's connector and C
parser do several thousand with a p99 of a few ms (bench/bench_webhooks.py).
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from yarl import URL

from emulator.webhooks.allow import HostAllowList
from emulator.webhooks.envelope import BLOCKED, KEPT_REPLY, Attempt, Event, form_request, json_body

if TYPE_CHECKING:
    import aiohttp

    from emulator.core.settings import Settings
    from emulator.core.state import EmulatorState
    from emulator.webhooks.keys import SigningKey

USER_AGENT = "telnyx-webhooks"
_MAX_REPLY = 1024 * 1024  # a longer reply is cut off here (and its connection not reused)
# aiohttp would add these on its own; all headers are set here instead, so the logged headers are
# exactly the ones on the wire.
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
_WIRE_SAFE = "!$%&'()*+,/:;=?@[]~"  # sent as is in path and query ("%": escapes stay untouched)
_Target = tuple[URL, dict[str, str]]


def load_aiohttp() -> Any:
    """aiohttp, imported on the first delivery: it costs ~0.17 s of start-up (a third of it),
    and a run that sends no webhook never needs it."""
    import aiohttp  # noqa: PLC0415 - see the docstring

    return aiohttp


class Sender:
    def __init__(self, settings: Settings, state: EmulatorState, signing_key: SigningKey, allow: HostAllowList | None = None) -> None:
        self.signing_key = signing_key
        self.settings = settings
        self.state = state
        self._slots = asyncio.Semaphore(max(1, settings.webhook_concurrency))
        self._session: aiohttp.ClientSession | None = None
        self._targets: dict[str, _Target | str] = {}  # URL → target, or why it is unusable
        self.allow = allow if allow is not None else HostAllowList.parse(settings.webhook_allow)

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        """The shared session, created on first use inside the dispatcher's loop."""
        if self._session is None:
            aiohttp = load_aiohttp()
            n = max(1, self.settings.webhook_concurrency)
            self._session = aiohttp.ClientSession(
                # Idle connections are dropped after 4 s, before common servers' own idle timeouts
                # (uvicorn: 5 s): a POST is not retried on a connection the server just closed.
                connector=aiohttp.TCPConnector(limit=n, limit_per_host=0, keepalive_timeout=4.0),
                timeout=aiohttp.ClientTimeout(total=self.settings.webhook_timeout + 1.0),  # backstop
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                trust_env=False,  # a proxy from the environment must not intercept local receivers
                auto_decompress=False,  # no Accept-Encoding is sent: keep the reply as received
            )
        return self._session

    def _target(self, url: str) -> _Target | str:
        found = self._targets.get(url)
        if found is None:
            if len(self._targets) > 1024:
                self._targets.clear()
            found = self._targets[url] = parse_target(url)
        return found

    def _timestamp(self) -> str:
        now = time.time() if self.settings.webhook_timestamp == "wall" else self.state.clock.now()
        return str(int(now))

    async def send(self, event: Event, url: str, number: int, failover: bool, *, duplicate: bool = False) -> Attempt:
        ts = self._timestamp()
        if event.form is None:
            target, body = url, json_body(event, attempt=number, delivered_to=url)
            method, content_type = "POST", "application/json"
        else:
            target, body = form_request(event.form, url)
            method, content_type = event.form.method, "application/x-www-form-urlencoded"
        found = self._target(target)
        wire, implied = found if isinstance(found, tuple) else (None, {})
        if method == "GET":  # the signature covers the query string exactly as it goes on the wire
            signed = (wire.raw_query_string if wire is not None else target.partition("?")[2]).encode()
        else:
            signed = body
        headers = {
            **implied,  # host (and authorization for credentials in the URL)
            "content-type": content_type,
            "user-agent": USER_AGENT,
            "telnyx-timestamp": ts,
            "telnyx-signature-ed25519": self.signing_key.sign(ts, signed),
        }
        if method == "GET":
            del headers["content-type"]
        if body or method == "POST":
            headers["content-length"] = str(len(body))
        attempt = Attempt(
            number=number,
            url=target,
            failover=failover,
            started_at=self.state.clock.iso(),
            timestamp=ts,
            method=method,
            body=body,
            headers=headers,
            duplicate=duplicate,
        )
        blocked = self.allow.why_blocked(target) if wire is not None else None
        if wire is None:
            attempt.error = f"invalid_url: {found}"
            attempt.latency_ms = 0.0
        elif blocked is not None:
            attempt.error = BLOCKED + blocked
            attempt.latency_ms = 0.0
        else:
            async with self._slots:  # wait for a connection slot *before* the timeout clock starts
                started = time.perf_counter()
                await self._exchange(attempt, wire)
                attempt.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        attempt.finished_at = self.state.clock.iso()
        return attempt

    async def _exchange(self, attempt: Attempt, wire: URL) -> None:
        """One request/response; the outcome (status and reply, or the error) goes on ``attempt``."""
        aiohttp = load_aiohttp()
        try:
            session = self._http()
            async with asyncio.timeout(self.settings.webhook_timeout):
                async with session.request(
                    attempt.method, wire, data=attempt.body or None, headers=attempt.headers, allow_redirects=False
                ) as response:
                    reply, attempt.response_truncated = await _read_reply(response)
            attempt.status_code = response.status
            attempt.response_body = reply.decode("utf-8", errors="replace")
        except TimeoutError:  # ours, or aiohttp's backstop (ServerTimeoutError is a TimeoutError)
            attempt.error = "timeout"
        except aiohttp.ClientConnectorError as exc:  # no connection was made (refused, DNS, TLS)
            attempt.error = "connection_refused" if isinstance(exc.os_error, ConnectionRefusedError) else "connect_error"
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError):
            # Dropped, reset or garbled mid-exchange (an unparsable reply is a ClientResponseError).
            attempt.error = "connection_reset"
        except aiohttp.InvalidURL as exc:
            attempt.error = f"invalid_url: {exc}"
        except Exception as exc:  # noqa: BLE001 — a failed attempt, never a dead worker
            attempt.error = f"{type(exc).__name__}: {exc}"


async def _read_reply(response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
    """(The start of the reply, for the log; whether there was more). A reply is read to its end
    so its connection can be reused, unless it is longer than ``_MAX_REPLY`` (leaving it unread
    closes the connection); only ``KEPT_REPLY`` bytes of it are ever kept."""
    if response.content_length is not None and response.content_length <= _MAX_REPLY:
        whole = await response.read()
        return whole[:KEPT_REPLY], len(whole) > KEPT_REPLY
    kept = bytearray()
    total = 0
    async for chunk in response.content.iter_any():  # chunked or close-delimited
        if len(kept) < KEPT_REPLY:
            kept += chunk[: KEPT_REPLY - len(kept)]
        total += len(chunk)
        if total > _MAX_REPLY:
            break
    return bytes(kept), total > KEPT_REPLY


def parse_target(url: str) -> _Target | str:
    """(URL to send, the Host/Authorization headers it implies), or why the URL is unusable.

    Credentials in the URL become a Basic Authorization header (as browsers and httpx do); the
    fragment is dropped. Path and query go out as given: only characters that cannot appear on
    the wire are percent-encoded, existing escapes are kept, so a signed query is what arrives.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a non-numeric or out-of-range port
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return f"unsupported scheme in {url!r} (http or https only)"
    if not parts.hostname:
        return f"no host in {url!r}"
    try:
        origin = URL(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")  # IDNA host, IPv6, port
    except ValueError as exc:
        return str(exc)
    headers = {"host": origin.raw_authority}
    if parts.username is not None or parts.password is not None:
        userinfo = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
        headers["authorization"] = "Basic " + base64.b64encode(userinfo).decode()
    path_qs = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return URL(str(origin) + quote(path_qs, safe=_WIRE_SAFE), encoded=True), headers
