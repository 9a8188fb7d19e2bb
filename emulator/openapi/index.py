"""Index the document's operations once at start-up and route requests to them.

The router is a segment trie: static segments are tried before ``{param}`` segments at every
level (so ``/ai/assistants/tags`` beats ``/ai/assistants/{assistant_id}``), with backtracking.
Matching costs O(path depth), not O(number of paths) — openapi-core's stock finder scans every
path (~1.5 ms per request on the full Telnyx document).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from emulator.core.errors import ErrorStyle, MethodNotAllowed, NotFound
from emulator.openapi.error_styles import error_style_for
from emulator.openapi.loader import SpecDocument

_PARAM_SEGMENT = re.compile(r"^\{([^{}]+)\}$")
_EMBEDDED_PARAM = re.compile(r"\{([^{}]+)\}")
ROUTE_CACHE_SIZE = 4096  # distinct (method, path) pairs remembered by OperationIndex.match


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: dict[str, Any]
    style: str
    explode: bool
    content_schema: dict[str, Any] | None = None  # parameters declared with `content`


@dataclass(frozen=True)
class RequestBody:
    required: bool
    content: dict[str, dict[str, Any]]  # media type -> schema (may hold $refs)


@dataclass
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the document's template, e.g. /ai/assistants/{assistant_id}
    parameters: list[Parameter]
    request_body: RequestBody | None
    responses: dict[str, dict[str, Any]]  # status -> dereferenced response object
    style: ErrorStyle
    tags: list[str]
    raw: dict[str, Any]
    extensions: dict[str, Any] = field(default_factory=dict)  # x-* keys of the operation
    key: str = field(init=False, repr=False, compare=False)
    """``"METHOD /path"``: the operation's name in rules, plans and seeds (kept, not rebuilt per request)."""
    _success: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.key = f"{self.method} {self.path}"

    def success_status(self) -> str:
        """The first 2xx status the document declares (``200`` when it declares none)."""
        if self._success is None:
            two = [status for status in sorted(self.responses) if status.startswith("2")]
            self._success = two[0] if two else "default" if "default" in self.responses else "200"
        return self._success

    @functools.cached_property
    def success_code(self) -> int:
        """:meth:`success_status` as the code a response is sent with (``default`` → 200); read
        on every response, so kept as a plain attribute after the first read."""
        status = self.success_status()
        return int(status) if status.isdigit() else 200

    def success_content(self) -> tuple[str | None, dict[str, Any] | None]:
        """(media type, schema) of the success response; JSON preferred."""
        response = self.responses.get(self.success_status()) or {}
        content = response.get("content") or {}
        if not content:
            return None, None
        for media_type in content:
            if "json" in media_type:
                return media_type, (content[media_type] or {}).get("schema")
        media_type = next(iter(content))
        return media_type, (content[media_type] or {}).get("schema")


@dataclass
class _Node:
    static: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    param_name: str | None = None
    patterns: list[tuple[re.Pattern[str], list[str], _Node]] = field(default_factory=list)
    operations: dict[str, Operation] = field(default_factory=dict)  # METHOD -> operation


def _split(path: str) -> list[str]:
    return [seg for seg in path.split("/") if seg != ""]


