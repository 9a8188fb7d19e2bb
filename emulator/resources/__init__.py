"""One module per API family. Each binds its handlers to operationIds with ``@operation``."""

from __future__ import annotations

from types import ModuleType


def handler_modules() -> tuple[ModuleType, ...]:
    """The modules whose ``@operation`` handlers are served (imported here, in one place)."""
    return ()
