"""Seeded identifiers and randomness: the same seed and request sequence give the same ids."""

from __future__ import annotations

import hashlib
import random
import uuid


class IdFactory:
    """Deterministic ids for one tenant. Seeded by (global seed, tenant key) so two test suites
    sharing one emulator under different API keys do not perturb each other's ids."""

    def __init__(self, seed: int, scope: str) -> None:
        digest = hashlib.sha256(f"{seed}:{scope}".encode()).digest()
        self.random = random.Random(int.from_bytes(digest[:8], "big"))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def prefixed(self, prefix: str, n: int = 24) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return prefix + "".join(self.random.choice(alphabet) for _ in range(n))

    def digits(self, n: int = 19) -> str:
        return str(self.random.randint(1, 9)) + "".join(str(self.random.randint(0, 9)) for _ in range(n - 1))
