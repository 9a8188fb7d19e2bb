"""The one place that walks a JSON Schema and produces a seeded value valid against it.

Three callers share it: the document synthesizer (:mod:`emulator.openapi.synth`, schemas living
in the OpenAPI document), the structured-output faker (:mod:`emulator.fakes.structured`, a
caller's ``response_format`` / tool schema as its own root) and AI gather on calls
(:mod:`emulator.families.calls.ai_params`). They differ only in the *root* refs resolve against
and in a :data:`NameHint` — a preferred value for a field called so-and-so (the city the user
mentioned, a person's first name) — which is used wherever it validates.

A value is built top-down: ``$ref`` followed, ``allOf`` merged, a union's first branch whose
value satisfies the whole union, then by type — honouring ``const``, ``enum``, ``format``,
length, range, ``multipleOf``, ``pattern``, ``uniqueItems``, ``prefixItems`` and
``minProperties``. The schema's own valid ``example`` / ``examples`` / ``default`` win over
invented data, except for ids (``uuid``) and timestamps (``date-time``), which are always fresh.

Randomness comes from one ``random.Random`` per run (seeded by (seed, seed key), or handed in)
and Faker is bound to that same generator, so one seed governs everything: the same request
gets the same bytes. Per-*schema* work (merged ``allOf``, valid examples, compiled validators)
is cached on the instance by identity — the synthesizer runs on every un-handled request.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from emulator.openapi import fake_values as fakes
from emulator.openapi import patterns
from emulator.openapi.compose import (
    DOC_URI,
    absolute_refs,
    deref,
    fresh,
    has_constraints,
    is_null,
    lookup,
    merge_all_of,
    no_fetch,
    ref_of,
    tag_branch,
    type_of,
    write_only,
)
from emulator.openapi.loader import SpecDocument

if TYPE_CHECKING:
    from faker import Faker

MISSING: Any = object()
MAX_DEPTH = 5  # object nesting beyond which only required properties are produced
ALWAYS_FAKE_FORMATS = frozenset({"uuid", "date-time"})
MAX_CACHED = 50_000  # compiled validators / example verdicts kept per generator
RECURSION_GUARD = 3 * MAX_DEPTH  # this deep, unions prefer branches that do not recurse

NameHint = Callable[[str, dict[str, Any], random.Random], Any]
"""``(field name, its resolved schema, the run's generator) -> preferred value or MISSING``."""

_FAKERS = threading.local()  # one Faker per thread, rebound to each run's generator


def _faker(rng: random.Random) -> Faker:
    faker: Faker | None = getattr(_FAKERS, "faker", None)
    if faker is None:
        # Imported on first use: faker costs ~0.1 s of start-up, and most runs synthesize
        # nothing before their first answer.
        from faker import Faker  # noqa: PLC0415 - see the comment

        faker = _FAKERS.faker = Faker("en_US")["en_US"]
    _bind(faker, rng)
    return faker


def _bind(faker: Faker, rng: random.Random) -> None:
    """Faker draws from the run's generator: one seed governs everything."""
    faker.random = rng  # type: ignore[attr-defined]  # the proxy's ``random`` property is not in faker's stub


class _Run:
    """The state of one generation: its random generator and where we are in the schema graph."""

    def __init__(self, rng: random.Random, name_hint: NameHint | None = None) -> None:
        self.rng = rng
        self.name_hint = name_hint
        self.faker = _faker(rng)
        self.refs: list[str] = []
        self.depth = 0

    def rebind(self, rng: random.Random) -> None:
        self.rng = rng
        _bind(self.faker, rng)

    def shallow(self) -> bool:
        """Past the depth limit, or inside a schema that refers to itself: stay minimal."""
        return self.depth >= MAX_DEPTH or len(set(self.refs)) < len(self.refs)


class ValueGenerator:
    """Seeded, schema-valid values for schemas whose local refs resolve against ``doc``."""

    def __init__(self, doc: SpecDocument, seed: int = 0, name_hint: NameHint | None = None) -> None:
        self.doc = doc
        self.seed = seed
        self.name_hint = name_hint
        self._registry: jsonschema_rs.Registry | None = None
        self._validators: dict[int, tuple[Any, Any]] = {}  # id(schema) -> (schema, validator or None)
        self._merged: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._examples: dict[int, tuple[Any, Any]] = {}
        self._doc_valid: dict[tuple[int, int], tuple[Any, Any, bool]] = {}
        self._branches: dict[tuple[int, int], tuple[Any, Any]] = {}

    # -- public ---------------------------------------------------------------------------------
    def for_schema(self, schema: Any, *, seed_key: str, hint: Any = MISSING, name_hint: NameHint | None = None) -> Any:
        """A value valid against ``schema`` (None for no schema), deterministic in ``seed_key``.

        ``hint`` is a preferred value tree (e.g. the media type's example) used where it validates;
        ``name_hint`` replaces the generator's own for this run (so one generator, and its
        per-schema caches, serves callers whose hints differ from request to request).
        """
        if schema is None:
            return None
        return self._gen(schema, self._run(seed_key, name_hint), "", hint)

    def from_rng(self, schema: Any, rng: random.Random, *, name: str = "", hint: Any = MISSING) -> Any:
        """Like :meth:`for_schema`, drawing from a generator the caller owns (and advances)."""
        if schema is None:
            return None
        return self._gen(schema, _Run(rng, self.name_hint), name, hint)

    def validates(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` is valid against ``schema`` (formats asserted; refs resolved).

        A schema that cannot be compiled (a caller's invalid one) validates nothing, so hints
        and union branches are simply not trusted for it."""
        if schema is None or schema is True or schema == {}:
            return True
        compiled = self._validator(schema)
        return compiled is not None and bool(compiled.is_valid(value))

    def resolve(self, schema: Any) -> Any:
        """``schema`` with ``$ref`` followed and ``allOf`` merged — what a value must look like."""
        schema = deref(self.doc, schema)
        return self._merge_all_of(schema) if isinstance(schema, dict) and "allOf" in schema else schema

    # -- plumbing -------------------------------------------------------------------------------
    def _run(self, seed_key: str, name_hint: NameHint | None = None) -> _Run:
        digest = hashlib.sha256(f"{self.seed}|{seed_key}".encode()).digest()
        return _Run(random.Random(int.from_bytes(digest[:8], "big")), name_hint or self.name_hint)

    def _validator(self, schema: Any) -> Any:
        """A compiled validator per schema object (keyed by identity; the cache keeps the object
        alive so an id is never reused). Callers passing fresh dicts each time only cost memory,
        so the cache is bounded."""
        found = self._validators.get(id(schema))
        if found is None:
            if len(self._validators) > MAX_CACHED:
                self._validators.clear()
            try:
                if self._registry is None:
                    self._registry = jsonschema_rs.Registry([(DOC_URI, self.doc.raw)], draft=jsonschema_rs.Draft202012)
                compiled: Any = jsonschema_rs.Draft202012Validator(
                    absolute_refs(schema), registry=self._registry, validate_formats=True, retriever=no_fetch
                )
            except ValueError:  # jsonschema_rs.ValidationError included: an invalid schema
                compiled = None
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

    def _named(self, schema: dict[str, Any], run: _Run, name: str) -> Any:
        """The caller's preferred value for a field called ``name``, if it has one that fits."""
        if run.name_hint is None:
            return MISSING
        value = run.name_hint(name, schema, run.rng)
        return value if value is not MISSING and self.validates(schema, value) else MISSING

    # -- generation -----------------------------------------------------------------------------
    def _gen(self, schema: Any, run: _Run, name: str, hint: Any) -> Any:
        if not isinstance(schema, dict):
            return fresh(hint) if hint is not MISSING else run.faker.word()
        ref = None
        hops = 0
        while isinstance(schema, dict) and "$ref" in schema:
            ref = schema["$ref"]
            schema = lookup(self.doc, ref)
            hops += 1
            if hops > 64:  # a reference that only ever refers on (``{"$ref": "#"}`` at the root)
                schema = True
        if not isinstance(schema, dict):
            return fresh(hint) if hint is not MISSING else run.faker.word()
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
        if kind == "object":
            return self._gen_object(schema, run, hint if hint is not MISSING else self._example(schema))
        if kind == "array":
            return self._gen_array(schema, run, name, hint if hint is not MISSING else self._example(schema))
        if kind == "null":
            return None
        named = self._named(schema, run, name)
        if named is not MISSING:
            return named
        example = self._example(schema)
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
        if isinstance(pattern, str) and pattern and not patterns.matches(pattern, value):
            with contextlib.suppress(patterns.PatternError):  # a construct we do not generate: keep the value
                value = patterns.sample(pattern, run.rng)
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
                if key not in required and (shallow or write_only(deref(self.doc, sub))):
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
        prefix: list[Any] = schema["prefixItems"] if isinstance(schema.get("prefixItems"), list) else []
        lo = int(schema.get("minItems") or 0)
        hi = schema.get("maxItems")
        count = lo if run.shallow() else max(lo, run.rng.randint(1, 2))
        if prefix:
            count = len(prefix) if items is False else max(count, len(prefix))
        if hi is not None:
            count = min(count, int(hi))
        hints = hint if isinstance(hint, list) and hint else []
        singular = name[:-1] if name.endswith("s") else name
        unique = bool(schema.get("uniqueItems"))
        out: list[Any] = []
        attempts = 0
        run.depth += 1
        try:
            while len(out) < count and attempts < count * 6 + 4:
                item_hint = hints[len(out) % len(hints)] if hints and attempts < count else MISSING
                item = prefix[len(out)] if len(out) < len(prefix) else items
                value = self._gen(item, run, singular, item_hint)
                attempts += 1
                if unique and value in out:
                    continue
                out.append(value)
            if unique and len(out) < lo:  # redraws kept repeating: make distinct members up
                resolved = self.resolve(items) if isinstance(items, dict) else {}
                fakes.fill_distinct(out, resolved if isinstance(resolved, dict) else {}, lo)
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
        order = sorted(range(len(branches)), key=lambda i: is_null(deref(self.doc, branches[i])))
        if run.depth >= RECURSION_GUARD:  # required members recurse through this union: bottom out
            order.sort(key=lambda i: ref_of(branches[i]) in run.refs)
        sub_seed = run.rng.getrandbits(64)
        outer_rng = run.rng
        value: Any = MISSING
        first: Any = MISSING
        for i in order:
            branch = branches[i]
            candidate = self._branch_schema(schema, base, i)
            run.rebind(random.Random(sub_seed))
            value = self._gen(candidate, run, name, hint)
            value = tag_branch(value, discriminator, branch)
            if self.validates(schema, value):
                break
            first = value if first is MISSING else first
        else:  # nothing satisfies the union exactly (overlapping branches): the first attempt
            value = None if first is MISSING else first
        run.rebind(outer_rng)
        return value

