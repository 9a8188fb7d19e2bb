"""Derive the embedded OpenAPI document from a published Telnyx document.

``telnyx-emulator derive-spec --from telnyx-spec3.yml --out fixtures/openapi/telnyx-ai.json``

Why a tool and not a hand-edited file: Telnyx changes its API; re-running this on their newest
document refreshes ours in one step, and a test re-runs it to tell us when the committed file is
stale. The output is deterministic (sorted keys, fixed formatting): same input, same bytes.

What it does, in order (this module selects and assembles; each step names the module doing it):

1. **Select** what the API families own (:class:`Selection`: the AI and voice-AI surface and the call webhooks).
2. **Strip prose, keep facts** (``strip.py``). Telnyx's ``description``/``summary`` text,
   ``externalDocs``, tag descriptions and documentation-only ``x-`` extensions are dropped.
   Everything a client or a validator depends on is kept: paths, parameters, schemas, enums,
   ``required``, types, formats, defaults, bounds, patterns, example *values*, titles,
   operationIds, tags, security. The walker knows which maps hold *names* (``properties``,
   ``responses``, ``content``...) and which values are *data* (``example``, ``default``,
   ``enum``...), so a property called ``description`` is kept.
3. **Write our own words** where OpenAPI requires text: every response gets a short status phrase
   (``strip.py``), every operation a short generated ``summary`` (``summaries.py``), ``info`` is ours.
4. **Copy referenced components** transitively, and nothing unreferenced (``components.py``).
5. **Correct** what the published document gets wrong (``corrections.py``), marking each changed
   object with ``x-emulator-correction`` and listing every change in :attr:`Derived.corrections`.
6. **Add** what the official SDK calls and the published document lacks (``additions.py``), for
   the paths the families own, marked ``x-emulator-addition`` and listed in :attr:`Derived.additions`.

The names other modules use (``cli.py``, ``runtime/family.py``, the tests) are importable from
here, including those defined in ``strip.py`` and ``components.py`` (see ``__all__``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.openapi.derive.additions import apply_additions
from emulator.openapi.derive.components import DeriveError, collect_components, prune_components, security_scheme_names
from emulator.openapi.derive.corrections import Correction, apply_corrections
from emulator.openapi.derive.strip import FACT_EXTENSIONS, GENERIC_RESPONSE_TEXT, STATUS_TEXT, strip_path_item
from emulator.openapi.derive.summaries import summarize
from emulator.openapi.loader import HTTP_METHODS, load_document

__all__ = [
    "FACT_EXTENSIONS",
    "GENERIC_RESPONSE_TEXT",
    "INFO",
    "SERVERS",
    "STATUS_TEXT",
    "DeriveError",
    "Derived",
    "Selection",
    "derive",
    "derive_file",
    "dump_document",
]

INFO = {
    "title": "Telnyx API v2 — AI and voice-AI subset",
    "description": (
        "Telnyx API v2 — AI and voice-AI subset, derived by telnyx-emulator from the published "
        "Telnyx OpenAPI document: AI, text-to-speech, call control, AI calls and their webhooks. "
        "Facts only; corrections are marked with x-emulator-correction."
    ),
}
SERVERS = [{"url": "/v2"}]


@dataclass(frozen=True)
class Selection:
    """Which parts of the published document the embedded one keeps: the paths and webhooks the
    API families own (``Family.paths`` / ``Family.webhooks``; ``runtime/family.py`` builds it)."""

    path: Callable[[str], bool]
    webhook: Callable[[str], bool]


@dataclass
class Derived:
    document: dict[str, Any]
    corrections: list[Correction] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)
    """JSON pointers of what ``additions.py`` added (path items, webhooks, component schemas)."""

    def to_bytes(self) -> bytes:
        return dump_document(self.document)


def dump_document(document: dict[str, Any]) -> bytes:
    """Stable bytes: sorted keys, one-space indent, UTF-8, trailing newline."""
    return (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# -- derivation -------------------------------------------------------------------------------
def derive(source: dict[str, Any], selection: Selection) -> Derived:
    """The embedded document (and the corrections applied) from a published document."""
    corrections: list[Correction] = []
    paths: dict[str, Any] = {}
    for path, item in (source.get("paths") or {}).items():
        if selection.path(path):
            paths[path] = strip_path_item(item, lambda method, _op, p=path: summarize(method, p))
    webhooks: dict[str, Any] = {}
    for name, item in (source.get("webhooks") or {}).items():
        if selection.webhook(name):
            webhooks[name] = strip_path_item(item, lambda _method, _op, n=name: f"Event: {n}")

    security_names = security_scheme_names(source.get("security"))
    tags: set[str] = set()
    for item in [*paths.values(), *webhooks.values()]:
        for method in HTTP_METHODS:
            op = item.get(method)
            if op:
                tags.update(op.get("tags") or [])
                security_names |= security_scheme_names(op.get("security"))

    components = collect_components(source, {"paths": paths, "webhooks": webhooks}, security_names)
    doc: dict[str, Any] = {
        "openapi": source.get("openapi", "3.1.0"),
        "info": {**INFO, "version": str((source.get("info") or {}).get("version", "0"))},
        "servers": copy.deepcopy(SERVERS),
        "paths": paths,
        "webhooks": webhooks,
        "components": components,
        "tags": [{"name": t["name"]} for t in source.get("tags") or [] if t.get("name") in tags],
    }
    if source.get("security") is not None:
        doc["security"] = copy.deepcopy(source["security"])
    if "jsonSchemaDialect" in source:
        doc["jsonSchemaDialect"] = source["jsonSchemaDialect"]

    apply_corrections(doc, corrections)
    added = apply_additions(doc, selection.path, source)
    # Corrections may drop or add references; recompute the component closure on the result.
    doc["components"] = prune_components(doc)
    kept = [p for p in added if not p.startswith("#/components/schemas/") or p.rsplit("/", 1)[1] in doc["components"].get("schemas", {})]
    return Derived(document=doc, corrections=sorted(corrections, key=lambda c: (c.pointer, c.why)), additions=sorted(kept))


def derive_file(source: Path, selection: Selection, out: Path | None = None, cache_dir: Path | None = None) -> Derived:
    """Load ``source`` (YAML or JSON), derive, and write to ``out`` when given."""
    derived = derive(load_document(source, cache_dir=cache_dir).raw, selection)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(derived.to_bytes())
        tmp.replace(out)
    return derived
