"""Missions: their runs (running → succeeded, pausable and cancellable), plans and steps, and
the tools, MCP servers, knowledge bases and agents they name (generic CRUD underneath)."""

from emulator.families.missions import handlers, plans
from emulator.runtime.family import Family

FAMILY = Family(
    name="missions",
    handler_modules=(handlers, plans),
    lifecycle_kinds=("mission_run",),
    paths=("/ai/missions",),
)
