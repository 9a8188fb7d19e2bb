"""Binding handlers to operationIds, explicitly.

A handler is an async function taking a :class:`RequestContext`. It declares the operation(s) it
serves with ``@operation("DialCall")``; :func:`collect` gathers them from the modules listed in
the ``handler_modules`` of every family manifest (``emulator/families/``). No registry is mutated at import time — collection happens
in ``create_app`` — so two apps never share handler state.

A handler returns a Starlette ``Response`` (sent as is), a :class:`Reply` (status + JSON body), or
any JSON-able value (sent with the operation's documented success status).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

Handler = Callable[["RequestContext"], Awaitable[Any]]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

_ATTR = "__emulator_operations__"


@dataclass
class Reply:
    body: Any
    status: int | None = None  # None = the operation's documented success status
    headers: dict[str, str] = field(default_factory=dict)


def operation(*operation_ids: str) -> Callable[[F], F]:
    """Mark a coroutine function as the handler of the given operationIds."""

    def mark(fn: F) -> F:
        setattr(fn, _ATTR, (*getattr(fn, _ATTR, ()), *operation_ids))
        return fn

    return mark


def collect(modules: Iterable[ModuleType]) -> dict[str, Handler]:
    """operationId -> handler, from every marked function in ``modules``."""
    found: dict[str, Handler] = {}
    for module in modules:
        for value in vars(module).values():
            for op_id in getattr(value, _ATTR, ()):
                if op_id in found and found[op_id] is not value:
                    raise RuntimeError(f"two handlers claim operation {op_id!r}")
                found[op_id] = value
    return found