class OperationIndex:
    """Every operation of a document, addressable by operationId and routable by path."""

    def __init__(self, doc: SpecDocument) -> None:
        self.doc = doc
        self._root = _Node()
        self.by_id: dict[str, Operation] = {}
        self.operations: list[Operation] = []
        # (method, path) → what match() found: a client repeats its paths, and a hit skips the
        # trie walk, the /v2 retry and the unquoting. Bounded; emptied when full.
        self._routes: dict[tuple[str, str], tuple[Operation, dict[str, str]]] = {}
        for path, method, op, item in doc.operations():
            operation = self._build(path, method, op, item)
            self.operations.append(operation)
            # The published document has one duplicated operationId: the first one keeps the
            # name, later ones are addressable as "<id>@METHOD path".
            if operation.operation_id in self.by_id:
                operation.operation_id = f"{operation.operation_id}@{operation.key}"
            self.by_id[operation.operation_id] = operation
            self._insert(operation)

    # -- building -----------------------------------------------------------------------------
    def _build(self, path: str, method: str, op: dict[str, Any], item: dict[str, Any]) -> Operation:
        merged: dict[tuple[str, str], Parameter] = {}
        for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            p = self.doc.deref(raw)
            location = p.get("in", "query")
            style = p.get("style") or ("simple" if location in ("path", "header") else "form")
            content_schema = None
            if "content" in p:
                media: dict[str, Any] = next(iter(p["content"].values()), {})
                content_schema = media.get("schema")
            merged[(p["name"], location)] = Parameter(
                name=p["name"],
                location=location,
                required=bool(p.get("required", location == "path")),
                schema=p.get("schema") or {},
                style=style,
                explode=bool(p.get("explode", style == "form")),
                content_schema=content_schema,
            )
        body = None
        if "requestBody" in op:
            rb = self.doc.deref(op["requestBody"])
            body = RequestBody(
                required=bool(rb.get("required", False)),
                content={mt: (spec or {}).get("schema") or {} for mt, spec in (rb.get("content") or {}).items()},
            )
        responses = {str(status): self.doc.deref(r) for status, r in (op.get("responses") or {}).items()}
        operation_id = op.get("operationId") or f"{method}_{path}".replace("/", "_")
        return Operation(
            operation_id=operation_id,
            method=method.upper(),
            path=path,
            parameters=list(merged.values()),
            request_body=body,
            responses=responses,
            style=error_style_for(responses),
            tags=list(op.get("tags") or []),
            raw=op,
            extensions={k: v for k, v in op.items() if k.startswith("x-")},
        )

    def _insert(self, operation: Operation) -> None:
        node = self._root
        for seg in _split(operation.path):
            whole = _PARAM_SEGMENT.match(seg)
            if whole:
                if node.param is None:
                    node.param = _Node()
                node.param_name = node.param_name or whole.group(1)
                # Differently named params at the same position are renamed on match, below.
                node = node.param
            elif "{" in seg:
                names = _EMBEDDED_PARAM.findall(seg)
                pattern = re.compile(
                    "^" + _EMBEDDED_PARAM.sub("([^/]+?)", re.escape(seg).replace(r"\{", "{").replace(r"\}", "}")) + "$"
                )
                for pat, _, child in node.patterns:
                    if pat.pattern == pattern.pattern:
                        node = child
                        break
                else:
                    child = _Node()
                    node.patterns.append((pattern, names, child))
                    node = child
            else:
                node = node.static.setdefault(seg, _Node())
        node.operations[operation.method] = operation

    # -- matching -----------------------------------------------------------------------------
    def _walk(self, node: _Node, segs: list[str], i: int, values: list[str]) -> _Node | None:
        if i == len(segs):
            return node if node.operations else None
        seg = segs[i]
        child = node.static.get(seg)
        if child is not None:
            found = self._walk(child, segs, i + 1, values)
            if found is not None:
                return found
        for pattern, _names, pchild in node.patterns:
            m = pattern.match(seg)
            if m:
                values.extend(m.groups())
                found = self._walk(pchild, segs, i + 1, values)
                if found is not None:
                    return found
                del values[len(values) - len(m.groups()) :]
        if node.param is not None:
            values.append(seg)
            found = self._walk(node.param, segs, i + 1, values)
            if found is not None:
                return found
            values.pop()
        return None

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation for ``method path`` and its path parameters; None when the path is unknown.

        Raises :class:`MethodNotAllowed` when the path exists but not with this method.
        """
        segs = _split(path)
        values: list[str] = []
        node = self._walk(self._root, segs, 0, values)
        if node is None:
            return None
        operation = node.operations.get(method.upper())
        if operation is None:
            allowed = ", ".join(sorted(node.operations))
            raise MethodNotAllowed(
                f"The method {method.upper()} is not allowed for {path}; allowed: {allowed}",
                headers={"allow": allowed},
            )
        names = [m.group(1) for seg in _split(operation.path) for m in _EMBEDDED_PARAM.finditer(seg)]
        return operation, {name: unquote(value) for name, value in zip(names, values, strict=False)}

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """Route a request path, accepting it with or without the ``/v2`` prefix (the path
        parameters are the caller's own dict)."""
        hit = self._routes.get((method, path))
        if hit is None:
            hit = self._match(method, path)
            if len(self._routes) >= ROUTE_CACHE_SIZE:
                self._routes.clear()
            self._routes[(method, path)] = hit
        return hit[0], dict(hit[1])

    def _match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        candidates = [path]
        if path == "/v2" or path.startswith("/v2/"):
            candidates.insert(0, path[3:] or "/")
        for candidate in candidates:
            found = self.find(method, candidate)
            if found is not None:
                return found
        raise NotFound(f"The requested path {path} does not exist.", code="10001", title="Not Found")
