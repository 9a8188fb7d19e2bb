"""The official ``telnyx`` SDK with strict response validation against synthesized and generic
operations: its pydantic models must accept every answer, and its error classes must map."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import telnyx

from emulator.app import create_app
from tests.conftest import LiveServer, make_settings


class NoCrud:
    """A CRUD fallback that serves nothing: every operation is answered by synthesis."""

    def serves(self, operation: object) -> bool:
        return False

    async def handle(self, ctx: object) -> None:
        raise AssertionError("never called")

    def seed_records(self, tenant: object, path: str, records: list[dict[str, object]]) -> None:
        raise AssertionError("never called")


def live(tmp_path_factory: pytest.TempPathFactory, *, generic: bool) -> Iterator[LiveServer]:
    """An emulator whose dedicated handlers are switched off, so this file tests the generic
    layer (``generic=True``) or pure synthesis (``generic=False``) whatever handlers exist."""
    app = create_app(make_settings(Path(tmp_path_factory.mktemp("sdk-generic"))))
    app.state.emulator.handlers.clear()
    if not generic:
        app.state.emulator.services.crud = NoCrud()
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live(tmp_path_factory, generic=True)


@pytest.fixture(scope="module")
def synth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live(tmp_path_factory, generic=False)


def sdk(server: LiveServer, key: str = "sdk-key") -> telnyx.Telnyx:
    return telnyx.Telnyx(api_key=key, base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)


# Operations no handler serves: the SDK parses the synthesized answer with its own models.
SYNTHESIZED: dict[str, Callable[[telnyx.Telnyx], Any]] = {
    "ai.integrations.list": lambda c: c.ai.integrations.list(),
    "ai.integrations.retrieve": lambda c: c.ai.integrations.retrieve("int-1"),
    "ai.integrations.connections.list": lambda c: c.ai.integrations.connections.list(),
    "ai.integrations.connections.retrieve": lambda c: c.ai.integrations.connections.retrieve("conn-1"),
    "legacy.reporting.usage_reports.retrieve_speech_to_text": lambda c: c.legacy.reporting.usage_reports.retrieve_speech_to_text(),
    "ai.embeddings.buckets.list": lambda c: c.ai.embeddings.buckets.list(),
    "ai.embeddings.buckets.retrieve": lambda c: c.ai.embeddings.buckets.retrieve("bucket-a"),
    "ai.assistants.tags.list": lambda c: c.ai.assistants.tags.list(),
    "ai.assistants.tags.add": lambda c: c.ai.assistants.tags.add("asst-1", tag="vip"),
    "ai.assistants.versions.list": lambda c: c.ai.assistants.versions.list("asst-1"),
    "ai.assistants.canary_deploys.retrieve": lambda c: c.ai.assistants.canary_deploys.retrieve("asst-1"),
    "ai.assistants.tests.test_suites.list": lambda c: c.ai.assistants.tests.test_suites.list(),
    "ai.assistants.clone": lambda c: c.ai.assistants.clone("asst-1"),
    "ai.retrieve_conversation_histories": lambda c: c.ai.retrieve_conversation_histories(q="refund"),
    "ai.conversations.conversation_insights.retrieve_aggregates": lambda c: c.ai.conversations.conversation_insights.retrieve_aggregates(),
    "ai.missions.list_events": lambda c: c.ai.missions.list_events(),
    "ai.missions.runs.list_runs": lambda c: c.ai.missions.runs.list_runs(),
    "ai.fine_tuning.jobs.cancel": lambda c: c.ai.fine_tuning.jobs.cancel("job-1"),
    "ai.assistants.retrieve": lambda c: c.ai.assistants.retrieve("asst-1"),
    "ai.assistants.list": lambda c: c.ai.assistants.list(),
    "ai.assistants.scheduled_events.retrieve": lambda c: c.ai.assistants.scheduled_events.retrieve("ev-1", assistant_id="asst-1"),
    "ai.assistants.tests.retrieve": lambda c: c.ai.assistants.tests.retrieve("test-1"),
    "ai.clusters.list": lambda c: c.ai.clusters.list(),
    "ai.clusters.retrieve": lambda c: c.ai.clusters.retrieve("task-1"),
    "ai.conversations.retrieve": lambda c: c.ai.conversations.retrieve("conv-1"),
    "ai.conversations.insights.list": lambda c: c.ai.conversations.insights.list(),
    "ai.conversations.insight_groups.retrieve": lambda c: c.ai.conversations.insight_groups.retrieve("9b7d2a8e-4c1f-4e5a-9f3b-2d6c8e1a7b40"),
    "ai.embeddings.retrieve": lambda c: c.ai.embeddings.retrieve("task-1"),
    "ai.fine_tuning.jobs.retrieve": lambda c: c.ai.fine_tuning.jobs.retrieve("job-1"),
    "ai.mcp_servers.list": lambda c: c.ai.mcp_servers.list(),
    "ai.missions.retrieve": lambda c: c.ai.missions.retrieve("9b7d2a8e-4c1f-4e5a-9f3b-2d6c8e1a7b40"),
    "ai.missions.runs.list": lambda c: c.ai.missions.runs.list("9b7d2a8e-4c1f-4e5a-9f3b-2d6c8e1a7b40"),
    "ai.tools.retrieve": lambda c: c.ai.tools.retrieve("tool-1"),
    "call_control_applications.retrieve": lambda c: c.call_control_applications.retrieve("1293384261075731499"),
    "calls.retrieve_status": lambda c: c.calls.retrieve_status("v3:abc"),
    "legacy.reporting.batch_detail_records.speech_to_text.list": lambda c: c.legacy.reporting.batch_detail_records.speech_to_text.list(),
    "text_to_speech.list_voices": lambda c: c.text_to_speech.list_voices(),
}

# Generic collections listed through the SDK's pagination classes (empty and non-empty).
GENERIC_LISTS: dict[str, Callable[[telnyx.Telnyx], Any]] = {
    "ai.tools.list": lambda c: c.ai.tools.list(),
    "ai.mcp_servers.list": lambda c: c.ai.mcp_servers.list(),
    "ai.fine_tuning.jobs.list": lambda c: c.ai.fine_tuning.jobs.list(),
    "ai.conversations.list": lambda c: c.ai.conversations.list(),
    "ai.clusters.list": lambda c: c.ai.clusters.list(),
    "ai.missions.list": lambda c: c.ai.missions.list(),
    "call_control_applications.list": lambda c: c.call_control_applications.list(),
}


@pytest.mark.parametrize("name", sorted(SYNTHESIZED))
def test_synthesized_answers_pass_strict_validation(synth_server: LiveServer, name: str) -> None:
    client = sdk(synth_server)
    raw = SYNTHESIZED[name](client.with_raw_response)
    assert raw.headers.get("x-emulator-synthesized") == "true"
    parsed = raw.parse()  # raises APIResponseValidationError if the SDK's models disagree
    assert parsed is not None
    assert SYNTHESIZED[name](client).to_dict() == parsed.to_dict()  # deterministic per request


@pytest.mark.parametrize("name", sorted(GENERIC_LISTS))
def test_generic_lists_pass_strict_validation(server: LiveServer, name: str) -> None:
    page = GENERIC_LISTS[name](sdk(server, key=f"lists-{name}"))
    items = list(page) if hasattr(page, "iter_pages") else page.data  # SDK pages auto-paginate
    assert items == []


def test_assistant_crud_with_the_official_sdk(server: LiveServer) -> None:
    client = sdk(server, key="sdk-assistants")
    created = client.ai.assistants.create(name="Concierge", model="meta-llama/Llama-3.3-70B-Instruct", instructions="Greet callers.")
    assert created.name == "Concierge" and created.instructions == "Greet callers."
    got = client.ai.assistants.retrieve(created.id)
    assert got.id == created.id and got.model == "meta-llama/Llama-3.3-70B-Instruct"
    listed = client.ai.assistants.list()
    assert [a.id for a in listed.data] == [created.id]
    updated = client.ai.assistants.update(created.id, name="Night concierge")
    assert updated.name == "Night concierge"
    assert client.ai.assistants.retrieve(created.id).name == "Night concierge"
    deleted = client.ai.assistants.delete(created.id)
    assert deleted.id == created.id
    with pytest.raises(telnyx.NotFoundError) as caught:
        client.ai.assistants.retrieve(created.id)
    assert caught.value.status_code == 404


def test_call_control_application_crud_and_pagination_with_the_sdk(server: LiveServer) -> None:
    client = sdk(server, key="sdk-cca")
    ids = [
        client.call_control_applications.create(application_name=f"app-{i}", webhook_event_url="https://example.com/hook").data.id
        for i in range(5)
    ]
    first = client.call_control_applications.list(page_size=2)
    assert [a.id for a in first.data] == ids[:2]
    assert [a.id for a in first] == ids  # iterating a page follows meta.total_pages
    updated = client.call_control_applications.update(ids[0], application_name="renamed", webhook_event_url="https://example.com/b")
    assert updated.data.application_name == "renamed"
    client.call_control_applications.delete(ids[0])
    with pytest.raises(telnyx.NotFoundError):
        client.call_control_applications.retrieve(ids[0])


def test_missing_key_is_an_authentication_error(server: LiveServer) -> None:
    client = sdk(server)
    with pytest.raises(telnyx.AuthenticationError) as caught:
        client.ai.assistants.list(extra_headers={"Authorization": ""})
    assert caught.value.status_code == 401


def test_invalid_body_is_a_422_naming_the_field(server: LiveServer) -> None:
    client = sdk(server, key="sdk-422")
    with pytest.raises(telnyx.UnprocessableEntityError) as caught:
        client.ai.assistants.create(name="No model", instructions="x", extra_body={"name": 42})
    detail = caught.value.body["detail"] if isinstance(caught.value.body, dict) else caught.value.response.json()["detail"]
    assert any(item["loc"][-1] == "name" for item in detail)
    assert client.ai.assistants.list().data == []  # a failed create wrote nothing


def sdk_response_types() -> dict[tuple[str, str], Any]:
    """(METHOD, path with ``{}`` for parameters) -> the response type the SDK parses into, read
    from the SDK's own resource modules (their ``self._get("/path", cast_to=...)`` calls)."""
    import importlib  # noqa: PLC0415
    import pkgutil  # noqa: PLC0415
    import re  # noqa: PLC0415
    from typing import List  # noqa: PLC0415, UP035

    import telnyx.resources  # noqa: PLC0415

    call = re.compile(r"return self\._(get|post|put|patch|delete|get_api_list)\(\s*(?:path_template\()?f?\"([^\"]+)\"(.*?)\n        \)", re.S)
    found: dict[tuple[str, str], Any] = {}
    for info in pkgutil.walk_packages(telnyx.resources.__path__, "telnyx.resources."):
        module = importlib.import_module(info.name)
        source = Path(module.__file__ or "").read_text().split("\nclass Async")[0]  # sync resources only
        for m in call.finditer(source):
            verb, path, rest = m.groups()
            method = "POST" if verb == "get_api_list" and 'method="post"' in rest else "GET" if verb == "get_api_list" else verb.upper()
            page = re.search(r"page=([A-Za-z_]+)\[([A-Za-z_\.]+)\]", rest)
            cast = re.search(r"cast_to=([A-Za-z_\.]+)", rest)
            try:  # names from the SDK's source, resolved in its module (a few are wrapped: skipped)
                if page:
                    item = eval(page.group(2), vars(module))  # noqa: S307
                    kind = List[item] if "TopLevelArray" in page.group(1) else getattr(module, page.group(1))[item]  # noqa: UP006
                elif cast and cast.group(1) not in ("NoneType", "BinaryAPIResponse", "str", "object"):
                    kind = eval(cast.group(1), vars(module))  # noqa: S307
                else:
                    continue
            except (NameError, AttributeError, TypeError):
                continue
            found[(method, re.sub(r"\{[^}]+\}", "{}", path))] = kind
    return found


@pytest.mark.parametrize("seed", [0, 1])
def test_every_sdk_mapped_operation_parses_strictly(seed: int) -> None:
    """Offline sweep: each synthesized success body of the embedded document validates against
    the pydantic type the SDK would parse it into (what ``_strict_response_validation`` does)."""
    import re  # noqa: PLC0415

    from telnyx._models import validate_type  # noqa: PLC0415

    from emulator.openapi.index import OperationIndex  # noqa: PLC0415
    from emulator.openapi.loader import load_document  # noqa: PLC0415
    from emulator.openapi.synth import Synthesizer  # noqa: PLC0415

    doc = load_document()
    synth = Synthesizer(doc, seed=seed)
    types = sdk_response_types()
    failures, checked = [], 0
    for op in OperationIndex(doc).operations:
        kind = types.get((op.method, re.sub(r"\{[^}]+\}", "{}", op.path)))
        _, media_type, body = synth.response_for(op, seed_key=f"sweep|{op.key}")
        if kind is None or media_type is None or "json" not in media_type:
            continue
        checked += 1
        try:
            validate_type(type_=kind, value=body)
        except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError, reported per operation
            failures.append(f"{op.key}: {str(exc)[:300]}")
    assert failures == []
    assert checked >= 100
