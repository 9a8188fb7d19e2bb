"""``--self-check``: the emulator checks its own output against the loaded document.

Every API response (status, headers, body) and every JSON webhook body the emulator emits is
validated with openapi-core — an implementation independent of the compiled jsonschema-rs
validators the request path uses, so a bug shared by our generator and our validator cannot hide.
Violations are logged (logger ``emulator.self_check``) and reported:

- on the response: ``x-emulator-self-check: ok`` or ``x-emulator-self-check: <n> violations``
  (a streamed ``text/event-stream`` answer says ``skipped`` — its headers leave before its body);
- for the journal: ``scope["state"]["self_check"] = {"status": "ok"|"violations", "violations": [...]}``,
  which the journal middleware (outside this one) records with the request;
- for webhooks: the log, and :attr:`SelfChecker.webhook_violations` (the latest, bounded).

It is off by default: openapi-core costs milliseconds per message, which is fine for a test run
that wants the extra assurance, not for the benchmarked hot path.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from openapi_core import Config, OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.validators import V31WebhookRequestBodyValidator, V31WebhookRequestParametersValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.webhooks.envelope import json_body

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator
    from emulator.webhooks.envelope import Event

log = logging.getLogger("emulator.self_check")

HEADER = b"x-emulator-self-check"
HOST = "http://emulator.local"
"""openapi-core matches the document's ``servers`` (``/v2``) against a full URL; any host will do."""


class WebhookRequest(MockRequest):
    """A webhook as openapi-core's ``WebhookRequest`` protocol sees it: the ``name`` is the key
    under the document's ``webhooks``."""

    def __init__(self, name: str, body: bytes, headers: dict[str, Any]) -> None:
        super().__init__(HOST, "post", "/", headers=headers, data=body)
        self.name = name


def problems(exc: BaseException) -> list[str]:
    """Readable lines for one openapi-core error: each schema error with its JSON path, or the
    error's own message (an undeclared status, a missing header, an unknown content type)."""
    seen: list[str] = []
    node: BaseException | None = exc
    while node is not None:
        errors = getattr(node, "schema_errors", None)
        if errors:
            return [f"{getattr(e, 'json_path', '$')}: {e.message}" for e in errors]
        seen.append(str(node) or type(node).__name__)
        node = node.__cause__ or node.__context__
    return [" — ".join(dict.fromkeys(seen))]


