"""Seeded identifiers and randomness: the same seed and request sequence give the same ids."""

from __future__ import annotations

import hashlib
import random


def _seed_of(*parts: object) -> int:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID_SET = (0x8000 << 48) | (4 << 76)
"""The variant (RFC 4122) and version (4) bits, as ``uuid.UUID(..., version=4)`` sets them."""


class IdFactory:
    """Deterministic ids for one tenant. Seeded by (global seed, tenant key) so two test suites
    sharing one emulator under different API keys do not perturb each other's ids."""

    def __init__(self, seed: int, scope: str) -> None:
        self.seed = seed
        self.scope = scope
        self.random = random.Random(_seed_of(seed, scope))

    def resume(self, run: int) -> None:
        """Continue on a stream of its own for the ``run``-th start of a persisted emulator.

        A restarted emulator must never hand out an id it gave before the restart, even one whose
        record was lost (a crash before the save, a store that could not be saved): restoring the
        saved generator state alone would replay those. So each run draws from a stream seeded by
        (seed, scope, run) — still a pure function of its inputs, reseeded in place because
        callers hold ``self.random``. Only persistence calls this (``core/persistence.py``), and
        only from the second run on: without ``--persist`` ids stay exactly as the seed says."""
        self.random.seed(_seed_of(self.seed, self.scope, f"run{run}"))

    def uuid(self) -> str:
        """A version-4 UUID from the next 128 random bits: the text ``str(uuid.UUID(int=bits,
        version=4))`` gives, without building the object (every event and record takes one)."""
        # ``bytes.hex`` groups the 16 bytes by two in C (aaaa-bbbb-...-hhhh); dropping the first
        # dash and the last two leaves the 8-4-4-4-12 text, where slicing made five strings and a
        # sixth to join them (a format spec cost 4x the Ir). Every event takes one.
        grouped = ((self.random.getrandbits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16).hex("-", 2)
        return "".join(grouped.replace("-", "", 1).rsplit("-", 2))

    def prefixed(self, prefix: str, n: int = 24) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return prefix + "".join(self.random.choice(alphabet) for _ in range(n))

    def digits(self, n: int = 19) -> str:
        return str(self.random.randint(1, 9)) + "".join(str(self.random.randint(0, 9)) for _ in range(n - 1))
