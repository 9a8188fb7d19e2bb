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

import re
from collections.abc import Mapping
from typing import Any

from emulator.openapi import fake_values as fakes
from emulator.openapi.generator import MISSING, ValueGenerator
from emulator.openapi.index import Operation

__all__ = ["MISSING", "Synthesizer"]

# Names of fields that make the emulator (or a client) act on them: where webhooks go, whom a
# call or message reaches, which other resource is used. A record must not get an invented value
# for one the user did not send — a made-up failover URL would have webhooks sent to a host
# nobody gave us.
_ACTING_NAME = re.compile(r"(^|_)(url|urls|uri|to|from|phone|phone_number|number|numbers)$|_ids?$")
_ACTING_FORMATS = frozenset({"uri", "url", "uri-reference", "iri"})


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return bool(schema.get("nullable")) or kind == "null" or (isinstance(kind, list) and "null" in kind)


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

    def without_invented(self, schema: Any, record: dict[str, Any], sent: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
        """``record`` with the acting fields the user did not send (URLs, numbers, references to
        other resources) set to the schema's ``default`` when it declares one, else ``null``
        when the type allows it, else left out when not required (required ones are kept).
        Nested objects are treated the same way, against what was sent inside them."""
        resolved = self.resolve(schema) if schema is not None else None
        props = (resolved.get("properties") or {}) if isinstance(resolved, dict) else {}
        required = set(resolved.get("required") or []) if isinstance(resolved, dict) else set()
        out = dict(record)
        for name in list(out):
            if name == "id" or name not in props:
                continue
            sub = self.resolve(props[name])
            if isinstance(out[name], dict) and depth < 4:
                inner = sent.get(name)
                out[name] = self.without_invented(props[name], out[name], inner if isinstance(inner, dict) else {}, depth + 1)
                continue
            if name in sent:
                continue
            if not isinstance(sub, dict) or not (_ACTING_NAME.search(name) or sub.get("format") in _ACTING_FORMATS):
                continue
            if "default" in sub:
                out[name] = sub["default"]
            elif _allows_null(sub):
                out[name] = None
            elif name not in required:
                del out[name]
        return out

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
