"""What the conversations family asks of the assistants family, as a hook the assistants family
fills in (it imports conversations; conversations never imports it): the assistant record a
conversation's ``metadata.assistant_id`` names, whose ``insight_settings`` pick the insight group
and whose model answers the insights."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator

AssistantOf = Callable[["TenantState", str], "dict[str, Any] | None"]


def _no_assistant(_tenant: TenantState, _assistant_id: str) -> dict[str, Any] | None:
    return None


class AssistantLinks:
    """``emulator.services.family(AssistantLinks)``: set ``assistant_of`` to resolve assistants."""

    def __init__(self, _emulator: Emulator) -> None:
        self.assistant_of: AssistantOf = _no_assistant
