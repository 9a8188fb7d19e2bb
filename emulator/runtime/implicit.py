"""Implicit resources: in the ``unknown_ids: create`` mode, the first request that names an
unknown id creates that resource, then the normal semantics apply.

Every lookup by id goes through here, before the handler runs (``http/dispatch.py``), so no family
can forget one: a family declares each kind of id it keeps as an :class:`IdKind` in its manifest
(the path template that names it, and how to tell whether it exists and how to adopt a record);
the generic CRUD fallback's collections are kinds too, without declaring anything. For a request,
every kind whose template is a prefix of the operation's path is resolved, parents first — so a
nested id creates its parents.

The record handed to ``adopt`` is synthesized from the document (the 2xx schema of the kind's
``GET``), seeded by the id so it is the same every run, with its id field set to the requested
id. A deleted id stays deleted: a successful ``DELETE`` on a kind's own path leaves a tombstone
(:class:`Tombstones`, a tenant store in snapshots), and a tombstoned id is never re-created.
Lists are never touched: they show what exists, implicit resources included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from emulator.core.state import EmulatorState
    from emulator.openapi.index import Operation, OperationIndex
    from emulator.openapi.synth import Synthesizer

IMPLICIT_HEADER = "x-emulator-implicit"
_PARAM = re.compile(r"^\{([^{}]+)\}$")

Ids = Mapping[str, str]
"""The ids a request names along a kind's template, keyed by the template's parameter names."""


class Runtime(Protocol):
    """What resolving ids needs of the emulator (``runtime/emulator.py``'s ``Emulator`` is one);
    the families' callbacks get the whole emulator, typed by the ``R`` of their ``IdKind``."""

    index: OperationIndex
    synthesizer: Synthesizer
    state: EmulatorState


R = TypeVar("R", bound=Runtime)


@dataclass(frozen=True)
class IdKind(Generic[R]):
    """One kind of resource addressed by id, as a family keeps it."""

    kind: str
    """A user's word for it (``assistant``): what ``x-emulator-implicit`` says."""
    template: str
    """The document path naming the id, e.g. ``/ai/assistants/{assistant_id}``; every operation
    whose path starts with it (any parameter names) addresses this kind."""
    exists: Callable[[R, str, Ids], bool]
    """(emulator, api_key, ids) → whether the tenant has it (deleted or not)."""
    adopt: Callable[[R, str, Ids, dict[str, Any]], None]
    """(emulator, api_key, ids, synthesized record) → store it as if it had been created."""
    record_from: str | None = None
    """The path whose ``GET`` success schema describes the record (default: ``template``)."""


def _segments(template: str) -> list[str]:
    return [("{}" if _PARAM.match(s) else s) for s in template.strip("/").split("/")]


def _names(template: str) -> list[str | None]:
    return [(m.group(1) if (m := _PARAM.match(s)) else None) for s in template.strip("/").split("/")]


class Tombstones:
    """One tenant's deleted ids, by kind: never re-created implicitly."""

    snapshot_name = "implicit"

    def __init__(self) -> None:
        self.deleted: set[tuple[str, tuple[str, ...]]] = set()

    def dump(self) -> dict[str, Any]:
        return {"deleted": sorted([kind, list(ids)] for kind, ids in self.deleted)}

    @classmethod
    def load(cls, data: Any) -> Tombstones:
        store = cls()
        rows = data.get("deleted", []) if isinstance(data, dict) else []
        for row in rows:
            if not (isinstance(row, list) and len(row) == 2 and isinstance(row[0], str) and isinstance(row[1], list)):
                raise TypeError("a tombstone is [kind, [ids...]]")
            store.deleted.add((row[0], tuple(str(i) for i in row[1])))
        return store


@dataclass(frozen=True)
class _Binding(Generic[R]):
    """A kind as one operation addresses it: which of the operation's path params are its ids."""

    kind: IdKind[R]
    params: tuple[tuple[str, str], ...]  # (kind's param name, operation's param name)
    exact: bool  # the operation's path is the kind's own path (its DELETE leaves a tombstone)


class ImplicitResources(Generic[R]):
    """Resolves the ids an operation names; built once per emulator from every family's kinds."""

    def __init__(self, emulator: R, kinds: tuple[IdKind[R], ...]) -> None:
        self.emulator = emulator
        self.kinds = kinds
        self._bindings: dict[str, tuple[_Binding[R], ...]] = {}
        # GET success schemas by path shape, found once (adopting a record must not scan the document)
        self._get_schemas: dict[tuple[str, ...], Any] = {}
        shapes = {path: (_segments(path), _names(path)) for path in {o.path for o in emulator.index.operations}}
        for operation in emulator.index.operations:
            if operation.method == "GET":
                self._get_schemas.setdefault(tuple(shapes[operation.path][0]), operation.success_content()[1])
        # Each kind's shape worked out once, not once per operation (start-up: ~8k splits and
        # regex matches with the embedded document, many more with the published one).
        ordered = sorted(((k, _segments(k.template), _names(k.template)) for k in kinds), key=lambda e: len(e[1]))  # parents first
        for operation in emulator.index.operations:
            segs, names = shapes[operation.path]
            found: list[_Binding[R]] = []
            for kind, ksegs, knames in ordered:
                if len(ksegs) > len(segs) or segs[: len(ksegs)] != ksegs:
                    continue
                params = tuple((kn, on) for kn, on in zip(knames, names[: len(knames)], strict=True) if kn is not None and on is not None)
                if params:
                    found.append(_Binding(kind, params, exact=len(ksegs) == len(segs)))
            if found:
                self._bindings[operation.key] = tuple(found)

    def kinds_for(self, operation: Operation) -> tuple[IdKind[R], ...]:
        return tuple(b.kind for b in self._bindings.get(operation.key, ()))

    def resolve(self, operation: Operation, api_key: str, path: Mapping[str, Any]) -> list[str]:
        """Create what the request names and the tenant lacks; the kinds created, in order."""
        created: list[str] = []
        tombstones = self.emulator.state.tenant(api_key).store(Tombstones)
        for binding in self._bindings.get(operation.key, ()):
            ids = {kn: str(path.get(on, "")) for kn, on in binding.params}
            kind = binding.kind
            if (kind.kind, tuple(ids.values())) in tombstones.deleted:
                break  # deleted stays deleted, and nothing is made under it: the handler answers 404
            if kind.exists(self.emulator, api_key, ids):
                continue
            kind.adopt(self.emulator, api_key, ids, self.record(kind, ids))
            created.append(kind.kind)
        return created

    def deleted(self, operation: Operation, api_key: str, path: Mapping[str, Any]) -> None:
        """After a successful DELETE: the kind whose own path it was stays deleted."""
        for binding in self._bindings.get(operation.key, ()):
            if binding.exact:
                ids = tuple(str(path.get(on, "")) for _, on in binding.params)
                self.emulator.state.tenant(api_key).store(Tombstones).deleted.add((binding.kind.kind, ids))

    def record(self, kind: IdKind[R], ids: Ids) -> dict[str, Any]:
        """The document's record for ``kind``, seeded by the ids, its id field(s) set to them."""
        synth = self.emulator.synthesizer
        schema = self._record_schema(kind.record_from or kind.template)
        seed_key = f"implicit|{kind.kind}|{'/'.join(ids.values())}"
        value: Any = synth.for_schema(schema, seed_key=seed_key) if schema is not None else {}
        if isinstance(value, dict) and isinstance(value.get("data"), dict) and set(value) <= {"data", "meta"}:
            value = value["data"]
        record: dict[str, Any] = dict(value) if isinstance(value, dict) else {}
        record = synth.without_invented(self._data_schema(schema), record, sent=ids)
        last = list(ids)[-1] if ids else None
        for name, value_id in ids.items():
            if name in record:
                record[name] = value_id
        if last is not None and ("id" in record or last not in record):
            record["id"] = ids[last]
        return record

    def _data_schema(self, schema: Any) -> Any:
        """The record's schema inside a ``{"data": ...}`` envelope, or the schema itself."""
        resolved = self.emulator.synthesizer.resolve(schema) if schema is not None else None
        data = (resolved.get("properties") or {}).get("data") if isinstance(resolved, dict) else None
        return data if data is not None else schema

    def _record_schema(self, template: str) -> Any:
        return self._get_schemas.get(tuple(_segments(template)))
