"""Fixtures: readable YAML/JSON files that seed every tenant's state, at start and after resets.

Layout of a fixtures folder (the shipped ``fixtures/`` and the user's ``--fixtures DIR``; both
are read, shipped first)::

    assistants.yaml              # a list of assistant records (or {"records": [...]})
    collections/<name>.yaml      # {"path": "/ai/assistants", "records": [...]} for any collection
                                 #   the generic CRUD store serves
    <kind>.yaml|.yml|.json       # any kind a family's manifest declares (``fixture_kinds``),
                                 #   e.g. assistants.yaml

One file per kind. Files are parsed and validated once, when the app is built: a malformed file
is a start-up error naming the file and the field. Fixtures are applied to each tenant when it is
first used (``EmulatorState.on_tenant_created``); a reset drops tenants, so their next use seeds
them again. Folders other families read directly (``openapi/``, ``buckets/``, ...) are ignored.

Adding a kind: write ``parse(data, source, emulator) -> list[Seed]`` (validate with pydantic;
raise :class:`FixtureError`) and name it in your family's manifest (``fixture_kinds``). A
:class:`Seed` applies itself to one tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.runtime.emulator import Emulator

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
        emulator.services.crud.seed_records(tenant, self.path, [dict(r) for r in self.records])

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "kind": "collection", "path": self.path, "records": len(self.records)}


def validation_message(source: str, exc: ValidationError) -> str:
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
            "use that family's fixture kind"
        )


def parse_collection(data: Any, source: str, emulator: Emulator | None = None) -> list[Seed]:
    try:
        fixture = CollectionFixture.model_validate(data)
    except ValidationError as exc:
        raise FixtureError(validation_message(source, exc)) from exc
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


FixtureParser = Callable[[Any, str, "Emulator | None"], list[Seed]]
"""Parses one fixture file's data (``source`` names the file in errors) into seeds."""


def kernel_kinds() -> dict[str, FixtureParser]:
    """Kinds of the kernel itself; families add theirs through their manifest."""
    return {"collection": parse_collection}


def read_file(path: Path) -> Any:
    """Parse one YAML/JSON file; syntax errors name the file and the line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise FixtureError(f"{path}: not valid JSON: {exc}") from exc
    import yaml  # noqa: PLC0415 - only YAML fixtures need it: an emulator without them starts ~20 ms sooner

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from exc


def load_folder(folder: Path, kinds: Mapping[str, FixtureParser], emulator: Emulator | None = None) -> list[Seed]:
    """Every seed in ``folder`` (top-level ``<kind>.yaml`` files and ``collections/*.yaml``)."""
    if not folder.is_dir():
        raise FixtureError(f"{folder}: fixtures folder does not exist")
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
    """``emulator.services.fixtures``: the parsed seeds, applied to each new tenant."""

    def __init__(self, emulator: Emulator, kinds: Mapping[str, FixtureParser], folders: list[Path]) -> None:
        self.emulator = emulator
        self.kinds = kinds
        self.seeds: list[Seed] = []
        for folder in folders:
            self.seeds.extend(load_folder(folder, kinds, emulator))
        emulator.state.on_tenant_created(self.apply)

    def apply(self, tenant: TenantState) -> None:
        for seed in self.seeds:
            seed.apply(self.emulator, tenant)

    def add(self, kind: str, data: Any, source: str) -> list[Seed]:
        """Load one more fixture at run time (control API); applies to existing tenants too."""
        parse = self.kinds.get(kind)
        if parse is None:
            raise FixtureError(f"{source}: kind: unknown fixture kind {kind!r} (known: {', '.join(sorted(self.kinds))})")
        new = parse(data, source, self.emulator)
        self.seeds.extend(new)
        for tenant in list(self.emulator.state.tenants.values()):
            for seed in new:
                seed.apply(self.emulator, tenant)
        return new

    def describe(self) -> list[dict[str, Any]]:
        return [seed.describe() for seed in self.seeds]
