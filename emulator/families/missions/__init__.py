"""Missions: their runs (running → succeeded, pausable and cancellable), plans and steps, and
the tools, MCP servers, knowledge bases and agents they name (generic CRUD underneath)."""

from emulator.families.missions import handlers, plans
from emulator.families.missions.implicit import ID_KINDS
from emulator.families.missions.rules import RULES
from emulator.runtime.family import Family

FAMILY = Family(
    name="missions",
    handler_modules=(handlers, plans),
    lifecycle_kinds=("mission_run",),
    id_kinds=ID_KINDS,
    business_rules=RULES,
    paths=("/ai/missions",),
)
