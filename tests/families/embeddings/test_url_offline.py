"""``POST /ai/embeddings/url`` offline (issue 11.7), through the official telnyx SDK: a URL with
no fixture gets a generated page about the words in its URL — the same page every time — the
task completes, and a similarity search with the page's words finds its chunks first; a
fixture page still wins over the generated one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ai import Emu, live_emulator

URL = "https://support.acme.test/porting/timelines"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    fixtures = tmp_path_factory.mktemp("fixtures")
    (fixtures / "web" / "shop.acme.test").mkdir(parents=True)
    (fixtures / "web" / "shop.acme.test" / "returns.html").write_text(
        "<html><body><p>Returns are accepted within thirty days of delivery.</p></body></html>")
    yield from live_emulator(tmp_path_factory.mktemp("url-offline"), fixtures=fixtures)


def test_unknown_url_is_a_generated_page_that_search_finds(emu: Emu) -> None:
    key = "url-generated"
    c = emu.sdk(key)
    emu.policy(key, "embedding_task", "immediate")
    emu.upload(key, "kb", "bread.txt", b"Knead the dough, let it rise, then bake the bread in a hot oven.")
    task = c.ai.embeddings.url(bucket_name="kb", url=URL).data
    assert task.status == "success" and task.task_name == "embed_url"
    files = {f.filename: f.status for f in c.ai.embeddings.buckets.retrieve("kb").data}
    assert files == {"bread.txt": "success", "support.acme.test/porting/timelines.html": "success"}
    hits = c.ai.embeddings.similarity_search(bucket_name="kb", query="porting timelines", num_of_docs=10).data
    page_hits = [h for h in hits if h.metadata.filename.endswith("timelines.html")]
    assert page_hits and hits[: len(page_hits)] == page_hits  # the page's chunks rank first
    assert hits[-1].metadata.filename == "bread.txt"
    first = page_hits[0].document_chunk
    assert first.startswith("Porting Timelines Support Acme")  # the title: the URL's words
    # A sentence of the page itself finds the page too.
    sentence = first.split(". ")[1]
    assert c.ai.embeddings.similarity_search(bucket_name="kb", query=sentence, num_of_docs=1).data[0].metadata.filename.endswith("timelines.html")


def test_generated_page_is_the_same_for_everyone(emu: Emu) -> None:
    chunks = []
    for key in ("url-same-1", "url-same-2"):
        c = emu.sdk(key)
        emu.policy(key, "embedding_task", "immediate")
        c.ai.embeddings.url(bucket_name="site", url=URL)
        chunks.append([h.document_chunk for h in c.ai.embeddings.similarity_search(bucket_name="site", query="porting", num_of_docs=5).data])
    assert chunks[0] == chunks[1] and chunks[0]


def test_fixture_page_still_overrides(emu: Emu) -> None:
    key = "url-fixture"
    c = emu.sdk(key)
    emu.policy(key, "embedding_task", "immediate")
    c.ai.embeddings.url(bucket_name="shop", url="https://shop.acme.test/returns")
    hit = c.ai.embeddings.similarity_search(bucket_name="shop", query="returns", num_of_docs=1).data[0]
    assert hit.document_chunk == "Returns are accepted within thirty days of delivery."
