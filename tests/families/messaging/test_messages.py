"""``POST /messages`` through the official SDK (``client.messages.send``): the message echoes what
was sent, and ``message.sent`` then ``message.finalized`` reach the request's webhook URL, signed
(verified with the SDK's own ``webhooks.unwrap``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import telnyx

from tests.support.ai import Emu, live_emulator
from tests.support.webhooks import Receiver


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("messaging"))


@pytest.fixture
def rx() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_send_sms_echoes_and_reports_sent_then_finalized(emu: Emu, rx: Receiver) -> None:
    client = emu.sdk("msg-key")
    sent = client.messages.send(to="+13125550001", from_="+13125550002", text="Hello", webhook_url=rx.url("/sms"))
    assert sent.data is not None
    message = sent.data
    assert message.to and message.to[0].phone_number == "+13125550001" and message.to[0].status == "queued"
    assert message.from_ is not None and message.from_.phone_number == "+13125550002"
    assert message.text == "Hello" and message.type == "SMS" and message.direction == "outbound" and message.parts == 1
    hits = rx.wait_for(2, path="/sms")
    public_key = httpx.get(f"{emu.url}/_emulator/public-key").json()["public_key"]
    verifier = telnyx.Telnyx(api_key="msg-key", public_key=public_key)
    events = [verifier.webhooks.unwrap(h.body.decode(), headers=h.headers) for h in hits]
    assert [e.data.event_type for e in events] == ["message.sent", "message.finalized"]  # type: ignore[union-attr]
    payloads = [h.json()["data"]["payload"] for h in hits]
    assert {p["id"] for p in payloads} == {message.id}
    assert [p["to"][0]["status"] for p in payloads] == ["sent", "delivered"]
    assert payloads[1]["completed_at"] is not None and payloads[0]["text"] == "Hello"


def test_the_seed_curl_and_an_mms(emu: Emu, rx: Receiver) -> None:
    """The seeds' example exactly (no webhook URL given: events go to the default URL only)."""
    with emu.raw("seed-key") as http:
        r = http.post("/messages", json={"to": "+13125550001", "from": "+13125550002", "text": "Hello"})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["text"] == "Hello"
        mms = http.post("/messages", json={"to": "+13125550001", "from": "+13125550002", "media_urls": ["https://example.com/cat.png"],
                                           "webhook_url": rx.url("/mms")})
        assert mms.status_code == 200 and mms.json()["data"]["type"] == "MMS"
        assert [h.json()["data"]["event_type"] for h in rx.wait_for(2, path="/mms")] == ["message.sent", "message.finalized"]
        missing = http.post("/messages", json={"to": "+13125550001", "from": "+13125550002"})
        assert missing.status_code == 422 and missing.json()["errors"][0]["source"]["pointer"] == "/text"


def test_lenient_mode_sends_what_strict_rejects(emu: Emu, tmp_path: Path) -> None:
    assert httpx.put(f"{emu.url}/_emulator/modes/lenient-msg", json={"lenient": True}).status_code == 200
    with emu.raw("lenient-msg") as http:
        r = http.post("/messages")
        assert r.status_code == 200 and r.headers["x-emulator-warning"] == "messaging.content_by_type"
