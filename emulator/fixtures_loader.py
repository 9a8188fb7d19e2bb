"""Fixtures: readable YAML/JSON files that seed every tenant's state, at start and after resets.

Layout of a fixtures folder (the shipped ``fixtures/`` and the user's ``--fixtures DIR``; both
are read, shipped first)::

    assistants.yaml              # a list of assistant records (or {"records": [...]})
    collections/<name>.yaml      # {"path": "/ai/assistants", "records": [...]} for any collection
                                 #   the generic CRUD store serves
    <kind>.yaml|.yml|.json       # any other kind registered in fixture_kinds() (e.g. a family's
                                 #   insight_groups, voices, call scripts)

One file per kind. Files are parsed and validated once, when the app is built: a malformed file
is a start-up error naming the file and the field. Fixtures are applied to each tenant when it is
first used (``EmulatorState.on_tenant_created``); a reset drops tenants, so their next use seeds
them again. Folders other families read directly (``openapi/``, ``buckets/``, ...) are ignored.

Adding a kind: write ``parse(data, source) -> list[Seed]`` (validate with pydantic; raise
:class:`FixtureError`) and add it to :func:`fixture_kinds`. A :class:`Seed` applies itself to one
tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

if TYPE_CHECKING:
    from emulator.runtime import Emulator
    from emulator.store.state import TenantState

log = logging.getLogger("emulator.fixtures")

_SUFFIXES = (".yaml", ".yml", ".json")


class FixtureError(ValueError):
    """A malformed fixture; the message names the file and the field."""


class Seed(Protocol):
    source: str

    def apply(self, emulator: Emulator, tenant: TenantState) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class CollectionFixture(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="collection path as in the document, e.g. /ai/assistants")
    records: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("path")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("path must start with '/' (e.g. /ai/assistants)")
        return v.removeprefix("/v2") or "/"


@dataclass
class CollectionSeed:
    """Records put into the generic CRUD store's collection at ``path``."""

    source: str
    path: str
    records: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, emulator: Emulator, tenant: TenantState) -> None:
        generic = emulator.services.get("generic")
        seed = getattr(generic, "seed_records", None)
        if seed is not None:
            seed(tenant, self.path, [dict(r) for r in self.records])
            return
        # Until the generic service offers seed_records(): write its store's layout directly
        # (collection path -> record id -> record); it conforms records to the schema on read.
        from emulator.resources.generic import GenericStore  # noqa: PLC0415

        records = tenant.store(GenericStore).collections.setdefault(self.path, {})
        for fields in self.records:
            record = dict(fields)
            record_id = str(record.get("id") or tenant.ids.uuid())
            record.setdefault("id", record_id)
            records[record_id] = record

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "kind": "collection", "path": self.path, "records": len(self.records)}


def _validation_message(source: str, exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        parts.append(f"{loc}: {e['msg']}")
    return f"{source}: " + "; ".join(parts)


def _check_path(emulator: Emulator | None, source: str, path: str) -> None:
    if emulator is None:
        return
    try:
        operation, _ = emulator.index.match("POST", path)
    except Exception as exc:
        raise FixtureError(f"{source}: path: {path!r} is not a collection the API can create records in ({exc})") from exc
    if emulator.kind_of(operation) != "generic":
        raise FixtureError(
            f"{source}: path: {path!r} is served by a dedicated handler, not the generic store; "
            f"use that family's fixture kind (known: {', '.join(sorted(fixture_kinds()))})"
        )


def parse_collection(data: Any, source: str, emulator: Emulator | None = None) -> list[Seed]:
    try:
        fixture = CollectionFixture.model_validate(data)
    except ValidationError as exc:
        raise FixtureError(_validation_message(source, exc)) from exc
    _check_path(emulator, source, fixture.path)
    return [CollectionSeed(source, fixture.path, fixture.records)]


def collection_at(path: str) -> Callable[[Any, str, Emulator | None], list[Seed]]:
    """A kind whose file holds the records of one fixed collection (a list or {records: [...]})."""

    def parse(data: Any, source: str, emulator: Emulator | None = None) -> list[Seed]:
        if isinstance(data, list):
            data = {"records": data}
        if isinstance(data, dict) and "path" not in data:
            data = {**data, "path": path}
        return parse_collection(data, source, emulator)

    return parse


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
        from emulator.engines.catalogue import DEFAULT_CHAT_MODEL  # noqa: PLC0415
        from emulator.resources.assistants_common import ASSISTANT_SCHEMA, keep_valid  # noqa: PLC0415
        from emulator.store.assistants import AssistantEntry, AssistantStore  # noqa: PLC0415

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
            raise FixtureError(_validation_message(f"{source}: [{i}]", exc)) from exc
    ids = [r["id"] for r in records if "id" in r]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise FixtureError(f"{source}: id: duplicated assistant ids {dupes}")
    return [AssistantSeed(source, records)]


def fixture_kinds() -> Mapping[str, Callable[[Any, str, Emulator | None], list[Seed]]]:
    """Kind name (the file's stem) -> parser. Other families add their kinds here."""
    return {
        "assistants": parse_assistants,
        "collection": parse_collection,
    }


def read_file(path: Path) -> Any:
    """Parse one YAML/JSON file; syntax errors name the file and the line."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            return orjson.loads(text)
        return yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise FixtureError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from exc


def load_folder(folder: Path, emulator: Emulator | None = None) -> list[Seed]:
    """Every seed in ``folder`` (top-level ``<kind>.yaml`` files and ``collections/*.yaml``)."""
    if not folder.is_dir():
        raise FixtureError(f"{folder}: fixtures folder does not exist")
    kinds = fixture_kinds()
    seeds: list[Seed] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in _SUFFIXES):
        parse = kinds.get(path.stem)
        if parse is None:
            log.warning("%s: unknown fixture kind %r (known: %s); ignored", path, path.stem, ", ".join(sorted(kinds)))
            continue
        seeds.extend(parse(read_file(path), str(path), emulator))
    collections = folder / "collections"
    if collections.is_dir():
        for path in sorted(p for p in collections.iterdir() if p.is_file() and p.suffix in _SUFFIXES):
            seeds.extend(parse_collection(read_file(path), str(path), emulator))
    return seeds


class Fixtures:
    """``services["fixtures"]``: the parsed seeds, applied to each new tenant."""

    def __init__(self, emulator: Emulator, folders: list[Path]) -> None:
        self.emulator = emulator
        self.seeds: list[Seed] = []
        for folder in folders:
            self.seeds.extend(load_folder(folder, emulator))
        emulator.state.on_tenant_created(self.apply)

    def apply(self, tenant: TenantState) -> None:
        for seed in self.seeds:
            seed.apply(self.emulator, tenant)

    def add(self, kind: str, data: Any, source: str) -> list[Seed]:
        """Load one more fixture at run time (control API); applies to existing tenants too."""
        parse = fixture_kinds().get(kind)
        if parse is None:
            raise FixtureError(f"{source}: kind: unknown fixture kind {kind!r} (known: {', '.join(sorted(fixture_kinds()))})")
        new = parse(data, source, self.emulator)
        self.seeds.extend(new)
        for tenant in list(self.emulator.state.tenants.values()):
            for seed in new:
                seed.apply(self.emulator, tenant)
        return new

    def describe(self) -> list[dict[str, Any]]:
        return [seed.describe() for seed in self.seeds]
