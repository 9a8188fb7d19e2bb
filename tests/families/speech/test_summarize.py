"""``/ai/summarize``: extractive summaries of real bucket content, through the ``telnyx`` SDK."""

from __future__ import annotations

import zlib
from pathlib import Path

import httpx
import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.paths import fixtures_dir
from emulator.fakes.summarizer import extract_text, sentences, summarize
from tests.conftest import AUTH, LiveServer, make_settings

DOC = (
    "Solar panels on the school roof now supply most of the school's electricity. "
    "The panels were installed over the summer holiday by a local company. "
    "On sunny days the solar panels produce more electricity than the school uses, and the rest goes to the grid. "
    "The canteen introduced a new menu in the same month. "
    "Teachers use the solar panels in science lessons about electricity and energy."
)


def _sdk(server: LiveServer) -> telnyx.Telnyx:
    return telnyx.Telnyx(api_key="test-key", base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)


def test_summary_of_uploaded_file_quotes_its_key_sentences(live_server: LiveServer) -> None:
    put = httpx.put(f"{live_server.url}/_emulator/buckets/docs/solar.txt", params={"api_key": "test-key"}, content=DOC.encode(), headers={"content-type": "text/plain"})
    assert put.status_code == 201
    client = _sdk(live_server)
    summary = client.ai.summarize(bucket="docs", filename="solar.txt").data.summary
    picked = sentences(summary)
    assert picked and all(s in DOC for s in picked)  # extractive: sentences of the file itself
    assert "canteen" not in summary  # the off-topic sentence scores lowest
    assert client.ai.summarize(bucket="docs", filename="solar.txt").data.summary == summary  # deterministic
    two = client.ai.summarize(bucket="docs", filename="solar.txt", system_prompt="Answer in two bullet points").data.summary
    assert two.count("\n") == 1 and all(line.startswith("- ") and line[2:] in DOC for line in two.splitlines())


def test_missing_file_is_404_and_other_tenants_do_not_see_files(live_server: LiveServer) -> None:
    httpx.put(f"{live_server.url}/_emulator/buckets/docs/solar.txt", params={"api_key": "test-key"}, content=DOC.encode())
    other = telnyx.Telnyx(api_key="other", base_url=f"{live_server.url}/v2", max_retries=0)
    with pytest.raises(telnyx.NotFoundError) as err:
        other.ai.summarize(bucket="docs", filename="solar.txt")
    assert err.value.body["detail"][0]["detail"] == "File 'solar.txt' was not found in bucket 'docs'."  # type: ignore[index]


def test_shipped_sample_and_user_fixtures(tmp_path: Path) -> None:
    assert (fixtures_dir() / "buckets" / "samples" / "remote-work.txt").is_file()
    extra = tmp_path / "fx" / "buckets" / "mine"
    extra.mkdir(parents=True)
    (extra / "page.html").write_text("<html><body><h1>Menu</h1><p>Our bakery sells fresh bread every morning. The bakery opens at seven.</p><script>var x = 1;</script></body></html>")
    with TestClient(create_app(make_settings(tmp_path, fixtures=tmp_path / "fx"))) as c:
        r = c.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "samples", "filename": "remote-work.txt"})
        assert r.status_code == 200 and "remote work" in r.json()["data"]["summary"]
        r = c.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "mine", "filename": "page.html", "system_prompt": "one sentence"})
        assert r.json() == {"data": {"summary": "Our bakery sells fresh bread every morning."}}
        r = c.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "mine", "filename": "../../etc/passwd"})
        assert r.status_code == 404


def test_bad_requests(client: TestClient) -> None:
    r = client.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "docs"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "filename"]
    client.put("/_emulator/buckets/docs/blob.bin?api_key=test-key", content=bytes(range(256)) * 4)
    r = client.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "docs", "filename": "blob.bin"})
    assert r.status_code == 422 and "not a text document" in r.json()["detail"][0]["msg"]
    assert client.put("/_emulator/buckets/docs/x.txt", content=b"hi").status_code == 400  # no api_key


def test_media_file_is_transcribed_then_summarised(client: TestClient) -> None:
    speech = client.post("/v2/text-to-speech/speech", headers=AUTH, json={"text": "The meeting moved to Friday. Bring the budget report.", "provider": "telnyx", "telnyx": {"response_format": "wav"}})
    client.put("/_emulator/buckets/calls/meeting.wav?api_key=test-key", content=speech.content)
    r = client.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "calls", "filename": "meeting.wav"})
    assert r.status_code == 200 and r.json()["data"]["summary"] in ("The meeting moved to Friday.", "Bring the budget report.")
    log = client.get("/_emulator/transcripts", params={"api_key": "test-key"}).json()["transcriptions"]
    assert [e["source"] for e in log] == ["summarize"]


def test_text_extraction_formats() -> None:
    content = b"BT /F1 12 Tf (Invoices are due in thirty days.) Tj T* [(Late fees) -250 ( apply.)] TJ ET"
    pdf = b"%PDF-1.4\n1 0 obj << /Filter /FlateDecode >> stream\n" + zlib.compress(content) + b"\nendstream endobj"
    assert extract_text(pdf, "terms.pdf") == "Invoices are due in thirty days.\nLate fees apply."
    assert extract_text(b'{"title": "Notes", "items": [{"text": "Call Bob."}]}', "n.json") == "Notes\n\nCall Bob."
    assert extract_text(b"name,city\nAda,London\n", "people.csv") == "name: Ada; city: London."
    assert summarize("Only one sentence here.") == "Only one sentence here."


def test_bucket_files_and_transcripts_survive_snapshot_restore(client: TestClient) -> None:
    client.put("/_emulator/buckets/docs/solar.txt?api_key=test-key", content=DOC.encode(), headers={"content-type": "text/plain"})
    before = client.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "docs", "filename": "solar.txt"}).json()
    snap = client.get("/_emulator/snapshot").json()
    assert not [s for s in snap["skipped"] if "buckets" in s["store"] or "stt" in s["store"]]
    client.post("/_emulator/reset", json={})
    assert client.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "docs", "filename": "solar.txt"}).status_code == 404
    assert client.post("/_emulator/restore", json=snap).status_code == 200
    assert client.post("/v2/ai/summarize", headers=AUTH, json={"bucket": "docs", "filename": "solar.txt"}).json() == before
