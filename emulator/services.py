"""Long-lived services attached to a runtime (generic CRUD, webhook dispatcher, faults, ...).

Listed here, in one place, in start order. A service may define ``async start()`` and
``async stop()``; the app's lifespan calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.runtime import Emulator


def install_services(emulator: Emulator) -> None:
    return None
