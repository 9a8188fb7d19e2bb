"""Load an OpenAPI 3.0/3.1 document (JSON or YAML) into a :class:`SpecDocument`.

YAML is slow to parse (the full published Telnyx document takes ~3 s with CSafeLoader; JSON of
the same ~0.08 s), so a parsed YAML document is cached as JSON in the state dir, keyed by the
file's SHA-256: the second start with the same ``--spec`` is fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from emulator.core.paths import embedded_spec_path

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class SpecLoadError(Exception):
    """The document cannot be used; the message names the file and the problem."""


@dataclass
class SpecDocument:
    raw: dict[str, Any]
    source: str  # "embedded" or the path given with --spec

    def resolve(self, ref: str) -> Any:
        """The object a local ``#/...`` reference points to."""
        if not ref.startswith("#/"):
            raise SpecLoadError(f"{self.source}: only local references are supported, got {ref!r}")
        node: Any = self.raw
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[part]
            except (KeyError, TypeError) as exc:
                raise SpecLoadError(f"{self.source}: unresolvable reference {ref!r}") from exc
        return node

    def deref(self, obj: Any) -> Any:
        """Follow ``$ref`` at the top of ``obj`` until it is a concrete object."""
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj and seen < 64:
            obj = self.resolve(obj["$ref"])
            seen += 1
        return obj

    @property
    def openapi_version(self) -> str:
        return str(self.raw.get("openapi", ""))

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        """Yield ``(path, method, operation, path_item)`` for every operation."""
        for path, item in (self.raw.get("paths") or {}).items():
            item = self.deref(item)
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    yield path, method, op, item


def _parse_yaml(text: str, source: str) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - the embedded document is JSON: only a YAML --spec needs the parser (~20 ms of start-up)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise SpecLoadError(f"{source}: not valid YAML: {exc}") from exc
    return data


def load_document(path: Path | None = None, cache_dir: Path | None = None, on_parse: Callable[[str], None] | None = None) -> SpecDocument:
    """Load the embedded document (``path=None``) or the one at ``path``. ``on_parse(message)`` is
    called just before a YAML document not yet in the cache is parsed (the slow case, seconds),
    so the command line can say why start-up pauses."""
    source = "embedded" if path is None else str(path)
    file = embedded_spec_path() if path is None else Path(path).expanduser()
    try:
        data_bytes = file.read_bytes()
    except OSError as exc:
        raise SpecLoadError(f"{source}: cannot read the document: {exc.strerror or exc}") from exc
    if file.suffix.lower() == ".json" or data_bytes.lstrip()[:1] == b"{":
        try:
            raw = orjson.loads(data_bytes)
        except orjson.JSONDecodeError as exc:
            raise SpecLoadError(f"{source}: not valid JSON: {exc}") from exc
    else:
        raw = _load_yaml_cached(data_bytes, source, cache_dir, on_parse)
    if not isinstance(raw, dict) or "paths" not in raw:
        raise SpecLoadError(f"{source}: not an OpenAPI document (no 'paths')")
    version = str(raw.get("openapi", ""))
    if not (version.startswith("3.0") or version.startswith("3.1")):
        raise SpecLoadError(f"{source}: OpenAPI {version or '(missing version)'} is not supported; use 3.0 or 3.1")
    return SpecDocument(raw=raw, source=source)


def _load_yaml_cached(data: bytes, source: str, cache_dir: Path | None, on_parse: Callable[[str], None] | None = None) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    cached = cache_dir / f"{digest}.json" if cache_dir else None
    if cached is not None and cached.is_file():
        try:
            return orjson.loads(cached.read_bytes())
        except orjson.JSONDecodeError:
            pass  # a torn cache file: parse again and rewrite it
    if on_parse is not None:
        where = "cached afterwards" if cached is not None else "not cached: no state dir"
        on_parse(f"parsing {source} ({len(data) / 1e6:.1f} MB of YAML) … (first time, {where})")
    parsed = _parse_yaml(data.decode("utf-8", errors="replace"), source)
    # Normalise through JSON: YAML gives int keys (``200:``) and date objects, JSON gives strings;
    # a cached and a freshly parsed document must be identical.
    try:
        as_json = orjson.dumps(parsed, option=orjson.OPT_NON_STR_KEYS)
    except TypeError as exc:
        raise SpecLoadError(f"{source}: holds values JSON cannot represent: {exc}") from exc
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{digest[:8]}.tmp")
            tmp.write_bytes(as_json)
            tmp.replace(cached)
        except OSError:
            pass  # caching is an optimisation only
    return orjson.loads(as_json)
