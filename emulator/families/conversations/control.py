"""Control API of the conversations family: end a conversation on demand (what a call hang-up
does), which runs its assistant's insight group."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, tenant_key
from emulator.control.table import API_KEY_PARAM
from emulator.families.conversations.service import conversation_store
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute


async def end_conversation(request: Request) -> Response:
    """End a conversation now (what a call hang-up does): runs its assistant's insight group."""
    emulator = emulator_of(request)
    key = tenant_key(request)
    runs = conversation_store(emulator, key).end(request.path_params["conversation_id"])
    return JSONResponse({"conversation_id": request.path_params["conversation_id"], "insight_runs": runs})


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
    ),
)
