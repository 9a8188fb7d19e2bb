"""Schema-valid responses synthesized from the document, for operations nobody handles yet.

A value is built top-down from the (``$ref``-ing) schema: the document's own ``example`` /
``examples`` win wherever they validate against the schema they sit on (checked with
jsonschema-rs against the whole document), otherwise fake data honouring type, format, enum,
length, range and pattern. Identifiers (``uuid``) and timestamps (``date-time``) are always
generated, so two synthesized records never share an id.

Randomness comes from one ``random.Random`` per call seeded by (seed, seed key), and Faker is
bound to that same generator: the same request gets the same bytes; another seed differs.
Everything done per *schema* (merging ``allOf``, picking valid examples, compiled validators) is
cached on the instance — synthesis runs on every request of an un-handled operation.
"""

from __future__ import annotations

import hashlib
import random
import threading
from typing import Any

import jsonschema_rs
from faker import Faker

from emulator.openapi import fake_values as fakes
from emulator.openapi.compose import DOC_URI, absolute_refs, fresh, has_constraints, merge_all_of, tag_branch, type_of
from emulator.openapi.index import Operation
from emulator.openapi.loader import SpecDocument

MISSING: Any = object()
MAX_DEPTH = 5  # object nesting beyond which only required properties are produced
ALWAYS_FAKE_FORMATS = frozenset({"uuid", "date-time"})
MAX_CACHED = 50_000  # compiled validators / example verdicts kept per synthesizer


class _Run:
    """The state of one synthesis: its random generator and where we are in the schema graph."""

    def __init__(self, rng: random.Random, faker: Faker) -> None:
        self.rng = rng
        self.faker = faker
        self.refs: list[str] = []
        self.depth = 0

    def shallow(self) -> bool:
        """Past the depth limit, or inside a schema that refers to itself: stay minimal."""
        return self.depth >= MAX_DEPTH or len(set(self.refs)) < len(self.refs)


