"""Walk every operation of a document the way a generated SDK test suite does.

Stainless-generated tests (the official SDKs' ``tests/api_resources``) call each operation on a
mock with placeholder ids (the parameter's own name, or ``182bd5e5-…`` for uuids) and example
values (``"string"``, ``0``, ``true``, ``https://example.com``), once with required parameters
only and once with every parameter. :func:`walk` builds those requests from the document and
reports what each got: a 2xx whose body conforms to the response schema, or — only for requests
the document itself forbids — a named 422.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.testclient import TestClient

from emulator.openapi.compose import tag_branch
from emulator.openapi.index import Operation
from emulator.runtime.emulator import Emulator

UUID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
FORMATS = {
    "uuid": UUID,
    "date-time": "2019-12-27T18:11:19.117Z",
    "date": "2019-12-27",
    "time": "18:11:19",
    "email": "dev@stainless.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "binary": "Example data",
}


@dataclass
class Outcome:
    operation: str
    variant: str
    status: int
    ok: bool
    why: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def counts(self) -> Counter[str]:
        return Counter("pass" if o.ok else ("5xx" if o.status >= 500 else "fail") for o in self.outcomes)

    def summary(self) -> str:
        c = self.counts()
        return f"{len(self.outcomes)} requests over {len({o.operation for o in self.outcomes})} operations: {c['pass']} pass, {c['fail']} fail, {c['5xx']} 5xx"


class SdkValues:
    """Values as the SDK's generated tests write them; the synthesizer's where ours do not fit."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.doc = emulator.doc

    def value(self, schema: Any, *, every: bool, depth: int = 0) -> Any:
        s = self.doc.deref(schema) if isinstance(schema, dict) else {}
        if not isinstance(s, dict):
            return "string"
        if "const" in s:
            return s["const"]
        if s.get("enum"):
            return next((v for v in s["enum"] if v is not None), s["enum"][0])
        for key in ("allOf",):
            if s.get(key):
                merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
                for part in s[key]:
                    p = self.doc.deref(part)
                    merged["properties"].update(p.get("properties") or {})
                    merged["required"] += list(p.get("required") or [])
                return self.value(merged, every=every, depth=depth)
        for key in ("oneOf", "anyOf"):
            if s.get(key):
                branches = [b for b in s[key] if self.doc.deref(b).get("type") != "null"]
                branch = (branches or s[key])[0]
                # the SDK's variant carries its discriminator (type: "prompt"), as its tests send it
                return tag_branch(self.value(branch, every=every, depth=depth), s.get("discriminator") or {}, branch)
        kind = s.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None and "properties" in s:
            kind = "object"
        if kind == "object":
            props = s.get("properties") or {}
            names = list(props) if (every and depth < 2) else list(s.get("required") or [])
            return {n: self.value(props.get(n, {}), every=every, depth=depth + 1) for n in names if n in props or n in (s.get("required") or [])}
        if kind == "array":
            return [self.value(s.get("items", {}), every=every, depth=depth + 1)]
        if kind == "integer":
            return int(s.get("minimum", 0) or 0)
        if kind == "number":
            return s.get("minimum", 0) or 0
        if kind == "boolean":
            return True
        if kind == "string":
            if "pattern" in s and "format" not in s:
                return self.emulator.synthesizer.for_schema(s, seed_key="walk")
            return FORMATS.get(str(s.get("format")), "string")
        return "string"

    def conforming(self, schema: Any, *, every: bool) -> tuple[Any, bool]:
        """The SDK-style value, else a synthesized one; and whether the document accepts it."""
        synth = self.emulator.synthesizer
        value = self.value(schema, every=every)
        if synth.validates(schema, value):
            return value, True
        value = synth.for_schema(schema, seed_key="walk")
        return value, synth.validates(schema, value)


def _path(op: Operation, values: SdkValues) -> str:
    path = op.path
    for p in op.parameters:
        if p.location != "path":
            continue
        s = values.doc.deref(p.schema or {})
        if s.get("enum"):
            v = str(s["enum"][0])
        elif s.get("type") in ("integer", "number"):
            v = "0"
        elif s.get("format") == "uuid":
            v = UUID
        else:
            v = p.name  # what Stainless writes: the parameter's own name
        path = path.replace("{" + p.name + "}", v)
    return path


