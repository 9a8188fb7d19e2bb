"""Which operations are plain CRUD, worked out once from the document's paths.

A *collection* is a path ``C`` with a ``POST`` (create) whose item path ``C/{param}`` also exists,
and where either ``C`` has a ``GET`` (list) or the item has a ``GET`` (read). Then:

| operation                         | action  |
|-----------------------------------|---------|
| ``POST C``                        | create  |
| ``GET C``                         | list    |
| ``GET C/{id}``                    | read    |
| ``PATCH``/``PUT``/``POST C/{id}`` | update  |
| ``DELETE C/{id}``                 | delete  |

Collections nest (``/ai/missions/{mission_id}/tools``): records are keyed by the *concrete*
collection path, and when the parent item path is itself a collection's item the parent must
exist. Read-only catalogues (no ``POST``) stay synthesized: an always-empty list would be worse.

Each operation's success body is described by a :class:`Shape`: the record itself, an envelope
``{"data": record}``, a list envelope ``{"data": [...], "meta": {...}}``, or a bare array.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from emulator.openapi.index import Operation, OperationIndex
from emulator.openapi.synth import Synthesizer

_PARAM = re.compile(r"^\{([^{}]+)\}$")
_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")


@dataclass
class Shape:
    kind: str  # record | envelope | list | array | none
    schema: Any = None  # the whole success schema
    record: Any = None  # the schema of one record (for lists: of one item)
    many: bool = False  # an envelope whose data is an array (creates that answer a list)
    meta: Any = None  # the list envelope's meta schema


@dataclass
class Collection:
    template: str  # /ai/missions/{mission_id}/tools
    item_template: str  # /ai/missions/{mission_id}/tools/{tool_id}
    param: str  # tool_id
    record_schema: Any = None
    id_field: str | None = None  # the record property holding the id, if the record has one
    parent: Collection | None = None
    parent_param: str | None = None  # the path parameter naming the parent record
    ops: dict[str, str] = field(default_factory=dict)  # action -> operation_id

    def concrete(self, path_params: dict[str, Any], template: str | None = None) -> str:
        return _TEMPLATE_PARAM.sub(lambda m: str(path_params.get(m.group(1), "")), template or self.template)


@dataclass
class Plan:
    collections: dict[str, Collection] = field(default_factory=dict)  # by collection template
    actions: dict[str, tuple[str, Collection]] = field(default_factory=dict)  # operation_id -> (action, collection)
    shapes: dict[str, Shape] = field(default_factory=dict)  # operation_id -> success shape


def shape_of(synth: Synthesizer, operation: Operation) -> Shape:
    media_type, schema = operation.success_content()
    if schema is None or media_type is None or "json" not in media_type:
        return Shape("none")
    resolved = synth.resolve(schema)
    if not isinstance(resolved, dict):
        return Shape("record", schema, schema)
    if _kind(resolved) == "array":
        return Shape("array", schema, resolved.get("items", {}))
    props = resolved.get("properties") or {}
    if "data" in props and "id" not in props:
        data = synth.resolve(props["data"])
        if isinstance(data, dict) and _kind(data) == "array":
            if operation.method == "GET":
                return Shape("list", schema, data.get("items", {}), meta=props.get("meta"))
            return Shape("envelope", schema, data.get("items", {}), many=True)
        return Shape("envelope", schema, props["data"])
    return Shape("record", schema, schema)


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "items" in schema:
        return "array"
    return kind


def build_plan(index: OperationIndex, synth: Synthesizer) -> Plan:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in index.operations:
        by_path.setdefault(op.path, {})[op.method] = op
    plan = Plan()
    for item_path, item_ops in by_path.items():
        segments = item_path.rstrip("/").split("/")
        whole = _PARAM.match(segments[-1])
        if not whole:
            continue
        coll_path = "/".join(segments[:-1])
        coll_ops = by_path.get(coll_path, {})
        if "POST" not in coll_ops or not ("GET" in coll_ops or "GET" in item_ops):
            continue
        collection = Collection(coll_path, item_path, whole.group(1))
        plan.collections[coll_path] = collection
        wiring = [(coll_ops.get("POST"), "create"), (coll_ops.get("GET"), "list"), (item_ops.get("GET"), "read")]
        wiring += [(item_ops.get(m), "update") for m in ("PATCH", "PUT", "POST")]
        wiring.append((item_ops.get("DELETE"), "delete"))
        for wired, action in wiring:
            if wired is not None:
                plan.actions[wired.operation_id] = (action, collection)
                collection.ops.setdefault(action, wired.operation_id)
                plan.shapes[wired.operation_id] = shape_of(synth, wired)
        # The record's canonical schema: what a read returns, else what create returns, else a list item.
        for source in (item_ops.get("GET"), coll_ops.get("POST"), coll_ops.get("GET")):
            if source is not None and plan.shapes[source.operation_id].kind != "none":
                collection.record_schema = plan.shapes[source.operation_id].record
                break
        collection.id_field = _id_field(synth, collection)
    for collection in plan.collections.values():
        segments = collection.template.split("/")
        for cut in range(len(segments) - 1, 1, -1):
            parent_item = "/".join(segments[:cut])
            found = next((c for c in plan.collections.values() if c.item_template == parent_item), None)
            if found is not None:
                collection.parent, collection.parent_param = found, found.param
                break
    return plan


def _id_field(synth: Synthesizer, collection: Collection) -> str | None:
    props = record_properties(synth, collection.record_schema)
    for name in ("id", collection.param):
        if name in props:
            return name
    # e.g. {event_id} addressing records whose id property is scheduled_event_id
    return next((name for name in props if name.endswith("_" + collection.param)), None)


def record_properties(synth: Synthesizer, schema: Any) -> dict[str, Any]:
    """The properties a record schema declares (unions: the first branch that declares any)."""
    if schema is None:
        return {}
    resolved = synth.resolve(schema)
    if not isinstance(resolved, dict):
        return {}
    if resolved.get("properties"):
        return dict(resolved["properties"])
    for keyword in ("oneOf", "anyOf"):
        for branch in resolved.get(keyword) or []:
            props = record_properties(synth, branch)
            if props:
                return props
    return {}
