"""Schema-valid responses synthesized from the document, for operations nobody handles yet.

The values themselves come from :class:`~emulator.openapi.generator.ValueGenerator` with the
OpenAPI document as the root refs resolve against (the document's own valid ``example`` /
``examples`` win, otherwise fake data honouring the schema). What is the synthesizer's own is
the *response*: which status and media type an operation succeeds with, the media type's
example as a hint, a list that says it is the only page, and real bytes for non-JSON media.

Randomness comes from one ``random.Random`` per call seeded by (seed, seed key): the same request
gets the same bytes; another seed differs.
"""

from __future__ import annotations

from typing import Any

from emulator.openapi import fake_values as fakes
from emulator.openapi.generator import MISSING, ValueGenerator
from emulator.openapi.index import Operation

__all__ = ["MISSING", "Synthesizer"]


class Synthesizer(ValueGenerator):
    """The document's value generator, plus whole success responses for an operation."""

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
                first: Any = next(iter(media["examples"].values()), {})
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

    def _non_json(self, media_type: str, schema: Any, seed_key: str) -> Any:
        text = None
        if media_type.startswith("text/") and media_type not in ("text/event-stream", "text/csv") and isinstance(schema, dict):
            value = self.for_schema(schema, seed_key=seed_key)
            text = value if isinstance(value, str) else None
        run = self._run(seed_key)
        return fakes.media_body(media_type, text or run.faker.sentence(), run.rng)