class SelfChecker:
    """The document as openapi-core sees it, and the checks of one response or webhook."""

    def __init__(self, emulator: Emulator, *, keep: int = 200) -> None:
        # The document was already checked by our loader; openapi-core's own whole-document
        # validation would add seconds to start-up and tell us nothing new.
        self.openapi = OpenAPI.from_dict(emulator.doc.raw, config=Config(spec_validator_cls=None))  # type: ignore[arg-type]  # None = skip (openapi_core/app.py), typed narrower
        spec = self.openapi.spec
        # A webhook's body and headers, not its security: the document's global bearerAuth is
        # what clients send to Telnyx, not what Telnyx sends to a receiver (that is the signature).
        self.webhook_checks = (V31WebhookRequestBodyValidator(spec), V31WebhookRequestParametersValidator(spec))
        self.webhook_names = _webhook_names(emulator.doc.raw.get("webhooks") or {}, emulator.doc.deref)
        self.webhook_violations: deque[dict[str, Any]] = deque(maxlen=keep)
        self.checked = 0

    def response(self, method: str, path: str, query: dict[str, Any], request_headers: dict[str, str], status: int, headers: dict[str, str], body: bytes) -> list[str]:
        path = path if path.startswith("/v2/") or path == "/v2" else "/v2" + path  # bare paths are served too
        request = MockRequest(HOST, method.lower(), path, args=query, headers=request_headers, content_type=request_headers.get("content-type", ""))
        response = MockResponse(body, status_code=status, headers=headers, content_type=headers.get("content-type", "").split(";")[0])
        self.checked += 1
        try:
            self.openapi.validate_response(request, response)
        except ResponseNotFound:
            if status >= 400:
                # The document lists only some of the errors the real API answers (a 404 for an
                # unknown id is often missing): an undeclared error status is no violation.
                log.debug("self-check: %s %s -> %d is not in the document", method, path, status)
                return []
            return [f"status {status} is not a response the document declares"]
        except Exception as exc:  # noqa: BLE001 - every openapi-core finding is a reported violation, never a crash
            return problems(exc)
        return []

    def webhook(self, event: Event) -> list[str]:
        """Check the body of ``event`` as its first attempt sends it (JSON events only)."""
        if event.kind != "event":
            return []  # form callbacks (TeXML) are not in the document's webhooks
        name = self.webhook_names.get(event.event_type)
        if name is None:
            return []  # an event the document does not describe (e.g. webhook.test)
        body = json_body(event, attempt=1, delivered_to=event.urls[0] if event.urls else "")
        # The signature headers are made per attempt by the sender; the body is what we check.
        headers = {"content-type": "application/json", "telnyx-timestamp": str(int(time.time())), "telnyx-signature-ed25519": "c2lnbmF0dXJl"}
        self.checked += 1
        found = []
        for validator in self.webhook_checks:
            try:
                validator.validate(WebhookRequest(name, body, headers))
            except Exception as exc:  # noqa: BLE001 - as above
                found += problems(exc)
        if found:
            log.warning("self-check: webhook %s (%s, event %s): %s", name, event.event_type, event.id, "; ".join(found))
            self.webhook_violations.append({"event_id": event.id, "event_type": event.event_type, "webhook": name, "violations": found})
            return found
        return []


def _webhook_names(hooks: dict[str, Any], deref: Any) -> dict[str, str]:
    """event_type → the document's webhook key, from each webhook's ``data.event_type`` enum."""
    names: dict[str, str] = {}
    for name, hook in hooks.items():
        try:
            schema = deref(hook["post"]["requestBody"]["content"]["application/json"]["schema"])
            event_types = deref(deref(schema["properties"]["data"])["properties"]["event_type"]).get("enum") or []
        except (KeyError, TypeError):
            continue
        for event_type in event_types:
            names.setdefault(str(event_type), name)
    return names


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


class SelfCheck:
    """ASGI wrapper around the API: holds each response until it is complete, validates it, adds
    the header, then sends it. It also hooks the webhook dispatcher (``on_emit``)."""

    def __init__(self, app: ASGIApp, *, emulator: Emulator) -> None:
        self.app = app
        self.checker = SelfChecker(emulator)
        emulator.services.webhooks.on_emit = self.checker.webhook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        start: Message | None = None

        async def checking_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _headers(message.get("headers", [])).get("content-type", "").startswith("text/event-stream"):
                    scope.setdefault("state", {})["self_check"] = {"status": "skipped", "violations": []}
                    await send({**message, "headers": [*message.get("headers", []), (HEADER, b"skipped")]})
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)  # a stream already under way
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            found = self._check(scope, start, b"".join(chunks))
            value = "ok" if not found else f"{len(found)} violation{'s' if len(found) != 1 else ''}"
            scope.setdefault("state", {})["self_check"] = {"status": "ok" if not found else "violations", "violations": found}
            await send({**start, "headers": [*start.get("headers", []), (HEADER, value.encode())]})
            await send({"type": "http.response.body", "body": b"".join(chunks)})

        await self.app(scope, receive, checking_send)

    def _check(self, scope: Scope, start: Message, body: bytes) -> list[str]:
        """Only what the emulator says is checked: the request is the client's (and a request
        the document forbids still deserves a response the document allows)."""

        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
        status = int(start["status"])
        found = self.checker.response(scope["method"], scope["path"], query, _headers(scope.get("headers", [])), status, _headers(start.get("headers", [])), body)
        if found:
            log.warning("self-check: %s %s -> %d: %s", scope["method"], scope["path"], status, "; ".join(found))
        return found
