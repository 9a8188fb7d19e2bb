"""The response status as it passes by, for middlewares that act on it after the app is done."""

from __future__ import annotations

from starlette.types import Message, Send


class StatusRecorder:
    """Wraps ``send``; ``status`` is None until the response starts."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)
