"""Sending one webhook attempt: build the exact bytes and headers, sign, POST, record the outcome.

One :class:`Sender` per event loop holds the shared ``httpx.AsyncClient`` (whose transport's
keep-alive pool also serves the direct plain-HTTP path) and the concurrency slots. A 2xx within
``webhook_timeout`` is success; anything else is recorded on the :class:`Attempt` (status code,
or ``timeout`` / ``connection_refused`` / ``connection_reset`` / ``connect_error`` / ``invalid_url``).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

from emulator.webhooks.envelope import Attempt, Event, form_request, json_body
from emulator.webhooks.transport import KeepAliveTransport, build_head, plain_http_target

if TYPE_CHECKING:
    from emulator.settings import Settings
    from emulator.store.state import EmulatorState

USER_AGENT = "telnyx-webhooks"


class Sender:
    def __init__(self, settings: Settings, state: EmulatorState) -> None:
        self.settings = settings
        self.state = state
        self._slots = asyncio.Semaphore(max(1, settings.webhook_concurrency))
        self._client: httpx.AsyncClient | None = None
        self._transport: KeepAliveTransport | None = None
        self._targets_cache: dict[str, tuple[tuple[str, int], str, str] | None] = {}

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = self._transport = None

    def _http(self) -> httpx.AsyncClient:
        """The one shared client; its transport's keep-alive pool also serves the direct path."""
        if self._client is None:
            n = max(1, self.settings.webhook_concurrency)
            limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
            self._transport = KeepAliveTransport(max_idle_per_origin=n, tls=httpx.AsyncHTTPTransport(limits=limits))
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(self.settings.webhook_timeout + 1.0),
                follow_redirects=False,
                trust_env=False,  # a proxy from the environment must not intercept local receivers
            )
        return self._client

    def _plain(self, url: str) -> tuple[tuple[str, int], str, str] | None:
        found = self._targets_cache.get(url, False)
        if found is False:
            if len(self._targets_cache) > 1024:
                self._targets_cache.clear()
            found = self._targets_cache[url] = plain_http_target(url)
        return found

    def _timestamp(self) -> str:
        now = time.time() if self.settings.webhook_timestamp == "wall" else self.state.clock.now()
        return str(int(now))

    async def send(self, event: Event, url: str, number: int, failover: bool, *, duplicate: bool = False) -> Attempt:
        ts = self._timestamp()
        if event.form is None:
            target, body = url, json_body(event, attempt=number, delivered_to=url)
            method, content_type, signed = "POST", "application/json", body
        else:
            target, body = form_request(event.form, url)
            method, content_type = event.form.method, "application/x-www-form-urlencoded"
            signed = body if method == "POST" else target.partition("?")[2].encode()
        headers = {
            "content-type": content_type,
            "user-agent": USER_AGENT,
            "telnyx-timestamp": ts,
            "telnyx-signature-ed25519": self.state.signing_key.sign(ts, signed),
        }
        if method == "GET":
            del headers["content-type"]
        plain = self._plain(target)
        if plain is not None:
            # Direct path (plain http://): the head is written from exactly these headers.
            headers = {"host": plain[1], **headers}
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
        async with self._slots:  # wait for a connection slot *before* the timeout clock starts
            started = time.perf_counter()
            try:
                client = self._http()
                if plain is not None and self._transport is not None:
                    head = build_head(method, plain[2], headers)
                    async with asyncio.timeout(self.settings.webhook_timeout):
                        status, _, _, content = await self._transport.exchange(plain[0], method, head, body)
                    attempt.status_code = status
                    attempt.response_body = content[:1024].decode("utf-8", errors="replace")
                else:
                    request = client.build_request(method, target, content=body or None, headers=headers)
                    attempt.headers = dict(request.headers)  # everything on the wire, Host included
                    async with asyncio.timeout(self.settings.webhook_timeout):
                        response = await client.send(request)
                    attempt.status_code = response.status_code
                    attempt.response_body = response.text[:1024]
            except TimeoutError:
                attempt.error = "timeout"
            except httpx.TimeoutException:
                attempt.error = "timeout"
            except httpx.ConnectError as exc:
                attempt.error = "connection_refused" if _caused_by(exc, ConnectionRefusedError) else "connect_error"
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                attempt.error = "connection_reset"
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                attempt.error = f"invalid_url: {exc}"
            except httpx.HTTPError as exc:
                attempt.error = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # noqa: BLE001 — e.g. TLS errors: a failed attempt, never a dead worker
                attempt.error = f"{type(exc).__name__}: {exc}"
            attempt.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        attempt.finished_at = self.state.clock.iso()
        return attempt


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind) or "Connection refused" in str(seen) or "Errno 111" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
