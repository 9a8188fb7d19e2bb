"""Seeded ids: the same seed gives the same ids, in the standard forms."""

from __future__ import annotations

import random
import uuid

from emulator.core.ids import IdFactory


def test_uuid_text_is_the_standard_version_4_form_of_the_same_bits() -> None:
    ids = IdFactory(0, "tenant")
    twin = random.Random()
    twin.setstate(ids.random.getstate())
    for _ in range(5_000):
        text = ids.uuid()
        assert text == str(uuid.UUID(int=twin.getrandbits(128), version=4))
        assert uuid.UUID(text).version == 4 and uuid.UUID(text).variant == uuid.RFC_4122


def test_same_seed_and_scope_same_ids() -> None:
    a, b, other = IdFactory(3, "k"), IdFactory(3, "k"), IdFactory(3, "other")
    first = [a.uuid() for _ in range(3)]
    assert first == [b.uuid() for _ in range(3)]
    assert first != [other.uuid() for _ in range(3)]
