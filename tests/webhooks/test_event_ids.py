"""An event id stream gives exactly the ids ``IdFactory`` would, in the same order."""

from __future__ import annotations

import uuid as stdlib_uuid

from emulator.core.ids import IdFactory
from emulator.webhooks.event_ids import EventIds


def test_the_same_uuids_as_id_factory_from_the_same_seed_and_scope() -> None:
    fast, plain = EventIds(7, "webhooks:key"), IdFactory(7, "webhooks:key")
    ids = [fast.uuid() for _ in range(2000)]
    assert ids == [plain.uuid() for _ in range(2000)]
    assert all(str(stdlib_uuid.UUID(i)) == i and stdlib_uuid.UUID(i).version == 4 for i in ids)
    fast.resume(2)
    plain.resume(2)
    assert [fast.uuid() for _ in range(50)] == [plain.uuid() for _ in range(50)]
