"""Long-lived services attached to a runtime (generic CRUD, webhook dispatcher, faults, ...).

Listed here, in one place, in start order. A service may define ``async start()`` and
``async stop()``; the app's lifespan calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.runtime import Emulator


def install_services(emulator: Emulator) -> None:
    from emulator.resources.generic import GenericCrud  # noqa: PLC0415

    emulator.services["generic"] = GenericCrud(emulator)
    from emulator.webhooks.dispatcher import WebhookDispatcher  # noqa: PLC0415

    emulator.services["webhooks"] = WebhookDispatcher(emulator)
    from emulator.engines.llm import install as install_llm  # noqa: PLC0415

    install_llm(emulator)
    from emulator.scenarios.install import install as install_scenarios  # noqa: PLC0415

    install_scenarios(emulator)
    from emulator.scenarios.lifecycle import Lifecycles  # noqa: PLC0415

    emulator.services["lifecycle"] = Lifecycles(emulator)
    from emulator.resources.calls.persist import CallsService  # noqa: PLC0415

    emulator.services["calls"] = CallsService(emulator)
