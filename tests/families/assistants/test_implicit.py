"""Lenient mode for assistants, through the official SDK as its generated tests call it: an
unknown id is an implicit assistant (or version, tool, canary deploy…) that then behaves like a
created one, and a broken business rule only warns. Strict (the default) is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import telnyx

from emulator.app import create_app
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from tests.conftest import LiveServer, make_settings


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A strict emulator (the default); each test switches its own API key to lenient."""
    app = create_app(make_settings(Path(tmp_path_factory.mktemp("assistants-implicit"))))
    with LiveServer(app) as server:
        yield server.url


def _sdk(url: str, api_key: str, *, base: str = "/v2", lenient: bool = True) -> telnyx.Telnyx:
    """The SDK on a key of its own (lenient through the control API, as a test suite sets it)."""
    if lenient:
        r = httpx.put(f"{url}/_emulator/modes/{api_key}", json={"lenient": True})
        assert r.status_code == 200, r.text
    return telnyx.Telnyx(api_key=api_key, base_url=url + base, _strict_response_validation=True, max_retries=0)


@pytest.mark.parametrize("suffix", ["/v2", ""], ids=["v2", "bare"])
def test_an_unknown_assistant_id_is_an_assistant_until_deleted(url: str, suffix: str) -> None:
    client = _sdk(url, f"lenient{suffix.replace('/', '-') or '-bare'}", base=suffix)
    raw = client.ai.assistants.with_raw_response.retrieve("assistant_id")
    assert raw.status_code == 200
    assert raw.headers["x-emulator-implicit"] == "assistant"
    assistant = raw.parse()
    assert assistant.id == "assistant_id"
    assert assistant.model == DEFAULT_CHAT_MODEL  # an assistant the fake model can run

    again = client.ai.assistants.with_raw_response.retrieve("assistant_id")
    assert "x-emulator-implicit" not in again.headers  # stored, not made again
    assert again.parse() == assistant

    client.ai.assistants.update("assistant_id", name="Front desk")
    assert client.ai.assistants.retrieve("assistant_id").name == "Front desk"
    assert [a.id for a in client.ai.assistants.list().data] == ["assistant_id"]

    client.ai.assistants.delete("assistant_id")
    with pytest.raises(telnyx.NotFoundError):
        client.ai.assistants.retrieve("assistant_id")  # a deleted id stays deleted
    assert client.ai.assistants.list().data == []


def test_a_version_under_an_unknown_assistant_creates_the_assistant(url: str) -> None:
    client = _sdk(url, "lenient-versions")
    raw = client.ai.assistants.versions.with_raw_response.retrieve("version_id", assistant_id="parent_id")
    assert raw.headers["x-emulator-implicit"] == "assistant, assistant_version"
    version = raw.parse()
    assert (version.id, version.version_id) == ("parent_id", "version_id")
    parent = client.ai.assistants.retrieve("parent_id")
    assert parent.version_id != "version_id"  # the parent's own main version; this one is not promoted
    versions = client.ai.assistants.versions.list("parent_id").data
    assert {v.version_id for v in versions} == {"version_id", parent.version_id}

    client.ai.assistants.versions.promote("version_id", assistant_id="parent_id")
    assert client.ai.assistants.retrieve("parent_id").version_id == "version_id"


def test_a_test_run_under_an_unknown_test_creates_the_test(url: str) -> None:
    client = _sdk(url, "lenient-tests")
    test_id, run_id = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26f"  # the SDK's uuid placeholders
    raw = client.ai.assistants.tests.runs.with_raw_response.retrieve(run_id, test_id=test_id)
    assert raw.status_code == 200
    assert raw.parse().run_id == run_id
    assert client.ai.assistants.tests.retrieve(test_id).test_id == test_id
    assert [r.run_id for r in client.ai.assistants.tests.runs.list(test_id).data] == [run_id]


def test_attached_tools_and_canary_deploys_of_an_unknown_assistant(url: str) -> None:
    client = _sdk(url, "lenient-tools")
    tested = client.ai.assistants.tools.with_raw_response.test("tool_id", assistant_id="helper")
    assert tested.headers["x-emulator-implicit"] == "assistant, assistant_tool"
    assert tested.headers["x-emulator-warning"] == "assistants.webhook_tool_test"
    assert tested.parse().data.success is False  # nothing to call: no invented host is ever called

    canary = client.ai.assistants.canary_deploys.with_raw_response.retrieve("helper")
    assert canary.headers["x-emulator-implicit"] == "canary_deploy"
    assert canary.parse().rules == []
    version = client.ai.assistants.retrieve("helper").version_id
    created = client.ai.assistants.canary_deploys.create(  # replaces the untouched stand-in: no 409
        "helper", rules=[{"serve": {"version_id": version}}],
    )
    assert created.rules[0].serve.version_id == version
    client.ai.assistants.canary_deploys.delete("helper")
    with pytest.raises(telnyx.NotFoundError):
        client.ai.assistants.canary_deploys.retrieve("helper")


def test_an_unknown_model_warns_and_gets_the_default_model(url: str) -> None:
    client = _sdk(url, "lenient-model")
    raw = client.ai.assistants.with_raw_response.create(name="Bot", instructions="Be brief.", model="no-such-model")
    assert raw.headers["x-emulator-warning"] == "assistants.known_model"
    created = raw.parse()
    assert created.model == DEFAULT_CHAT_MODEL
    assert client.ai.assistants.retrieve(created.id).model == DEFAULT_CHAT_MODEL


def test_strict_mode_is_unchanged(url: str) -> None:
    client = _sdk(url, "strict-assistants", lenient=False)
    with pytest.raises(telnyx.NotFoundError):
        client.ai.assistants.retrieve("assistant_id")
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        client.ai.assistants.create(name="Bot", instructions="Be brief.", model="no-such-model")
    assert "Unknown model 'no-such-model'" in str(err.value.body)
    assert client.ai.assistants.list().data == []  # nothing was created along the way


def test_the_rules_are_listed(url: str) -> None:
    names = {r["name"] for r in httpx.get(f"{url}/_emulator/business-rules").json()["data"]}
    assert {"assistants.known_model", "assistants.known_shared_tool", "assistants.webhook_tool_test"} <= names
