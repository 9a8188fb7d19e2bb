"""The id stream of one tenant's events: :class:`IdFactory`, with a cheaper ``uuid``.

Every event takes a UUID, and formatting it was most of what building an event cost: slicing
the 32 hex digits into five groups made five strings and a sixth to join them. ``bytes.hex``
groups the 16 bytes by two (``aaaa-bbbb-cccc-dddd-eeee-ffff-gggg-hhhh``) in C; dropping the
first dash and the last two gives the 8-4-4-4-12 text ``IdFactory.uuid`` (``str(uuid.UUID)``)
writes, from the same draw: the same ids, in the same order.
"""

from __future__ import annotations

from emulator.core.ids import _UUID_CLEAR, _UUID_SET, IdFactory


class EventIds(IdFactory):
    def uuid(self) -> str:
        grouped = ((self.random.getrandbits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16).hex("-", 2)
        return "".join(grouped.replace("-", "", 1).rsplit("-", 2))
