"""Stateful CRUD for every plain collection the document declares and no handler serves.

Creating a record synthesizes a schema-valid one (so clients get full objects), lays the request's
fields over it where the record schema has them, and stamps a seeded id and emulator-clock
timestamps. Reads, lists (filters, pagination), updates (merge) and deletes then work on what was
stored, per API key. Every body is shaped by the operation's own success schema — record,
``{"data": record}`` envelope, list envelope with ``meta``, or bare array — and conformed to it, so
a generic answer always validates. Classification lives in :mod:`emulator.crud.plan`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ApiError, NotFound
from emulator.crud.plan import Collection, Plan, Shape, build_plan, record_properties
from emulator.runtime.implicit import IdKind, Ids

if TYPE_CHECKING:
    from emulator.core.state import TenantState
    from emulator.http.context import RequestContext
    from emulator.openapi.index import Operation
    from emulator.runtime.emulator import Emulator

_PAGING = frozenset({"page", "limit", "offset", "sort", "order", "page_number", "page_size", "cursor", "or"})
_META_VALUES = {
    "page_number": "number", "page": "number", "current_page": "number",
    "page_size": "size", "per_page": "size", "size": "size", "limit": "size",
    "total_pages": "pages", "total_results": "total", "total": "total", "total_count": "total",
}  # fmt: skip
DEFAULT_PAGE_SIZE = 20


class GenericStore:
    """One tenant's generic records: concrete collection path -> record id -> record."""

    snapshot_name = "generic"
    snapshot_aliases = ("emulator.resources.generic:GenericStore",)  # its key before stores had names

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}

    def get(self, collection: str, record_id: str) -> dict[str, Any] | None:
        return self.collections.get(collection, {}).get(record_id)

    def dump(self) -> dict[str, Any]:
        return {path: dict(records) for path, records in self.collections.items() if records}

    @classmethod
    def load(cls, data: Any) -> GenericStore:
        """The snapshot protocol (emulator/core/snapshot.py): rebuild from ``dump()``."""
        if not isinstance(data, dict):
            raise TypeError("a GenericStore snapshot is an object of collection paths")
        store = cls()
        for path, records in data.items():
            if not isinstance(path, str) or not isinstance(records, dict):
                raise TypeError(f"collection {path!r}: expected an object of records by id")
            for record_id, record in records.items():
                if not isinstance(record, dict):
                    raise TypeError(f"collection {path!r}, record {record_id!r}: expected an object")
            store.collections[path] = {str(k): dict(v) for k, v in records.items()}
        return store


