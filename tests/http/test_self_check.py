"""``--self-check``: responses and webhooks the emulator emits, validated with openapi-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from emulator.app import create_app
from emulator.http.self_check import SelfCheck
from tests.conftest import AUTH, make_settings


@pytest.fixture
def checked(tmp_path: Path) -> Any:
    return create_app(make_settings(tmp_path, self_check=True))


def test_real_responses_are_ok_and_say_so(checked: Any) -> None:
    with TestClient(checked) as c:
        models = c.get("/v2/ai/models", headers=AUTH)
        created = c.post("/v2/ai/assistants", headers=AUTH, json={"name": "a", "model": "openai/gpt-4o", "instructions": "Be brief."})
        bare = c.get(f"/ai/assistants/{created.json()['id']}", headers=AUTH)  # the bare path is checked as /v2/...
        missing = c.get("/v2/ai/assistants/nope", headers=AUTH)  # an error status the document leaves out is no violation
    for response in (models, created, bare, missing):
        assert response.headers["x-emulator-self-check"] == "ok", response.text
    assert (models.status_code, created.status_code, bare.status_code, missing.status_code) == (200, 200, 200, 404)


def test_off_by_default(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert "x-emulator-self-check" not in c.get("/v2/ai/models", headers=AUTH).headers


def test_a_response_the_document_forbids_is_counted_logged_and_left_for_the_journal(checked: Any, caplog: pytest.LogCaptureFixture) -> None:
    seen: dict[str, Any] = {}

    async def wrong(scope: Scope, receive: Receive, send: Send) -> None:
        """Answers GET /ai/models with a body whose `data` is no array, in two chunks."""
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"data": ', "more_body": True})
        await send({"type": "http.response.body", "body": b'"not a list", "object": 5}'})

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        await SelfCheck(wrong, emulator=checked.state.emulator)(scope, receive, send)
        seen.update(scope["state"])

    response = TestClient(outer).get("/v2/ai/models", headers=AUTH)  # no `with`: no lifespan for this bare app
    assert response.content == b'{"data": "not a list", "object": 5}'  # the body is passed on whole
    header = response.headers["x-emulator-self-check"]
    assert header.endswith("violations") and int(header.split()[0]) >= 1
    found = seen["self_check"]
    assert found["status"] == "violations" and len(found["violations"]) == int(header.split()[0])
    assert any("not a list" in v or "array" in v for v in found["violations"])
    assert "self-check: GET /v2/ai/models -> 200" in caplog.text


def test_webhook_bodies_are_checked_against_the_documents_webhooks(checked: Any, caplog: pytest.LogCaptureFixture) -> None:
    emulator = checked.state.emulator
    with TestClient(checked) as c:
        call = c.post("/v2/calls", headers=AUTH, json={"connection_id": "c1", "to": "+15551230000", "from": "+15551110000"})
        assert call.status_code == 200 and call.headers["x-emulator-self-check"] == "ok"
        dispatcher = emulator.services.webhooks
        emitted = [e.event_type for e in dispatcher.events()]
        assert "call.initiated" in emitted
        checker = dispatcher.on_emit.__self__  # the SelfChecker the wrapper installed
        assert list(checker.webhook_violations) == []  # every real event conforms
        bad = dispatcher.emit(tenant="k", event_type="call.answered", payload={"call_control_id": 5, "state": {"no": "way"}})
    assert checker.webhook_violations, "a payload the schema forbids must be reported"
    report = checker.webhook_violations[-1]
    assert report["event_id"] == bad.id and report["webhook"] == "callAnswered"
    assert "self-check: webhook callAnswered" in caplog.text
    # The event is still sent as emitted: self-check reports, it does not change the emulator.
    assert orjson.loads(bad.frozen)["payload"]["call_control_id"] == 5

