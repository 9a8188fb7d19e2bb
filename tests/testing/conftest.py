"""The plugin's own tests run small suites through ``pytester``; each inner run attaches to the
one emulator this (outer) session's ``telnyx_emulator`` fixture started — the plugin testing
itself — except where a test checks the in-process start."""

from __future__ import annotations

import pytest

from emulator.testing.server import EmulatorServer

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def warm_sdks(telnyx_emulator: EmulatorServer) -> None:
    """Import the SDKs and let them build their response models once, out here: ``pytester``
    restores ``sys.modules`` after each inner run, so whatever an inner run imports first is
    imported (and built) again by the next one — seconds each time for ``telnyx``."""
    import openai  # noqa: PLC0415
    import telnyx  # noqa: PLC0415

    with telnyx.Telnyx(api_key="warm-up", base_url=f"{telnyx_emulator.url}/v2", _strict_response_validation=True, max_retries=0) as client:
        ccid = client.calls.dial(connection_id="conn-1", from_="+13125550001", to="+13125550100").data.call_control_id
        client.calls.actions.hangup(ccid)
        client.ai.assistants.list()
    with openai.OpenAI(api_key="warm-up", base_url=f"{telnyx_emulator.url}/v2/ai/openai", max_retries=0) as oa:
        oa.models.list()
    telnyx_emulator.control.post("/reset", {"api_key": "warm-up"})


@pytest.fixture
def attached(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, telnyx_emulator: EmulatorServer, warm_sdks: None) -> pytest.Pytester:
    monkeypatch.setenv("TELNYX_EMULATOR_URL", telnyx_emulator.url)
    return pytester
