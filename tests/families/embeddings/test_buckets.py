"""Embedding buckets through the telnyx SDK: tasks and their lifecycle, per-file status,
chunking, similarity-search ranking on documents with a known answer, bucket deletion, URL
ingest from offline fixtures, and the BucketNotFoundError shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import telnyx

from emulator.families.embeddings.documents import chunk_text
from tests.support.ai import Emu, live_emulator

DOCS = {
    "rockets.txt": "Rockets reach orbit by burning fuel in stages. Each rocket stage drops away when its fuel is spent, "
                   "and the upper stage accelerates the payload to orbital velocity around the Earth.",
    "cats.md": "Cats sleep for most of the day. A cat purrs when it is content and kneads soft blankets with its paws.",
    "bread.csv": "step,instruction\n1,mix flour water yeast and salt\n2,knead the dough\n3,bake the bread in a hot oven",
}


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    fixtures = tmp_path_factory.mktemp("fixtures")
    site = fixtures / "web" / "docs.example.test"
    (site / "guide").mkdir(parents=True)
    (site / "index.html").write_text('<html><body><h1>Example docs</h1><p>Welcome to the voice API docs.</p>'
                                     '<a href="/guide/numbers">Numbers</a><a href="https://elsewhere.test/x">away</a></body></html>')
    (site / "guide" / "numbers.html").write_text("<html><body><p>Porting phone numbers takes two weeks.</p></body></html>")
    (fixtures / "buckets" / "shipped-docs").mkdir(parents=True)
    (fixtures / "buckets" / "shipped-docs" / "faq.txt").write_text("Support hours are nine to five on weekdays.")
    yield from live_emulator(tmp_path_factory.mktemp("embeddings"), fixtures=fixtures)


def _seed(emu: Emu, key: str, bucket: str) -> None:
    for name, text in DOCS.items():
        emu.upload(key, bucket, name, text.encode())


def test_task_lifecycle_and_similarity_ranking(emu: Emu) -> None:
    key = "emb-rank"
    c = emu.sdk(key)
    _seed(emu, key, "kb")
    emu.policy(key, "embedding_task", "manual")
    task = c.ai.embeddings.create(bucket_name="kb", document_chunk_size=120, document_chunk_overlap_size=20).data
    assert task.status == "queued" and task.finished_at is None
    assert [t.task_id for t in c.ai.embeddings.list().data] == [task.task_id]
    emu.step(key, kind="embedding_task", id=task.task_id, steps=1)
    assert c.ai.embeddings.retrieve(task.task_id).data.status == "processing"
    with pytest.raises(telnyx.NotFoundError):  # not embedded until the task finishes
        c.ai.embeddings.similarity_search(bucket_name="kb", query="orbit")
    emu.step(key, kind="embedding_task", id=task.task_id)
    done = c.ai.embeddings.retrieve(task.task_id).data
    assert done.status == "success" and done.finished_at
    assert c.ai.embeddings.list().data == []  # default filter: queued + processing
    assert [t.status for t in c.ai.embeddings.list(status=["success"]).data] == ["success"]
    assert c.ai.embeddings.buckets.list().data.buckets == ["kb"]
    files = {f.filename: f.status for f in c.ai.embeddings.buckets.retrieve("kb").data}
    assert files == {"bread.csv": "success", "cats.md": "success", "rockets.txt": "success"}

    hits = c.ai.embeddings.similarity_search(bucket_name="kb", query="How does a rocket stage reach orbit?", num_of_docs=2).data
    assert len(hits) == 2 and hits[0].metadata.filename == "rockets.txt"
    assert 0.0 <= hits[0].distance <= hits[1].distance <= 1.0
    assert hits[0].document_chunk in DOCS["rockets.txt"]
    assert hits[0].to_dict()["metadata"]["chunk_index"] >= 0
    cat = c.ai.embeddings.similarity_search(bucket_name="kb", query="why does my cat purr", num_of_docs=1).data
    assert cat[0].metadata.filename == "cats.md"
    bread = c.ai.embeddings.similarity_search(bucket_name="kb", query="knead the dough and bake bread").data
    assert bread[0].metadata.filename == "bread.csv" and len(bread) == 3  # default num_of_docs

    c.ai.embeddings.buckets.delete("kb")
    assert c.ai.embeddings.buckets.list().data.buckets == []
    with pytest.raises(telnyx.NotFoundError) as err:
        c.ai.embeddings.similarity_search(bucket_name="kb", query="orbit")
    assert set(err.value.body["detail"][0]) >= {"detail"}  # BucketNotFoundError shape
    with pytest.raises(telnyx.NotFoundError):
        c.ai.embeddings.buckets.delete("kb")


def test_partial_success_and_unsupported_types(emu: Emu) -> None:
    key = "emb-partial"
    c = emu.sdk(key)
    emu.upload(key, "mixed", "notes.txt", b"Quarterly revenue grew by ten percent.")
    emu.upload(key, "mixed", "photo.png", b"\x89PNG\r\n\x1a\n....", "image/png")
    task = c.ai.embeddings.create(bucket_name="mixed").data
    assert task.status == "queued"
    emu.advance(1)
    assert c.ai.embeddings.retrieve(task.task_id).data.status == "partial_success"
    files = {f.filename: f for f in c.ai.embeddings.buckets.retrieve("mixed").data}
    assert files["notes.txt"].status == "success" and files["photo.png"].status == "failed"
    assert "Unsupported file type '.png'" in files["photo.png"].error_reason
    # a bucket with only unsupported files fails
    emu.upload(key, "pics", "a.jpg", b"\xff\xd8\xff")
    emu.policy(key, "embedding_task", "immediate")
    bad = c.ai.embeddings.create(bucket_name="pics").data
    assert bad.status == "failure"


def test_fixture_bucket_bad_input_and_isolation(emu: Emu) -> None:
    key = "emb-fixture"
    c = emu.sdk(key)
    emu.policy(key, "embedding_task", "immediate")
    c.ai.embeddings.create(bucket_name="shipped-docs")
    hit = c.ai.embeddings.similarity_search(bucket_name="shipped-docs", query="when is support open", num_of_docs=5).data
    assert [h.metadata.filename for h in hit] == ["faq.txt"]
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.embeddings.create(bucket_name="shipped-docs", document_chunk_size=100, document_chunk_overlap_size=100)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.embeddings.retrieve("00000000-0000-4000-8000-000000000000")
    with pytest.raises(telnyx.NotFoundError):
        c.ai.embeddings.buckets.retrieve("never-embedded")
    assert emu.sdk("emb-someone-else").ai.embeddings.buckets.list().data.buckets == []


def test_url_ingest_from_offline_fixtures(emu: Emu) -> None:
    key = "emb-url"
    c = emu.sdk(key)
    emu.policy(key, "embedding_task", "immediate")
    task = c.ai.embeddings.url(bucket_name="site", url="https://docs.example.test/").data
    assert task.status == "success"
    files = sorted(f.filename for f in c.ai.embeddings.buckets.retrieve("site").data)
    assert files == ["docs.example.test/guide/numbers.html", "docs.example.test/index.html"]
    hit = c.ai.embeddings.similarity_search(bucket_name="site", query="how long does porting numbers take", num_of_docs=1).data
    assert hit[0].metadata.filename == "docs.example.test/guide/numbers.html"
    with pytest.raises(telnyx.UnprocessableEntityError) as err:  # strict mode: embeddings.url_absolute
        c.ai.embeddings.url(bucket_name="site", url="docs.example.test/guide")
    assert err.value.body["detail"][0]["msg"] == "url must be an absolute http(s) URL"


def test_chunking_respects_size_and_overlap(tmp_path: Path) -> None:
    text = " ".join(f"w{i:02d}" for i in range(40))  # 40 words of 3 chars
    chunks = chunk_text(text, 20, 8)
    assert all(len(ch) <= 20 for ch in chunks)
    assert chunks[0] == "w00 w01 w02 w03 w04" and chunks[1].startswith("w03 w04")  # 8 chars of overlap
    assert chunks[-1].endswith("w39")
    assert chunk_text(text, 1000, 0) == [text]


def test_snapshot_restore_keeps_search_working(emu: Emu) -> None:
    key = "emb-snap"
    c = emu.sdk(key)
    _seed(emu, key, "kb")
    emu.policy(key, "embedding_task", "immediate")
    c.ai.embeddings.create(bucket_name="kb", document_chunk_size=200, document_chunk_overlap_size=0)
    before = c.ai.embeddings.similarity_search(bucket_name="kb", query="rocket fuel stages", num_of_docs=3).data
    snap = emu.http.get("/_emulator/snapshot").json()
    assert not [s for s in snap["skipped"] if s["tenant"] == key], snap["skipped"]
    emu.http.post("/_emulator/reset", json={"api_key": key}).raise_for_status()
    with pytest.raises(telnyx.NotFoundError):
        c.ai.embeddings.similarity_search(bucket_name="kb", query="rocket fuel stages")
    emu.http.post("/_emulator/restore", json=snap).raise_for_status()
    after = c.ai.embeddings.similarity_search(bucket_name="kb", query="rocket fuel stages", num_of_docs=3).data
    assert [(h.document_chunk, h.distance) for h in after] == [(h.document_chunk, h.distance) for h in before]
