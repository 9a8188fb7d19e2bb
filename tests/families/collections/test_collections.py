"""AI collections through the official SDK (``client.ai.collections``, additions to the
document): CRUD and slugs, retrieval settings, sources, and search over a bucket source."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import telnyx

from tests.support.ai import Emu, live_emulator

FAQ = b"""Refunds are issued within five business days to the original card.

Our support line is open from nine to five on weekdays.

Shipping to Canada takes seven to ten days and costs twelve dollars."""


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("collections"))


def test_crud_slug_and_settings_round_trip(emu: Emu) -> None:
    client = emu.sdk("coll-crud")
    made = client.ai.collections.create(name="Support FAQ", description="answers", settings={"retrieval": {"top_k": 5}})
    c = made.data
    assert c is not None and c.uuid and c.slug == "support-faq" and c.record_type == "ai_collection"
    assert c.settings is not None and c.settings.retrieval is not None and c.settings.retrieval.top_k == 5
    assert c.settings.retrieval.retrieval_type == "vector"
    assert client.ai.collections.retrieve("support-faq").data.uuid == c.uuid  # type: ignore[union-attr]
    updated = client.ai.collections.update(c.uuid, name="Support", description="new")
    assert updated.data is not None and (updated.data.name, updated.data.description, updated.data.slug) == ("Support", "new", "support-faq")
    assert client.ai.collections.retrieve_by_id(c.uuid).data.name == "Support"  # type: ignore[union-attr]
    assert [x.uuid for x in client.ai.collections.list()] == [c.uuid]
    patched = client.ai.collections.settings.patch_all(c.uuid, retrieval={"retrieval_type": "hybrid"})
    assert patched.data is not None and patched.data.retrieval is not None
    assert (patched.data.retrieval.retrieval_type, patched.data.retrieval.top_k) == ("hybrid", 5)
    replaced = client.ai.collections.settings.create(c.uuid, retrieval={"top_k": 3})  # PUT: the rest returns to defaults
    assert replaced.data.retrieval.model_dump() == {"retrieval_type": "vector", "top_k": 3}  # type: ignore[union-attr]
    assert client.ai.collections.settings.list(c.uuid).data.retrieval.top_k == 3  # type: ignore[union-attr]
    with pytest.raises(telnyx.ConflictError):
        client.ai.collections.create(name="Support FAQ")  # same derived slug
    client.ai.collections.delete(c.uuid)
    with pytest.raises(telnyx.NotFoundError):
        client.ai.collections.retrieve_by_id(c.uuid)
    again = client.ai.collections.create(name="Support FAQ")  # the slug is free again
    assert again.data is not None and again.data.slug == "support-faq" and again.data.uuid != c.uuid


def test_sources_add_replace_delete(emu: Emu) -> None:
    client = emu.sdk("coll-sources")
    c = client.ai.collections.create(name="Calls", sources=[{"source_type": "voice"}]).data
    assert c is not None and c.sources is not None and [s.source_type for s in c.sources] == ["voice"]
    voice_id = c.sources[0].id
    added = client.ai.collections.sources.create(c.uuid, source_type="bucket", bucket_id="faq")  # type: ignore[arg-type]
    assert added.data is not None and added.data.bucket_id == "faq" and added.data.collection_id == c.uuid
    listed = client.ai.collections.sources.list(c.uuid).data
    assert listed is not None and [s.id for s in listed] == [voice_id, added.data.id]
    result = client.ai.collections.sources.replace(c.uuid, sources=[{"source_type": "bucket", "bucket_id": "faq"}, {"source_type": "message"}])
    assert result.meta is not None and result.meta.retained == [added.data.id] and result.meta.removed == [voice_id]
    assert result.meta.added is not None and len(result.meta.added) == 1
    client.ai.collections.sources.delete(added.data.id, uuid=c.uuid)
    assert [s.source_type for s in client.ai.collections.sources.list(c.uuid).data or []] == ["message"]
    with pytest.raises(telnyx.NotFoundError):
        client.ai.collections.sources.delete(added.data.id, uuid=c.uuid)
    with pytest.raises(telnyx.UnprocessableEntityError):
        client.ai.collections.sources.create(c.uuid, source_type="bucket")  # a bucket source names its bucket


def test_search_ranks_the_bucket_documents(emu: Emu) -> None:
    client = emu.sdk("coll-search")
    emu.upload("coll-search", "faq", "faq.txt", FAQ)
    client.ai.collections.create(name="faq", sources=[{"source_type": "bucket", "bucket_id": "faq"}])
    found = client.ai.knowledge.collections.retrieve_documents("faq", query="how long do refunds take", top_k=2)
    assert found.data is not None and found.meta is not None
    assert len(found.data) == 2 and "Refunds" in (found.data[0].text or "")
    assert (found.data[0].score or 0) >= (found.data[1].score or 0) > 0
    assert found.meta.collection_slug == "faq" and found.meta.retrieval_type == "vector" and found.meta.top_k == 2
    catalogue = client.ai.knowledge.collections.retrieve_documents("faq")
    assert catalogue.data is not None and len(catalogue.data) == 3 and {d.score for d in catalogue.data} == {0.0}
    assert catalogue.data[0].record_id == "faq/faq.txt" and catalogue.data[0].chunk_total == 3
    none = client.ai.knowledge.collections.retrieve_documents("faq", query="refunds", sources="voice")
    assert none.data == [] and none.meta is not None and none.meta.searched_sources == ["voice"]


def test_lenient_mode_adopts_unknown_ids(emu: Emu) -> None:
    assert httpx.put(f"{emu.url}/_emulator/modes/coll-lenient", json={"lenient": True}).status_code == 200
    client = emu.sdk("coll-lenient")
    got = client.ai.collections.with_raw_response.retrieve_by_id("uuid")
    assert got.headers["x-emulator-implicit"] == "collection" and got.parse().data.uuid == "uuid"  # type: ignore[union-attr]
    assert client.ai.collections.retrieve_by_id("uuid").data.uuid == "uuid"  # type: ignore[union-attr]
    client.ai.collections.delete("uuid")
    with pytest.raises(telnyx.NotFoundError):
        client.ai.collections.retrieve_by_id("uuid")  # deleted stays deleted