def requests_for(op: Operation, values: SdkValues) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(variant, httpx kwargs, the document accepts it) for the required-only and every-param calls."""
    for variant, every in (("required", False), ("all", True)):
        kwargs: dict[str, Any] = {"params": {}}
        valid = True
        for p in op.parameters:
            if p.location == "query" and (p.required or (every and "[" not in p.name)):
                v, ok = values.conforming(p.schema or {}, every=False)
                if isinstance(v, (dict, list)):
                    if p.required:
                        valid = False
                    continue
                kwargs["params"][p.name] = str(v).lower() if isinstance(v, bool) else v
                valid &= ok
            elif p.location == "header" and p.required:  # e.g. Idempotency-Key, a chosen Accept
                v, ok = values.conforming(p.schema or {}, every=False)
                kwargs.setdefault("headers", {})[p.name] = str(v)
                valid &= ok
        body = op.request_body
        if body is not None and (body.required or every):
            media = next((m for m in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded") if m in body.content), next(iter(body.content), None))
            schema = body.content.get(media or "", {}) or {}
            if media == "application/json":
                v, ok = values.conforming(schema, every=every)
                kwargs["content"] = orjson.dumps(v)
                kwargs.setdefault("headers", {})["Content-Type"] = "application/json"
                valid &= ok
            elif media in ("multipart/form-data", "application/x-www-form-urlencoded"):
                v, ok = values.conforming(schema, every=every)
                props = values.doc.deref(schema).get("properties", {}) if isinstance(values.doc.deref(schema), dict) else {}
                data, files = {}, {}
                for k, item in (v or {}).items():
                    if values.doc.deref(props.get(k, {})).get("format") == "binary":
                        files[k] = ("file.wav", b"RIFF0000WAVEfmt ", "application/octet-stream")
                    elif not isinstance(item, (dict, list)):
                        data[k] = str(item).lower() if isinstance(item, bool) else str(item)
                kwargs["data"] = data
                if files or media == "multipart/form-data":
                    kwargs["files"] = files or {"_": ("", b"", "text/plain")} if media == "multipart/form-data" and not files else files
                valid &= ok
            elif media is not None:
                kwargs["content"] = b"Example data"
                kwargs.setdefault("headers", {})["Content-Type"] = media
        yield variant, kwargs, valid


def check(emulator: Emulator, op: Operation, response: Any, valid: bool) -> tuple[bool, str]:
    status = response.status_code
    if not valid:
        ok = status == 422 or status == 400
        return ok, "" if ok else f"document forbids the request but got {status}"
    if not 200 <= status < 300:
        return False, response.text[:300]
    declared = op.responses.get(str(status)) or op.responses.get("2XX") or op.responses.get("default")
    if declared is None:
        return False, f"status {status} is not declared ({sorted(op.responses)})"
    content = declared.get("content") or {}
    media = (response.headers.get("content-type") or "").split(";")[0]
    if "json" not in media or not content:
        return True, ""
    entry = content.get(media) or next((v for k, v in content.items() if "json" in k), None)
    if entry is None or "schema" not in entry:
        return True, ""
    body = response.json()
    if not emulator.synthesizer.validates(entry["schema"], body):
        return False, f"response does not conform: {response.text[:300]}"
    return True, ""


def walk(client: TestClient, emulator: Emulator, *, prefix: str = "/v2", only: str | None = None) -> Report:
    values = SdkValues(emulator)
    report = Report()
    for n, op in enumerate(emulator.index.operations):
        if only and only not in op.path:
            continue
        path = prefix + _path(op, values)
        for variant, kwargs, valid in requests_for(op, values):
            key = f"walk-{n}-{variant}"  # a tenant per request: each starts from nothing
            headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
            response = client.request(op.method, path, headers=headers, **kwargs)
            ok, why = check(emulator, op, response, valid)
            report.outcomes.append(Outcome(op.key, variant, response.status_code, ok, why))
    return report
