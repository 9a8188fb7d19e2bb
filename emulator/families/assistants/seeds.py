"""The ``assistants`` fixture kind: ``assistants.yaml`` seeds assistants into every tenant,
keeping the ids given (see ``emulator/runtime/fixtures.py`` for the folder layout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.families.assistants.common import ASSISTANT_SCHEMA, keep_valid
from emulator.families.assistants.store import AssistantEntry, AssistantStore
from emulator.runtime.fixtures import FixtureError, Seed, validation_message

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator


class AssistantFixture(BaseModel):
    """One seeded assistant: ``name`` is required; any other assistant field is kept when the
    document's assistant schema declares it (and its value validates), like the API does."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    name: str = Field(min_length=1)
    model: str | None = None
    instructions: str | None = None


@dataclass
class AssistantSeed:
    """Assistants put straight into the tenant's AssistantStore, keeping the ids given."""

    source: str
    records: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, emulator: Emulator, tenant: TenantState) -> None:
        store = tenant.store(AssistantStore)
        now = emulator.state.clock.iso()
        for fields in self.records:
            assistant_id = str(fields.get("id") or f"assistant-{tenant.ids.uuid()}")
            version_id = tenant.ids.uuid()
            record: dict[str, Any] = {"created_at": now, "model": DEFAULT_CHAT_MODEL, "tags": [], "tools": []}
            record.update({k: v for k, v in fields.items() if v is not None})
            record.update({"id": assistant_id, "version_id": version_id, "version_created_at": now})
            record = keep_valid(emulator, ASSISTANT_SCHEMA, record)
            store.add(AssistantEntry(id=assistant_id, main=version_id, versions={version_id: record}))

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "kind": "assistants", "path": "/ai/assistants", "records": len(self.records)}


def parse_assistants(data: Any, source: str, emulator: Emulator | None = None) -> list[Seed]:
    """``assistants.yaml``: a list of assistants, or ``{"records": [...]}``."""
    if isinstance(data, dict) and set(data) == {"records"}:
        data = data["records"]
    if not isinstance(data, list):
        raise FixtureError(f"{source}: expected a list of assistants (or {{records: [...]}})")
    records = []
    for i, raw in enumerate(data):
        try:
            records.append(AssistantFixture.model_validate(raw).model_dump(exclude_none=True))
        except ValidationError as exc:
            raise FixtureError(validation_message(f"{source}: [{i}]", exc)) from exc
    ids = [r["id"] for r in records if "id" in r]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise FixtureError(f"{source}: id: duplicated assistant ids {dupes}")
    return [AssistantSeed(source, records)]
