"""Copy referenced components transitively, and nothing unreferenced.

Its own module because it is the one part of the derivation that walks ``$ref`` chains. The
published document holds thousands of components for the whole Telnyx API; the embedded one keeps
only those the selected paths and webhooks reach. Two passes are needed: :func:`collect_components`
copies (and strips) the closure from the published document, then, once the corrections and
additions have changed the result, :func:`prune_components` drops what is no longer reached.
"""

from __future__ import annotations

from typing import Any

from emulator.openapi.derive.strip import STATUS_TEXT, strip_example, strip_parameter, strip_request_body, strip_response, strip_schema, strip_security_scheme

COMPONENT_KINDS = ("schemas", "parameters", "responses", "requestBodies", "headers", "examples", "securitySchemes", "links", "callbacks")


class DeriveError(Exception):
    """The source document cannot be derived from (the message says why)."""


def strip_component(kind: str, name: str, obj: Any) -> Any:
    if kind == "schemas":
        return strip_schema(obj)
    if kind in ("parameters", "headers"):
        return strip_parameter(obj)
    if kind == "responses":
        return strip_response(obj, name if name in STATUS_TEXT else None)
    if kind == "requestBodies":
        return strip_request_body(obj)
    if kind == "examples":
        return strip_example(obj)
    if kind == "securitySchemes":
        return strip_security_scheme(obj)
    raise DeriveError(f"components/{kind}/{name}: this kind of component is not supported")


def _refs(obj: Any, found: set[str]) -> None:
    if isinstance(obj, dict):
        ref = obj.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in obj.values():
            _refs(value, found)
    elif isinstance(obj, list):
        for value in obj:
            _refs(value, found)


def _component_of(ref: str) -> tuple[str, str]:
    parts = ref.split("/")
    if len(parts) != 4 or parts[:2] != ["#", "components"] or parts[2] not in COMPONENT_KINDS:
        raise DeriveError(f"unsupported reference {ref!r} (only #/components/<kind>/<name>)")
    return parts[2], parts[3].replace("~1", "/").replace("~0", "~")


def security_scheme_names(requirements: Any) -> set[str]:
    """The security scheme names a list of security requirements uses (schemes are named, not ``$ref``-ed)."""
    names: set[str] = set()
    for req in requirements or []:
        names.update(req)
    return names


def collect_components(source: dict[str, Any], roots: dict[str, Any], security_names: set[str]) -> dict[str, Any]:
    """The stripped components ``roots`` reach in ``source``, plus the named security schemes."""
    src_components = source.get("components") or {}
    found: set[str] = set()
    _refs(roots, found)
    pending = sorted(found)  # sorted: the same walk (and error messages) on every run
    done: set[str] = set()
    out: dict[str, dict[str, Any]] = {}
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        kind, name = _component_of(ref)
        try:
            original = src_components[kind][name]
        except KeyError as exc:
            raise DeriveError(f"unresolvable reference {ref!r}") from exc
        stripped = strip_component(kind, name, original)
        out.setdefault(kind, {})[name] = stripped
        found = set()
        _refs(stripped, found)
        pending.extend(sorted(found - done))
    out = {kind: dict(sorted(items.items())) for kind, items in sorted(out.items())}
    schemes = src_components.get("securitySchemes") or {}
    for name in sorted(security_names):
        if name in schemes:
            out.setdefault("securitySchemes", {})[name] = strip_security_scheme(schemes[name])
    return out


def prune_components(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop components no longer reachable from paths/webhooks (after corrections)."""
    components = doc.get("components") or {}
    reachable: set[str] = set()
    pending: set[str] = set()
    _refs({"paths": doc.get("paths"), "webhooks": doc.get("webhooks")}, pending)
    while pending:
        ref = pending.pop()
        if ref in reachable:
            continue
        reachable.add(ref)
        kind, name = _component_of(ref)
        found: set[str] = set()
        _refs(components.get(kind, {}).get(name), found)
        pending |= found - reachable
    out: dict[str, Any] = {}
    for kind, items in components.items():
        if kind == "securitySchemes":
            out[kind] = items
            continue
        kept = {n: v for n, v in items.items() if f"#/components/{kind}/{n.replace('~', '~0').replace('/', '~1')}" in reachable}
        if kept:
            out[kind] = kept
    return out
