"""The ``Family`` manifest: everything the kernel needs to know about one API family, in one value.

A family lives in one folder under ``emulator/families/`` and its ``__init__.py`` declares one
``FAMILY = Family(...)``. ``emulator/families/__init__.py`` lists them in ``FAMILIES``, the only
list; the composition root (``emulator/app.py``) reads it and hands each part to the kernel piece
that serves it — the kernel never imports a family:

- ``handler_modules``: modules whose ``@operation`` handlers are served (``http/binding.py``);
- ``services``: factories of long-lived family services (built once per emulator, in order,
  reachable as ``emulator.services.family(ServiceClass)``; ``start``/``stop`` run with the app);
- ``control``: control-API routes under ``/_emulator`` with their OpenAPI entries;
- ``fixture_kinds``: fixture file stems this family parses (``runtime/fixtures.py``);
- ``lifecycle_kinds``: resource kinds whose time-driven chains users steer (``core/lifecycles.py``);
- ``stores``: tenant store classes that take part in snapshots (each declares ``snapshot_name``);
- ``id_kinds``: the kinds of resource addressed by id, for implicit resources (``runtime/implicit.py``);
- ``business_rules``: every check the family makes beyond the document (``core/rules.py``);
- ``paths`` / ``webhooks``: the parts of the published document this family owns, which the
  build-time derivation (``openapi/derive/``) keeps in the embedded document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from emulator.core.rules import BusinessRule
from emulator.runtime.implicit import IdKind

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from emulator.openapi.derive.build import Selection
    from emulator.runtime.emulator import Emulator
    from emulator.runtime.fixtures import FixtureParser


Access = Literal["public", "tenant", "admin"]
"""Who may call a control route (checked once, by ``control/guard.py``), by caller:

- ``public``: anyone, even with an admin token set (health; downloads whose unguessable id is the secret);
- ``tenant``: the admin, or a caller whose ``Authorization: Bearer <API key>`` is not the admin
  token: the route then acts on that key's tenant only (``control/requests.py``: ``tenant_key``,
  ``scope_key``);
- ``admin``: the admin only — ``Bearer <admin token>``, or no ``Authorization`` header at all
  while no admin token is set (local use). A tenant caller gets a 403.
"""


@dataclass(frozen=True)
class ControlRoute:
    """One control-API operation: the route and its OpenAPI entry, declared together so the
    served routes and ``/_emulator/openapi.json`` cannot drift apart."""

    method: str
    path: str
    endpoint: Callable[[Request], Awaitable[Response]]
    operation_id: str
    summary: str
    spec: Mapping[str, Any] = field(default_factory=dict)
    """The rest of the OpenAPI operation object (parameters, requestBody, responses)."""
    access: Access = "admin"
    """Who may call it (see :data:`Access`); shown as ``x-emulator-access`` in the control
    document. Safe by default: a route must say it copes with a tenant caller."""
    body: type[BaseModel] | None = None
    """The model the endpoint parses its JSON body with (``control/requests.py``: ``parse``);
    the document's ``requestBody`` schema is generated from it (``control/table.py``)."""
    response: type[BaseModel] | None = None
    """The model the endpoint builds its JSON answer from (``control/requests.py``: ``reply``);
    the document's 2xx response schema is generated from it."""
    query: type[BaseModel] | None = None
    """The model the endpoint parses its query string with; the document's query parameters
    (one per field, before those ``spec`` lists) are generated from it when the document is."""


@dataclass(frozen=True)
class Family:
    name: str
    handler_modules: tuple[ModuleType, ...] = ()
    services: tuple[Callable[[Emulator], object], ...] = ()
    control: tuple[ControlRoute, ...] = ()
    fixture_kinds: Mapping[str, FixtureParser] = field(default_factory=dict)
    lifecycle_kinds: tuple[str, ...] = ()
    stores: tuple[type[Any], ...] = ()
    id_kinds: tuple[IdKind[Emulator], ...] = ()
    business_rules: tuple[BusinessRule, ...] = ()
    paths: tuple[str, ...] = ()
    """Document paths owned: ``/ai/assistants`` owns itself and every path below it; a pattern
    ending in ``$`` owns exactly that path."""
    webhooks: tuple[str, ...] = ()
    """Document webhook names owned: a name, or a case-insensitive prefix ending in ``*``."""

    def owns_path(self, path: str) -> bool:
        return any(_path_matches(pattern, path) for pattern in self.paths)

    def owns_webhook(self, name: str) -> bool:
        return any(_webhook_matches(pattern, name) for pattern in self.webhooks)


def _path_matches(pattern: str, path: str) -> bool:
    if pattern.endswith("$"):
        return path == pattern[:-1]
    return path == pattern or path.startswith(pattern + "/")


def _webhook_matches(pattern: str, name: str) -> bool:
    if pattern.endswith("*"):
        return name.lower().startswith(pattern[:-1].lower())
    return name == pattern


def document_selection(families: tuple[Family, ...]) -> Selection:
    """What the embedded document keeps of a published one: what some family owns."""
    # Imported here: the derivation (its correction and addition tables) serves `derive-spec`
    # only, and costs every start-up ~45 ms otherwise.
    from emulator.openapi.derive.build import Selection  # noqa: PLC0415 - see the comment

    return Selection(
        path=lambda path: any(f.owns_path(path) for f in families),
        webhook=lambda name: any(f.owns_webhook(name) for f in families),
    )
