"""JSON request bodies already found storable and valid for an operation, sent again.

Checking a body is a pure function of the operation, its media type and its bytes: storable
(``http/storable.py``) and valid against the body schema (``openapi/validate.py``). Clients send
the same bytes over and over — retries, load tests, a test suite's fixtures — and for a voice
agent's chat body the two checks are a sixth of the request. A body seen clean once is not
checked again; it is still parsed for every request (handlers get a value of their own).

A body that parsed and was storable but failed its schema is remembered too, with the items it
failed with (``ValidationFailed.body_items``): sent again — a client's retries, a negative test
in a loop — it is neither parsed nor checked, and the same 422 is described from them. A body
that fails to parse or to store is never kept (its 400 comes from parsing it again).

Bounded: bodies over ``MAX_BYTES`` are not kept, and each table is emptied when it holds
``KEPT`` keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.core.errors import ErrorItem
    from emulator.openapi.index import Operation

MAX_BYTES = 16_384
KEPT = 1024

Key = tuple[str, str | None, bytes]


class CleanBodies:
    def __init__(self) -> None:
        self._seen: set[Key] = set()
        self._refused: dict[Key, tuple[ErrorItem, ...]] = {}

    @staticmethod
    def key(operation: Operation, content_type: str | None, raw: bytes) -> Key | None:
        """The body's key, or None when it is not worth keeping (empty, large)."""
        return (operation.key, content_type, raw) if 0 < len(raw) <= MAX_BYTES else None

    def __contains__(self, key: Key | None) -> bool:
        return key is not None and key in self._seen

    def add(self, key: Key | None) -> None:
        if key is None:
            return
        if len(self._seen) >= KEPT:
            self._seen.clear()
        self._seen.add(key)

    def refusal(self, key: Key | None) -> tuple[ErrorItem, ...] | None:
        """The items these very bytes failed their schema with before, else None."""
        return self._refused.get(key) if key is not None else None

    def refuse(self, key: Key | None, items: tuple[ErrorItem, ...]) -> None:
        if key is None or not items:
            return
        if len(self._refused) >= KEPT:
            self._refused.clear()
        self._refused[key] = items
