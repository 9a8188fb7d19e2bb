"""Lenient mode for the embeddings family, through the official telnyx SDK: an embedding task,
an embedded bucket or a clustering task named but never created is adopted (200, the same record
every time), deleting it is final (404 after), lists show only what exists; body-named buckets
(similarity search) adopt the same way; broken business rules warn instead of failing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import telnyx

from tests.support.ai import Emu, live_emulator

TASK = "5f0c2a57-8a41-4c8e-9f0e-1d2b3c4d5e6f"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("embeddings-lenient"), lenient=True)


def test_unknown_embedding_task_is_adopted_finished(emu: Emu) -> None:
    c = emu.sdk("imp-task")
    raw = c.ai.embeddings.with_raw_response.retrieve(TASK)
    assert raw.headers["x-emulator-implicit"] == "embedding_task"
    task = raw.parse().data
    assert task.task_id == TASK and task.status == "success" and task.created_at <= task.finished_at
    again = emu.sdk("imp-task-other").ai.embeddings.retrieve(TASK).data  # deterministic (but the key's own user id)
    assert again.model_dump(exclude={"user_id"}) == task.model_dump(exclude={"user_id"})
    assert "x-emulator-implicit" not in c.ai.embeddings.with_raw_response.retrieve(TASK).headers  # now it exists
    assert c.ai.embeddings.list().data == []  # default filter: queued + processing
    assert [t.status for t in c.ai.embeddings.list(status=["success"]).data] == ["success"]


def test_unknown_bucket_is_embedded_then_deleted_for_good(emu: Emu) -> None:
    c = emu.sdk("imp-bucket")
    assert c.ai.embeddings.buckets.list().data.buckets == []  # lists never invent
    files = c.ai.embeddings.buckets.retrieve("handbook").data
    assert [(f.filename, f.status) for f in files] == [("document.txt", "success")]
    assert c.ai.embeddings.buckets.list().data.buckets == ["handbook"]
    hits = c.ai.embeddings.similarity_search(bucket_name="handbook", query="handbook", num_of_docs=1).data
    assert hits[0].metadata.filename == "document.txt" and "handbook" in hits[0].document_chunk.lower()
    c.ai.embeddings.buckets.delete("handbook")
    with pytest.raises(telnyx.NotFoundError):
        c.ai.embeddings.buckets.retrieve("handbook")
    with pytest.raises(telnyx.NotFoundError):  # a body naming it does not bring it back either
        c.ai.embeddings.similarity_search(bucket_name="handbook", query="handbook")
    assert c.ai.embeddings.buckets.list().data.buckets == []


def test_uploaded_bucket_is_embedded_from_its_own_files(emu: Emu) -> None:
    key = "imp-uploaded"
    emu.upload(key, "kb", "cats.txt", b"Cats purr when they are content and sleep most of the day.")
    emu.upload(key, "kb", "rockets.txt", b"Rockets burn fuel in stages to reach orbit around the Earth.")
    hits = emu.sdk(key).ai.embeddings.similarity_search(bucket_name="kb", query="why does my cat purr", num_of_docs=2).data
    assert [h.metadata.filename for h in hits] == ["cats.txt", "rockets.txt"]


def test_unknown_cluster_is_completed_then_deleted(emu: Emu) -> None:
    c = emu.sdk("imp-cluster")
    found = c.ai.clusters.retrieve(TASK).data
    assert found.status == "completed" and found.bucket
    assert found == emu.sdk("imp-cluster-2").ai.clusters.retrieve(TASK).data
    assert [t.task_id for t in c.ai.clusters.list().data] == [TASK]
    png = c.ai.clusters.with_raw_response.fetch_graph(TASK, cluster_id=999)  # no such cluster: every cluster's chart
    assert png.headers["x-emulator-warning"] == "clusters.cluster_id_known" and png.read().startswith(b"\x89PNG")
    c.ai.clusters.delete(TASK)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.clusters.retrieve(TASK)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.clusters.fetch_graph(TASK)
    assert c.ai.clusters.list().data == []


def test_business_rules_warn_and_substitute(emu: Emu) -> None:
    key = "imp-rules"
    c = emu.sdk(key)
    emu.policy(key, "embedding_task", "immediate")
    emu.upload(key, "docs", "a.txt", b"Porting a phone number takes about two weeks.")
    raw = c.ai.embeddings.with_raw_response.create(bucket_name="docs", document_chunk_size=0, document_chunk_overlap_size=0)
    assert raw.headers["x-emulator-warning"] == "embeddings.chunk_sizes"
    assert raw.parse().data.status == "success"
    search = c.ai.embeddings.with_raw_response.similarity_search(bucket_name="docs", query="porting", num_of_docs=0)
    assert search.headers["x-emulator-warning"] == "embeddings.num_of_docs_positive"
    assert len(search.parse().data) == 1  # the default 3, of one chunk
    out = c.ai.openai.embeddings.with_raw_response.create_embeddings(input="hello", model="no-such-model", dimensions=0)
    assert out.headers["x-emulator-warning"] == "embeddings.openai_model_known, embeddings.openai_dimensions_range"
    body = out.parse()
    assert body.model == "thenlper/gte-large" and len(body.data[0].embedding) == 1024


def test_strict_mode_still_refuses(tmp_path_factory: pytest.TempPathFactory) -> None:
    for strict in live_emulator(tmp_path_factory.mktemp("embeddings-strict")):
        c = strict.sdk("strict")
        with pytest.raises(telnyx.NotFoundError):
            c.ai.embeddings.retrieve(TASK)
        with pytest.raises(telnyx.NotFoundError):
            c.ai.clusters.retrieve(TASK)
        with pytest.raises(telnyx.UnprocessableEntityError):
            c.ai.embeddings.create(bucket_name="x", document_chunk_size=0)
