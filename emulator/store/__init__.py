"""The one state object and the per-tenant stores it holds."""

from emulator.store.state import EmulatorState, TenantState

__all__ = ["EmulatorState", "TenantState"]
