"""The response status as it passes by, for middlewares that act on it after the app is done."""

from __future__ import annotations

from starlette.types import Message, Send


class StatusRecorder:
    """Wraps ``send``; ``status`` is None until the response starts.

    With ``keep_body`` > 0 it also keeps the response headers (the ASGI list itself, no copy) and
    the first ``keep_body`` bytes of the body, counting the rest in ``body_size`` (the journal's
    bounded capture: nothing is re-encoded on the way out).
    """

    def __init__(self, send: Send, keep_body: int = 0) -> None:
        self.send = send
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.keep_body = keep_body
        self.body_size = 0
        self._chunks: list[bytes] = []
        self._kept = 0

    @property
    def body(self) -> bytes:
        return self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = message.get("headers", [])
        elif kind == "http.response.body" and self.keep_body:
            chunk = message.get("body", b"")
            self.body_size += len(chunk)
            room = self.keep_body - self._kept
            if chunk and room > 0:
                part = chunk if len(chunk) <= room else chunk[:room]
                self._chunks.append(part)
                self._kept += len(part)
        await self.send(message)
