"""Control API of the conversations family: end a conversation on demand (what a call hang-up
does), which runs its assistant's insight group."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Body, Reply, emulator_of, parse, reply, tenant_key
from emulator.control.table import API_KEY_PARAM
from emulator.families.conversations.service import conversation_store
from emulator.runtime.family import ControlRoute


class EndRequest(Body):
    api_key: str | None = Field(default=None, description="the API key that owns the conversation (or ?api_key=)")


class Ended(Reply):
    conversation_id: str
    insight_runs: list[Any] = Field(description="the insight runs started")


async def end_conversation(request: Request) -> Response:
    """End a conversation now (what a call hang-up does): runs its assistant's insight group."""
    emulator = emulator_of(request)
    key = tenant_key(request, await parse(request, EndRequest))
    runs = conversation_store(emulator, key).end(request.path_params["conversation_id"])
    return reply(Ended(conversation_id=request.path_params["conversation_id"], insight_runs=runs))


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "POST", "/_emulator/conversations/{conversation_id}/end", end_conversation, "endConversation",
        "End an AI conversation (runs its assistant's insights)",
        {
            "parameters": [
                API_KEY_PARAM,
                {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "insight runs started"},
                "404": {"description": "unknown conversation"},
            },
        },
        body=EndRequest, response=Ended,
        access="tenant",
    ),
)