class Synthesizer:
    def __init__(self, doc: SpecDocument, seed: int = 0) -> None:
        self.doc = doc
        self.seed = seed
        self._registry: jsonschema_rs.Registry | None = None
        self._validators: dict[int, tuple[Any, Any]] = {}  # id(schema) -> (schema, validator)
        self._merged: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._examples: dict[int, tuple[Any, Any]] = {}
        self._doc_valid: dict[tuple[int, int], tuple[Any, Any, bool]] = {}
        self._branches: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._local = threading.local()

    # -- public ---------------------------------------------------------------------------------
    def for_schema(self, schema: dict[str, Any] | None, *, seed_key: str, hint: Any = MISSING) -> Any:
        """A value valid against ``schema`` (None for no schema), deterministic in ``seed_key``.

        ``hint`` is a preferred value (e.g. the media type's example) used where it validates.
        """
        if schema is None:
            return None
        return self._gen(schema, self._run(seed_key), "", hint)

    def response_for(self, operation: Operation, *, seed_key: str) -> tuple[int, str | None, Any]:
        status_text = operation.success_status()
        status = int(status_text) if status_text.isdigit() else 200
        media_type, schema = operation.success_content()
        if status == 204 or media_type is None:
            return status, None, None
        if "json" in media_type:
            media = ((operation.responses.get(status_text) or {}).get("content") or {}).get(media_type) or {}
            hint = media.get("example", MISSING)
            if hint is MISSING and isinstance(media.get("examples"), dict):
                first = next(iter(media["examples"].values()), {})
                hint = self.doc.deref(first).get("value", MISSING) if isinstance(first, dict) else MISSING
            body = self.for_schema(schema or {}, seed_key=seed_key, hint=hint)
            return status, media_type, self._single_page(schema, body)
        return status, media_type, self._non_json(media_type, schema, seed_key)

    def _single_page(self, schema: Any, body: Any) -> Any:
        """A synthesized list says it is the only page, so SDK auto-pagination stops after it."""
        if not (isinstance(body, dict) and isinstance(body.get("data"), list) and isinstance(body.get("meta"), dict)):
            return body
        meta = body["meta"]
        counts = {"page_number": 1, "total_pages": 1, "total_results": len(body["data"]), "page_size": max(1, len(body["data"]))}
        if not any(name in meta for name in counts):
            return body
        fixed = {**body, "meta": {**meta, **{k: v for k, v in counts.items() if k in meta}}}
        return fixed if self.validates(schema, fixed) else body

    def validates(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` is valid against ``schema`` (formats asserted; refs resolved)."""
        if schema is None or schema is True or schema == {}:
            return True
        return bool(self._validator(schema).is_valid(value))

    def resolve(self, schema: Any) -> Any:
        """``schema`` with ``$ref`` followed and ``allOf`` merged — what a value must look like."""
        schema = self.doc.deref(schema)
        return self._merge_all_of(schema) if isinstance(schema, dict) and "allOf" in schema else schema

    # -- plumbing -------------------------------------------------------------------------------
    def _run(self, seed_key: str) -> _Run:
        digest = hashlib.sha256(f"{self.seed}|{seed_key}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        faker = getattr(self._local, "faker", None)
        if faker is None:
            faker = self._local.faker = Faker("en_US")["en_US"]
        faker.random = rng  # Faker draws from the run's generator: one seed governs everything
        return _Run(rng, faker)

    def _validator(self, schema: Any) -> Any:
        """A compiled validator per schema object (keyed by identity; the cache keeps the object
        alive so an id is never reused). Callers passing fresh dicts each time only cost memory,
        so the cache is bounded."""
        found = self._validators.get(id(schema))
        if found is None:
            if len(self._validators) > MAX_CACHED:
                self._validators.clear()
            if self._registry is None:
                self._registry = jsonschema_rs.Registry([(DOC_URI, self.doc.raw)], draft=jsonschema_rs.Draft202012)
            compiled = jsonschema_rs.Draft202012Validator(
                absolute_refs(schema), registry=self._registry, validate_formats=True
            )
            found = self._validators[id(schema)] = (schema, compiled)
        return found[1]

    def _valid_doc_value(self, schema: Any, value: Any) -> bool:
        """``validates`` for values that live in the document (examples), cached by identity."""
        key = (id(schema), id(value))
        found = self._doc_valid.get(key)
        if found is None:
            if len(self._doc_valid) > MAX_CACHED:
                self._doc_valid.clear()
            found = self._doc_valid[key] = (schema, value, self.validates(schema, value))
        return found[2]

    def _example(self, schema: dict[str, Any]) -> Any:
        """The schema's first own example that validates against it, else MISSING."""
        found = self._examples.get(id(schema))
        if found is None:
            candidates = []
            if "example" in schema:
                candidates.append(schema["example"])
            if isinstance(schema.get("examples"), list):
                candidates.extend(schema["examples"])
            pick = next((c for c in candidates if c is not None and self._valid_doc_value(schema, c)), MISSING)
            found = self._examples[id(schema)] = (schema, pick)
        return found[1]

    def _merge_all_of(self, schema: dict[str, Any]) -> dict[str, Any]:
        found = self._merged.get(id(schema))
        if found is None:
            found = self._merged[id(schema)] = (schema, merge_all_of(self.doc, schema))
        return found[1]

    def _branch_schema(self, schema: dict[str, Any], base: dict[str, Any], i: int) -> Any:
        """Branch ``i`` of a union combined with the union's own keywords (cached: stable ids)."""
        keyword = "oneOf" if "oneOf" in schema else "anyOf"
        branch = schema[keyword][i]
        if not has_constraints(base):
            return branch
        key = (id(schema), i)
        found = self._branches.get(key)
        if found is None:
            found = self._branches[key] = (schema, {"allOf": [base, branch]})
        return found[1]

    # -- generation -----------------------------------------------------------------------------
    def _gen(self, schema: Any, run: _Run, name: str, hint: Any) -> Any:
        if not isinstance(schema, dict):
            return fresh(hint) if hint is not MISSING else run.faker.word()
        ref = None
        while "$ref" in schema:
            ref = schema["$ref"]
            schema = self.doc.resolve(ref)
        if ref:
            run.refs.append(ref)
        try:
            return self._gen_resolved(schema, run, name, hint)
        finally:
            if ref:
                run.refs.pop()

    def _gen_resolved(self, schema: dict[str, Any], run: _Run, name: str, hint: Any) -> Any:
        if "const" in schema:
            return fresh(schema["const"])
        if "allOf" in schema:
            schema = self._merge_all_of(schema)
        if "oneOf" in schema or "anyOf" in schema:
            return self._gen_union(schema, run, name, hint)
        kind = type_of(schema)
        example = self._example(schema)
        if kind == "object":
            return self._gen_object(schema, run, hint if hint is not MISSING else example)
        if kind == "array":
            return self._gen_array(schema, run, name, hint if hint is not MISSING else example)
        if kind == "null":
            return None
        fmt = schema.get("format")
        if example is not MISSING and fmt not in ALWAYS_FAKE_FORMATS:
            return fresh(example)
        if hint is not MISSING and fmt not in ALWAYS_FAKE_FORMATS and self._valid_doc_value(schema, hint):
            return fresh(hint)
        enum = [v for v in schema.get("enum") or [] if v is not None]
        if enum:
            return fresh(run.rng.choice(enum))
        if "default" in schema and schema["default"] is not None and self._valid_doc_value(schema, schema["default"]):
            return fresh(schema["default"])
        if kind == "boolean":
            return run.rng.random() < 0.5
        if kind in ("integer", "number"):
            return fakes.number(schema, run.rng, kind == "integer", name)
        if kind is None:
            return fresh(hint) if hint is not MISSING else run.faker.word()
        return self._gen_string(schema, run, name)

    def _gen_string(self, schema: dict[str, Any], run: _Run, name: str) -> str:
        fmt = schema.get("format")
        value = fakes.by_format(fmt, run.rng, run.faker, name) if isinstance(fmt, str) else None
        if value is None:
            value = fakes.by_name(name, run.rng, run.faker)
        value = fakes.fit_length(value, schema, run.rng)
        pattern = schema.get("pattern")
        if pattern and not fakes.matches(pattern, value):
            value = fakes.from_pattern(pattern, run.rng) or value
        return value

    def _gen_object(self, schema: dict[str, Any], run: _Run, hint: Any) -> Any:
        props: dict[str, Any] = schema.get("properties") or {}
        required = list(schema.get("required") or [])
        additional = schema.get("additionalProperties")
        hints = hint if isinstance(hint, dict) else {}
        if not props and not required and not isinstance(additional, dict) and isinstance(hint, dict):
            return fresh(hint)  # a free-form object: its example is as good as anything
        shallow = run.shallow()
        run.depth += 1
        try:
            out: dict[str, Any] = {}
            for key, sub in props.items():
                if key not in required and (shallow or self.doc.deref(sub).get("writeOnly")):
                    continue
                out[key] = self._gen(sub, run, key, hints.get(key, MISSING))
            extra_schema = additional if isinstance(additional, dict) else {}
            for key in required:
                if key not in out:
                    out[key] = self._gen(extra_schema, run, key, hints.get(key, MISSING))
            wanted = int(schema.get("minProperties") or 0)
            if not props and isinstance(additional, dict) and additional and not shallow:
                wanted = max(wanted, 1)
            while len(out) < wanted and additional is not False:
                key = run.faker.word()
                if key not in out:
                    out[key] = self._gen(extra_schema, run, key, MISSING)
            return out
        finally:
            run.depth -= 1

    def _gen_array(self, schema: dict[str, Any], run: _Run, name: str, hint: Any) -> list[Any]:
        items = schema.get("items", {})
        lo = int(schema.get("minItems") or 0)
        hi = schema.get("maxItems")
        count = lo if run.shallow() else max(lo, run.rng.randint(1, 2))
        if hi is not None:
            count = min(count, int(hi))
        hints = hint if isinstance(hint, list) and hint else []
        singular = name[:-1] if name.endswith("s") else name
        out: list[Any] = []
        attempts = 0
        run.depth += 1
        try:
            while len(out) < count and attempts < count * 6 + 4:
                item_hint = hints[len(out) % len(hints)] if hints and attempts < count else MISSING
                value = self._gen(items, run, singular, item_hint)
                attempts += 1
                if schema.get("uniqueItems") and value in out:
                    continue
                out.append(value)
        finally:
            run.depth -= 1
        return out

    def _gen_union(self, schema: dict[str, Any], run: _Run, name: str, hint: Any) -> Any:
        """The first branch (non-null ones first) whose value satisfies the whole schema.

        Each attempt restarts from the same sub-seed, so the answer does not depend on how many
        branches failed before (or on any cache)."""
        keyword = "oneOf" if "oneOf" in schema else "anyOf"
        branches: list[Any] = schema[keyword]
        base = {k: v for k, v in schema.items() if k not in (keyword, "discriminator", "example", "examples")}
        discriminator = schema.get("discriminator") or {}
        order = sorted(range(len(branches)), key=lambda i: type_of(self.doc.deref(branches[i])) == "null")
        sub_seed = run.rng.getrandbits(64)
        outer_rng = run.rng
        value: Any = MISSING
        first: Any = MISSING
        for i in order:
            branch = branches[i]
            candidate = self._branch_schema(schema, base, i)
            run.rng = random.Random(sub_seed)
            run.faker.random = run.rng
            value = self._gen(candidate, run, name, hint)
            value = tag_branch(value, discriminator, branch)
            if self.validates(schema, value):
                break
            first = value if first is MISSING else first
        else:  # nothing satisfies the union exactly (overlapping branches): the first attempt
            value = None if first is MISSING else first
        run.rng = outer_rng
        run.faker.random = outer_rng
        return value

    # -- other media ----------------------------------------------------------------------------
    def _non_json(self, media_type: str, schema: Any, seed_key: str) -> Any:
        text = None
        if media_type.startswith("text/") and media_type not in ("text/event-stream", "text/csv") and isinstance(schema, dict):
            value = self.for_schema(schema, seed_key=seed_key)
            text = value if isinstance(value, str) else None
        run = self._run(seed_key)
        return fakes.media_body(media_type, text or run.faker.sentence(), run.rng)
