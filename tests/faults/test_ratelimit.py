"""Opt-in rate limiting: token buckets per API key, the dial limit, and SDK recovery."""

from __future__ import annotations

from pathlib import Path

import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.errors import RateLimited
from emulator.faults.ratelimit import RateLimiter
from tests.conftest import AUTH, LiveServer, make_settings

DIAL = {"connection_id": "conn-1", "to": "+15555550100", "from": "+15555550101"}


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_refills_at_rate() -> None:
    clock = FakeTime()
    limiter = RateLimiter(enabled=True, rps=2, burst=3, dial_cps=1, now=clock)
    for _ in range(3):
        limiter.check("k", "ListAssistants")
    with pytest.raises(RateLimited) as info:
        limiter.check("k", "ListAssistants")
    assert info.value.instance_status == 429 and info.value.instance_code == "10011"
    assert info.value.headers == {"retry-after": "1", "x-ratelimit-limit": "3", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}
    limiter.check("other-key", "ListAssistants")  # keys have their own buckets
    clock.now += 0.5  # one token at 2/s
    limiter.check("k", "ListAssistants")
    with pytest.raises(RateLimited):
        limiter.check("k", "ListAssistants")


def test_dial_limit_is_separate_and_costs_no_general_token() -> None:
    clock = FakeTime()
    limiter = RateLimiter(enabled=True, rps=100, burst=100, dial_cps=1, now=clock)
    limiter.check("k", "DialCall")
    with pytest.raises(RateLimited) as info:
        limiter.check("k", "DialCall")
    assert info.value.instance_code == "90103"
    limiter.check("k", "SpeakCall")  # other operations are unaffected
    clock.now += 1.0
    limiter.check("k", "DialCall")


def test_disabled_by_default(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert all(c.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200 for _ in range(5))


def test_limits_over_http_and_control_api(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, rate_limit=True, dial_cps=1))) as c:
        assert c.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200
        r = c.post("/v2/calls", json=DIAL, headers=AUTH)
        assert r.status_code == 429
        assert r.json()["errors"][0]["code"] == "90103"
        assert r.json()["errors"][0]["title"] == "Dial rate limit exceeded"
        assert r.headers["retry-after"] == "1"
        # Switch off at run time; bad updates name the field.
        assert c.post("/_emulator/ratelimit", json={"enabled": False}).json()["enabled"] is False
        assert c.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200
        r = c.post("/_emulator/ratelimit", json={"rps": 0})
        assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/rps"


def test_sdk_retries_through_real_rate_limit(tmp_path: Path) -> None:
    # Burst of 2: the third request in a row is limited; the SDK waits retry-after (1 s) and
    # succeeds on its retry. This is the one test here that takes about a second of wall time.
    app = create_app(make_settings(tmp_path, rate_limit=True, rate_limit_rps=5, rate_limit_burst=2))
    with LiveServer(app) as server:
        client = telnyx.Telnyx(api_key="test-key", base_url=server.url + "/v2", _strict_response_validation=True, max_retries=2)
        for _ in range(3):
            assert client.ai.assistants.list() is not None
        journal = app.state.emulator.services.journal.query()
        assert [e.status for e in reversed(journal)].count(429) == 1
        assert journal[0].status == 200
