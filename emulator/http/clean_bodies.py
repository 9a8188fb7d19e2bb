"""JSON request bodies already found storable and valid for an operation, sent again.

Checking a body is a pure function of the operation, its media type and its bytes: storable
(``http/storable.py``) and valid against the body schema (``openapi/validate.py``). Clients send
the same bytes over and over — retries, load tests, a test suite's fixtures — and for a voice
agent's chat body the two checks are a sixth of the request. A body seen clean once is not
checked again; it is still parsed for every request (handlers get a value of their own).

Bounded: bodies over ``MAX_BYTES`` are not kept, and the table is emptied when it holds
``KEPT`` keys. A body that fails is never kept (its 422 is described by the validator's memo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.openapi.index import Operation

MAX_BYTES = 16_384
KEPT = 1024

Key = tuple[str, str | None, bytes]


class CleanBodies:
    def __init__(self) -> None:
        self._seen: set[Key] = set()

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
