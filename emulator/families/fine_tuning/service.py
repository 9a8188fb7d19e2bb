"""Makes a tenant's fine-tuned models models of the fake engine (which never imports us)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.families.fine_tuning.store import FineTunedModels

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator


def _base_of(tenant: TenantState, model: str) -> str | None:
    return tenant.store(FineTunedModels).base_of(model)


class TunedModels:
    def __init__(self, emulator: Emulator) -> None:
        emulator.services.model.tenant_models.append(_base_of)
