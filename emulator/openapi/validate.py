"""Request validation against the loaded document: compiled once, cheap per request.

At start-up every operation's parameters and request bodies are converted to JSON Schema
2020-12 (``emulator/openapi/schemas.py``) and compiled together by jsonschema-rs, with ``$ref``s
resolved inside one root resource. Per request we only deserialise/cast the parameters
(``emulator/openapi/params.py``) and call the compiled validators; error details are computed only
when a value is invalid.

openapi-core 0.23 is the reference for what is accepted (``tests/test_validation_parity.py``
checks it request by request); the differences are listed there with their reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import UploadFile

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.openapi.index import Operation, OperationIndex, Parameter
from emulator.openapi.loader import SpecDocument
from emulator.openapi.params import Caster, CastFailure, Missing, QueryView, read_parameter, schema_type
from emulator.openapi.schemas import CompiledSchemas
from emulator.openapi.violations import body_cast_item, body_items, cast_item, parameter_items

_NO_DEFAULT = object()
_LOCATION_ORDER = {"path": 0, "query": 1, "header": 2, "body": 3}


@dataclass
class ValidatedRequest:
    path: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any


@dataclass
class _ParamPlan:
    param: Parameter
    kind: str  # the schema's type, which picks the deserialisation (array / object / scalar)
    schema: Any  # the raw schema (casting follows the document's own types)
    key: str
    default: Any = _NO_DEFAULT
    validator: Any = None
    literal_names: frozenset[str] = frozenset()  # deepObject: keys owned by bracket-named params


@dataclass
class _BodyPlan:
    schema: Any
    key: str
    validator: Any = None
    failures: dict[bytes, tuple[ErrorItem, ...]] = field(default_factory=dict)  # see _body_failures


@dataclass
class _OperationPlan:
    params: list[_ParamPlan] = field(default_factory=list)
    bodies: dict[str, _BodyPlan] = field(default_factory=dict)
    body_required: bool = False
    empty_body_ok: bool = False  # the body schema accepts {}: an absent body is an empty object


FAILURE_MEMO_SIZE = 256  # distinct invalid bodies remembered per body schema
FAILURE_MEMO_BYTES = 16_384  # larger bodies are described every time


class RequestValidator:
    """Validates and coerces requests for every operation of ``index``."""

    def __init__(self, doc: SpecDocument, index: OperationIndex) -> None:
        self.doc = doc
        self.index = index
        self.caster = Caster(doc)
        schemas = CompiledSchemas(doc)
        self._plans: dict[str, _OperationPlan] = {}
        for operation in index.operations:
            plan = _OperationPlan()
            for param in operation.parameters:
                if param.location == "cookie":
                    continue
                schema = param.content_schema if param.content_schema is not None else param.schema
                resolved = doc.deref(schema)
                default = resolved.get("default", _NO_DEFAULT) if isinstance(resolved, dict) else _NO_DEFAULT
                plan.params.append(
                    _ParamPlan(param, schema_type(doc, schema), schema, schemas.add(schema), default)
                )
            if operation.request_body is not None:
                plan.body_required = operation.request_body.required
                for media_type, schema in operation.request_body.content.items():
                    plan.bodies[media_type] = _BodyPlan(schema, schemas.add(schema))
            literal = frozenset(p.param.name for p in plan.params if p.param.location == "query" and "[" in p.param.name)
            for p in plan.params:
                if p.param.location == "query" and p.kind == "object":
                    p.literal_names = literal
            self._plans[operation.key] = plan
        schemas.compile()
        for plan in self._plans.values():
            for p in plan.params:
                p.validator = schemas.get(p.key)
            for b in plan.bodies.values():
                b.validator = schemas.get(b.key)
            # Absent body = {} when the schema has no required property (the document marks such
            # bodies required although every field is optional; the SDKs and docs send none).
            plan.empty_body_ok = any(b.validator.is_valid({}) for b in plan.bodies.values())

    # -- per request ----------------------------------------------------------------------------
    def validate(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        query_items: list[tuple[str, str]],
        headers: Mapping[str, str],
        media_type: str | None,
        body: Any,
        any_path_ids: bool = False,
        body_checked: bool = False,
        body_refused: Sequence[ErrorItem] | None = None,
    ) -> ValidatedRequest:
        """(Positional or keyword: the dispatcher passes them in this order, on every request.)
        ``any_path_ids``: a path parameter the document constrains (uuid format, pattern) is
        taken as given when it does not conform — the lenient mode's placeholder ids.
        ``body_checked``: this JSON body is known to be valid (``http/clean_bodies.py``);
        ``body_refused``: it is known to fail with these items (``ValidationFailed.body_items``
        of the same bytes before), which stand in for checking it."""
        plan = self._plans.get(operation.key)
        if plan is None:  # an operation built outside our index: nothing compiled to check it with
            return ValidatedRequest(dict(path_params), dict(query_items), {}, body)
        if not plan.params and not query_items and body_refused is None and (body_checked or (not plan.bodies and not plan.body_required)):
            return ValidatedRequest(dict(path_params), {}, {}, body)  # nothing to check: what the loops below give
        if body_refused is not None and not plan.params and not query_items:
            raise _failure(list(body_refused), 0)  # the same bytes' items, and nothing else to check
        errors: list[ErrorItem] = []
        query = QueryView(list(query_items))
        path_out: dict[str, Any] = dict(path_params)
        query_out: dict[str, Any] = {}
        header_out: dict[str, Any] = {}
        consumed: set[str] = set()
        for pp in plan.params:
            mark = len(errors)
            value = self._parameter(pp, query, path_params, headers, consumed, errors)
            if any_path_ids and pp.param.location == "path" and len(errors) > mark and pp.param.name in path_params:
                del errors[mark:]
                value = path_params[pp.param.name]
            if value is _NO_DEFAULT:
                continue
            target = path_out if pp.param.location == "path" else query_out if pp.param.location == "query" else header_out
            target[pp.param.name] = value
        for key, value in query.items:  # undeclared query parameters pass through, uncast
            if key not in consumed and key not in query_out:
                values = query.all(key)
                query_out[key] = values if len(values) > 1 else value
        mark = len(errors)
        if body_refused is not None:
            errors.extend(body_refused)
        elif not body_checked:
            body = self._body(plan, media_type, body, errors)
        if errors:
            raise _failure(errors, mark)
        return ValidatedRequest(path_out, query_out, header_out, body)

    def _parameter(
        self,
        pp: _ParamPlan,
        query: QueryView,
        path_params: Mapping[str, str],
        headers: Mapping[str, str],
        consumed: set[str],
        errors: list[ErrorItem],
    ) -> Any:
        param = pp.param
        try:
            raw, used = read_parameter(param, pp.kind, query, path_params, headers, pp.literal_names)
        except Missing:
            if param.required:
                errors.append(ErrorItem("Field required", parameter=param.name, location=param.location, kind="missing"))
                return _NO_DEFAULT
            if pp.default is _NO_DEFAULT:
                return _NO_DEFAULT
            raw, used = pp.default, []
        except ValueError as exc:
            errors.append(ErrorItem(f"Cannot read the parameter: {exc}", parameter=param.name, location=param.location))
            return _NO_DEFAULT
        consumed.update(used)
        if param.location == "query" and raw == "":
            errors.append(ErrorItem("Value must not be empty", parameter=param.name, location="query", kind="missing"))
            return _NO_DEFAULT
        if param.content_schema is not None and isinstance(raw, str):
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                errors.append(ErrorItem("Value is not valid JSON", parameter=param.name, location=param.location, kind="json_invalid"))
                return _NO_DEFAULT
        else:
            try:
                value = self.caster.cast(pp.schema, raw)
            except CastFailure as failure:
                errors.append(cast_item(param, failure))
                return _NO_DEFAULT
        if not pp.validator.is_valid(value):
            errors.extend(parameter_items(param, pp.validator, value))
            return _NO_DEFAULT
        return value

    def _body(self, plan: _OperationPlan, media_type: str | None, body: Any, errors: list[ErrorItem]) -> Any:
        if not plan.bodies and not plan.body_required:
            return body
        if body is None or body == b"":
            if plan.body_required and plan.empty_body_ok:
                return {}
            if plan.body_required:
                errors.append(ErrorItem("Field required: the request body is required", pointer="", kind="missing"))
            return body
        bp = plan.bodies.get(media_type or "")
        if bp is None or isinstance(body, (bytes, bytearray)):
            return body  # raw media (octet-stream, audio/*): nothing a JSON Schema can check
        instance = body
        if media_type == "application/x-www-form-urlencoded" or (media_type or "").startswith("multipart/"):
            try:
                body = self.caster.cast(bp.schema, body)
            except CastFailure as failure:
                errors.append(body_cast_item(failure))
                return body
            # A file part is a string (format: binary) as far as the schema is concerned.
            instance = {k: ("" if isinstance(v, UploadFile) else v) for k, v in body.items()} if isinstance(body, dict) else body
        if not bp.validator.is_valid(instance):
            errors.extend(self._body_failures(bp, instance))
        return body

    def _body_failures(self, bp: _BodyPlan, instance: Any) -> tuple[ErrorItem, ...]:
        """What is wrong with ``instance``, described once per distinct invalid body.

        Describing is most of a 422's cost (every error walked, worded and located), and the same
        invalid body is typically sent again and again (a client's retries, a negative test in a
        loop). The items are a pure function of schema and body; the body's canonical JSON keys
        the memo, bounded (per schema) and emptied when full. Bodies that cannot be keyed cheaply are described
        every time.
        """
        try:
            key = orjson.dumps(instance)  # key order kept: the very same body, not an equal one
        except (TypeError, orjson.JSONEncodeError):
            return tuple(body_items(bp.validator, instance))
        if len(key) > FAILURE_MEMO_BYTES:
            return tuple(body_items(bp.validator, instance))
        items = bp.failures.get(key)
        if items is None:
            if len(bp.failures) >= FAILURE_MEMO_SIZE:
                bp.failures.clear()
            items = bp.failures[key] = tuple(body_items(bp.validator, instance))
        return items


def _failure(errors: list[ErrorItem], body_from: int) -> ValidationFailed:
    """The 422 for ``errors``, the body's own from ``body_from`` on. Built here and not held in
    a local of the raising frame: that local would tie the error, its traceback and the frame in
    a cycle only the garbage collector frees (a cost on every 422)."""
    failed = ValidationFailed(items=_sorted(errors))
    failed.body_items = tuple(errors[body_from:])
    return failed


def _sorted(items: list[ErrorItem]) -> list[ErrorItem]:
    if len(items) == 1:  # the common 422: nothing to merge or order
        return items
    unique = list(dict.fromkeys(items))
    return sorted(
        unique,
        key=lambda i: (_LOCATION_ORDER.get(i.location, 9), i.parameter or "", i.pointer or "", i.detail),
    )
