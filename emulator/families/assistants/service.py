"""The assistants family's link into conversations: insights find a conversation's assistant
through :class:`~emulator.families.conversations.links.AssistantLinks`, which we fill in here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.families.assistants.store import AssistantStore
from emulator.families.conversations.links import AssistantLinks

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator


def _assistant_of(tenant: TenantState, assistant_id: str) -> dict[str, Any] | None:
    entry = tenant.store(AssistantStore).entries.get(assistant_id)
    return entry.record if entry is not None else None


class ConversationsLink:
    """Installed after the conversations family's services (``FAMILIES`` order)."""

    def __init__(self, emulator: Emulator) -> None:
        emulator.services.family(AssistantLinks).assistant_of = _assistant_of