class GenericCrud:
    """The ``generic`` service: ``serves(operation)`` and ``await handle(ctx)``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.synth = emulator.synthesizer
        self.plan: Plan = build_plan(emulator.index, self.synth)
        self._paging: dict[str, tuple[str, int]] = {}

    def serves(self, operation: Operation) -> bool:
        return operation.operation_id in self.plan.actions

    def id_kinds(self) -> tuple[IdKind[Emulator], ...]:
        """Every collection this fallback keeps, as a kind of implicit resource
        (``runtime/implicit.py``): an unknown id in the lenient mode becomes a full record."""
        kinds = []
        for coll in self.plan.collections.values():
            if not any(op in self.plan.actions for op in coll.ops.values()) or coll.ops.get("read") in self.emulator.handlers:
                continue
            kinds.append(IdKind(kind=_noun(coll), template=coll.item_template, exists=self._exists(coll), adopt=self._adopt(coll)))
        return tuple(kinds)

    def _exists(self, coll: Collection) -> Callable[[Emulator, str, Ids], bool]:
        def exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
            store = emulator.state.tenant(api_key).store(GenericStore)
            return store.get(coll.concrete(dict(ids)), ids.get(coll.param, "")) is not None

        return exists

    def _adopt(self, coll: Collection) -> Callable[[Emulator, str, Ids, dict[str, Any]], None]:
        def adopt(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
            key, record_id = coll.concrete(dict(ids)), ids.get(coll.param, "")
            record = self._build(coll, key, record_id, {}, dict(ids))
            emulator.state.tenant(api_key).store(GenericStore).collections.setdefault(key, {})[record_id] = record

        return adopt

    async def handle(self, ctx: RequestContext) -> Any:
        action, collection = self.plan.actions[ctx.operation.operation_id]
        shape = self.plan.shapes[ctx.operation.operation_id]
        store = ctx.tenant.store(GenericStore)
        self._require_parents(ctx, collection, store)
        key = collection.concrete(ctx.path)
        if action == "create":
            return self._create(ctx, collection, shape, store, key)
        if action == "list":
            return self._list(ctx, collection, shape, store, key)
        record_id = str(ctx.path.get(collection.param, ""))
        record = store.get(key, record_id)
        if record is None:
            raise NotFound(f"No {_noun(collection)} with id '{record_id}' exists.")
        if action == "update":
            record = self._overlay(collection.record_schema, dict(record), self._request_fields(ctx, collection))
            self._stamp(collection, record, ("updated_at",))
            store.collections[key][record_id] = record
        elif action == "delete":
            del store.collections[key][record_id]
            if "deleted" in record_properties(self.synth, shape.record):  # e.g. {"id", "deleted": true}
                record = {**record, "deleted": True}
        return self._render(ctx, shape, collection, record_id, record)

    # -- actions --------------------------------------------------------------------------------
    def _create(self, ctx: RequestContext, coll: Collection, shape: Shape, store: GenericStore, key: str) -> Any:
        record_id = self._new_id(ctx.tenant, coll)
        record = self._build(coll, key, record_id, self._request_fields(ctx, coll), ctx.path)
        store.collections.setdefault(key, {})[record_id] = record  # the only write, after all checks
        return self._render(ctx, shape, coll, record_id, record)

    def _build(self, coll: Collection, key: str, record_id: str, fields: dict[str, Any], path: dict[str, Any]) -> dict[str, Any]:
        """A full, schema-valid record: synthesized, then the given fields, ids and timestamps."""
        record: Any = {}
        if coll.record_schema is not None:
            record = self.synth.for_schema(coll.record_schema, seed_key=f"{key}|{record_id}")
        if not isinstance(record, dict):
            record = {}
        record = self.synth.without_invented(coll.record_schema, record, sent={**path, **fields})
        record = self._overlay(coll.record_schema, record, fields)
        props = record_properties(self.synth, coll.record_schema)
        for param, value in path.items():  # a nested record names its parents
            if param != coll.param and param in props and self.synth.validates(props[param], value):
                record[param] = value
        if coll.id_field is not None:
            record[coll.id_field] = self._typed_id(coll, record_id)
        elif not props:
            record["id"] = record_id  # a free-form record: give clients the id they address it by
        self._stamp(coll, record, ("created_at", "updated_at"))
        return record

    def seed_records(self, tenant: TenantState, path: str, records: list[dict[str, Any]]) -> None:
        """Fixtures: store ``records`` in the collection at the concrete ``path`` (e.g.
        ``/ai/mcp_servers``), completed to full records like a create would."""
        try:
            found = self.emulator.index.find("POST", path.removeprefix("/v2"))
        except ApiError:  # the path exists but takes no POST
            found = None
        action = self.plan.actions.get(found[0].operation_id) if found else None
        if found is None or action is None or action[0] != "create":
            raise ValueError(f"{path} is not a collection the generic CRUD layer keeps")
        coll, params = action[1], found[1]
        key = coll.concrete(params)
        built: dict[str, dict[str, Any]] = {}
        for fields in records:
            given = fields.get(coll.id_field or "id", fields.get("id"))
            record_id = str(given) if given is not None else self._new_id(tenant, coll)
            record = self._build(coll, key, record_id, {k: v for k, v in fields.items() if k != "id"}, params)
            if "id" in fields and coll.id_field is None and "id" not in record_properties(self.synth, coll.record_schema):
                record.pop("id", None)
            for stamp in ("created_at", "updated_at"):
                if stamp in fields:
                    record[stamp] = fields[stamp]
            built[record_id] = record
        tenant.store(GenericStore).collections.setdefault(key, {}).update(built)

    def _list(self, ctx: RequestContext, coll: Collection, shape: Shape, store: GenericStore, key: str) -> Any:
        rows = list(store.collections.get(key, {}).items())
        rows = [(rid, rec) for rid, rec in rows if self._matches(ctx, coll, rec)]
        style, default_size = self._paging_of(ctx.operation)
        query = ctx.request.query_params
        total = len(rows)
        number, size = 1, max(total, 1)
        if style == "page":
            number = _int(query.get("page[number]") or query.get("page_number"), 1, minimum=1)
            size = _int(query.get("page[size]") or query.get("page_size"), default_size, minimum=1)
            rows = rows[(number - 1) * size : number * size]
        elif style == "limit":
            offset = _int(query.get("offset"), 0, minimum=0)
            size = _int(query.get("limit"), default_size, minimum=1)
            rows = rows[offset : offset + size]
        items = [self._conform(shape.record, self._with_id(shape.record, coll, rid, rec), f"{rid}|{ctx.operation.key}") for rid, rec in rows]
        if shape.kind == "array":
            return items
        if shape.kind != "list" and not _free_form(self.synth.resolve(shape.schema)):
            return self.synth.for_schema(shape.schema, seed_key=f"{ctx.api_key}|{ctx.operation.key}")
        if shape.kind != "list":  # the document does not say: the Telnyx convention
            meta = {"page_number": number, "page_size": size, "total_pages": max(1, math.ceil(total / size)), "total_results": total}
            return {"data": items, "meta": meta}
        body = self._envelope(shape, items, f"{key}|{ctx.operation.key}")
        if shape.meta is not None:
            numbers = {"number": number, "size": size, "pages": max(1, math.ceil(total / size)), "total": total}
            props = record_properties(self.synth, shape.meta)
            meta = {name: numbers[_META_VALUES[name]] for name in props if name in _META_VALUES}
            body["meta"] = self._conform(shape.meta, meta, f"{key}|meta")
        return body

    # -- helpers --------------------------------------------------------------------------------
    def _require_parents(self, ctx: RequestContext, coll: Collection, store: GenericStore) -> None:
        """Records under a parent collection need the parent (when we keep the parent)."""
        parent, param = coll.parent, coll.parent_param
        while parent is not None and param is not None:
            if any(parent.ops.get(a) in self.emulator.handlers for a in ("create", "read")):
                return  # the parent is someone else's; they answer for its existence
            parent_id = str(ctx.path.get(param, ""))
            if store.get(parent.concrete(ctx.path), parent_id) is None:
                raise NotFound(f"No {_noun(parent)} with id '{parent_id}' exists.")
            param, parent = parent.parent_param, parent.parent

    def _request_fields(self, ctx: RequestContext, coll: Collection) -> dict[str, Any]:
        """Request body fields a client may set (never the id or the server's timestamps)."""
        protected = {coll.id_field, "created_at", "updated_at", "id"}
        return {k: v for k, v in ctx.json.items() if k not in protected}

    def _overlay(self, schema: Any, base: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """``base`` with each field of ``fields`` that the schema accepts laid over it."""
        props = record_properties(self.synth, schema)
        out = dict(base)
        for name, value in fields.items():
            if props and (name not in props or not self.synth.validates(props[name], value)):
                continue
            out[name] = value
        if schema is None or self.synth.validates(schema, out):
            return out
        out = dict(base)  # a combination broke the whole (e.g. a union): keep what fits, field by field
        for name, value in fields.items():
            trial = {**out, name: value}
            if self.synth.validates(schema, trial):
                out = trial
        return out

    def _conform(self, schema: Any, record: dict[str, Any], seed_key: str) -> Any:
        """``record`` if valid against ``schema``, else a synthesized value carrying what fits."""
        if schema is None or self.synth.validates(schema, record):
            return record
        base = self.synth.for_schema(schema, seed_key=seed_key)
        return self._overlay(schema, base, record) if isinstance(base, dict) else base

    def _render(self, ctx: RequestContext, shape: Shape, coll: Collection, record_id: str, record: dict[str, Any]) -> Any:
        if shape.kind == "none":
            return None
        seed_key = f"{record_id}|{ctx.operation.key}"
        item = self._conform(shape.record, self._with_id(shape.record, coll, record_id, record), seed_key)
        if shape.kind == "record":
            return item
        if shape.kind == "array":
            return [item]
        return self._envelope(shape, [item] if shape.many or shape.kind == "list" else item, seed_key)

    def _envelope(self, shape: Shape, data: Any, seed_key: str) -> dict[str, Any]:
        """``{"data": data}`` plus whatever else the envelope requires."""
        resolved = self.synth.resolve(shape.schema)
        props = resolved.get("properties") or {}
        body: dict[str, Any] = {"data": data}
        for name in resolved.get("required") or []:
            if name not in body and name in props:
                body[name] = self.synth.for_schema(props[name], seed_key=f"{seed_key}|{name}")
        return body

    def _with_id(self, schema: Any, coll: Collection, record_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its id under the names this schema uses for it."""
        props = record_properties(self.synth, schema)
        extra = {name: self._typed_id(coll, record_id) for name in ("id", coll.param) if name in props and name not in record}
        return {**record, **extra} if extra else record

    def _typed_id(self, coll: Collection, record_id: str) -> Any:
        props = record_properties(self.synth, coll.record_schema)
        if coll.id_field and self.synth.resolve(props.get(coll.id_field, {})).get("type") == "integer":
            return int(record_id)
        return record_id

    def _new_id(self, tenant: TenantState, coll: Collection) -> str:
        """A seeded id in the form the id field declares (uuid, digits, or integer)."""
        props = record_properties(self.synth, coll.record_schema)
        schema = props.get(coll.id_field or "", None)
        if schema is None:
            return tenant.ids.uuid()
        if self.synth.resolve(schema).get("type") == "integer":
            return str(int(tenant.ids.digits(9)))
        for make in (tenant.ids.uuid, lambda: tenant.ids.digits(19), lambda: tenant.ids.prefixed("", 24)):
            candidate = make()
            if self.synth.validates(schema, candidate):
                return candidate
        return tenant.ids.uuid()

    def _stamp(self, coll: Collection, record: dict[str, Any], names: tuple[str, ...]) -> None:
        """Emulator-clock timestamps, typed as the schema says (ISO string or epoch number)."""
        props = record_properties(self.synth, coll.record_schema)
        for name in names:
            if name not in props and props:
                continue
            if not props and name == "updated_at" and name not in record:
                continue
            kind = self.synth.resolve(props.get(name, {})).get("type")
            kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
            clock = self.emulator.state.clock
            now = clock.now()
            value: Any = int(now) if kind == "integer" else now if kind == "number" else clock.iso()
            if name not in props or self.synth.validates(props[name], value):
                record[name] = value

    def _matches(self, ctx: RequestContext, coll: Collection, record: dict[str, Any]) -> bool:
        """Filters on record fields: ``field=v`` / ``filter[field]=v`` (exact) and
        ``filter[field][op]=v`` with op in eq, contains, gt, gte, lt, lte."""
        fields = record_properties(self.synth, coll.record_schema) or record
        for name, value in ctx.request.query_params.multi_items():
            op = "eq"
            if name.startswith("filter[") and name.endswith("]"):
                name, _, op = name[7:-1].partition("][")
                op = op or "eq"
            if name in _PAGING or name.startswith("page") or name not in fields:
                continue
            if not _compare(record.get(name), op, value):
                return False
        return True

    def _paging_of(self, operation: Operation) -> tuple[str, int]:
        """(style, default size): ``page`` (page[number]/page[size]), ``limit``, or ``none``."""
        found = self._paging.get(operation.operation_id)
        if found is None:
            names = {p.name: p for p in operation.parameters if p.location == "query"}
            size_param = names.get("page[size]") or names.get("page_size") or names.get("limit")
            default = DEFAULT_PAGE_SIZE
            schema = self.synth.resolve(size_param.schema) if size_param else {}
            if "page" in names:
                schema = self.synth.resolve((self.synth.resolve(names["page"].schema).get("properties") or {}).get("size", {}))
            if isinstance(schema.get("default"), int):
                default = schema["default"]
            if "page" in names or "page[size]" in names or "page[number]" in names or "page_size" in names:
                found = ("page", default)
            elif "limit" in names:
                found = ("limit", default)
            else:
                found = ("none", default)
            self._paging[operation.operation_id] = found
        return found


def _free_form(schema: Any) -> bool:
    return not isinstance(schema, dict) or not any(k in schema for k in ("type", "properties", "items", "oneOf", "anyOf", "allOf", "$ref"))


def _compare(stored: Any, op: str, given: str) -> bool:
    if op == "eq" and given[:3] in ("eq.", "gt.", "lt."):  # PostgREST-style filters some /ai/* lists use
        op, given = given[:2], given[3:]
    if stored is None or isinstance(stored, (dict, list)):
        return False
    text = str(stored).lower() if isinstance(stored, bool) else str(stored)
    if op == "contains":
        return given.lower() in text.lower()
    if isinstance(stored, (int, float)) and not isinstance(stored, bool):
        try:
            number = float(given)
        except ValueError:
            return False
        stored, given = float(stored), number  # type: ignore[assignment]
    else:
        stored, given = text, given.lower() if isinstance(stored, bool) else given
    comparisons = {"eq": stored == given, "gt": stored > given, "gte": stored >= given, "lt": stored < given, "lte": stored <= given}
    return comparisons.get(op, True)


def _int(raw: str | None, default: int, *, minimum: int) -> int:
    try:
        return max(minimum, int(raw)) if raw is not None else default
    except ValueError:
        return default


def _noun(coll: Collection) -> str:
    last = next((seg for seg in reversed(coll.template.split("/")) if seg and "{" not in seg), "resource")
    word = last.replace("-", " ").replace("_", " ")
    return word[:-1] if word.endswith("s") else word
