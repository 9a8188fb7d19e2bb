"""A control call that carries ``Authorization: Bearer <API key>`` acts on that key's tenant only;
no header (without an admin token) or the admin token is the full control API, as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import make_settings
from tests.support.webhooks import Receiver

A, B = "tenant-a", "tenant-b"
AS_A = {"Authorization": f"Bearer {A}"}
AS_B = {"Authorization": f"Bearer {B}"}
ASSISTANT = {"model": "openai/gpt-4o", "instructions": "Be brief."}


@pytest.fixture(params=[None, "s3cret"], ids=["no-admin-token", "admin-token"])
def token(request: pytest.FixtureRequest) -> str | None:
    value: str | None = request.param
    return value


@pytest.fixture
def admin(token: str | None) -> dict[str, str]:
    """What the admin sends: nothing at all without a token, else the token."""
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def client(tmp_path: Path, token: str | None) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, admin_token=token)), raise_server_exceptions=False) as c:
        for key, name in ((A, "alpha"), (B, "bravo")):
            made = c.post("/v2/ai/assistants", headers={"Authorization": f"Bearer {key}"}, json={**ASSISTANT, "name": name})
            assert made.status_code == 200, made.text
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.close()


def _detail(response: Any) -> str:
    return str(response.json()["errors"][0]["detail"])


def test_a_tenant_sees_only_itself_in_state_and_journal(client: TestClient, admin: dict[str, str]) -> None:
    state = client.get("/_emulator/state", headers=AS_A)
    assert state.status_code == 200 and list(state.json()["tenants"]) == [A]
    assert "alpha" in state.text and "bravo" not in state.text and B not in state.text
    journal = client.get("/_emulator/journal", headers=AS_A).json()
    assert [e["api_key"] for e in journal["data"]] == [A] and journal["meta"]["stored"] == 1
    assert client.post("/_emulator/journal/count", headers=AS_A, json={"method": "POST"}).json()["count"] == 1
    # Naming the other tenant is refused, naming it.
    for refused in (client.get("/_emulator/state", headers=AS_A, params={"api_key": B}), client.get("/_emulator/journal", headers=AS_A, params={"api_key": B})):
        assert refused.status_code == 403 and repr(B) in _detail(refused)
    # The admin still sees everyone.
    assert set(client.get("/_emulator/state", headers=admin).json()["tenants"]) == {A, B}
    assert {e["api_key"] for e in client.get("/_emulator/journal", headers=admin).json()["data"]} == {A, B}


def test_a_tenant_sees_only_its_own_deliveries(client: TestClient, admin: dict[str, str], receiver: Receiver) -> None:
    mine = client.post("/_emulator/webhooks/test", headers=AS_A, json={"url": receiver.url()})
    assert mine.status_code == 200 and mine.json()["data"]["api_key"] == A  # logged under the caller's key, not "_emulator"
    theirs = client.post("/_emulator/webhooks/test", headers=admin, json={"url": receiver.url(), "api_key": B}).json()["data"]
    listed = client.get("/_emulator/webhooks/deliveries", headers=AS_A).json()
    assert [ev["api_key"] for ev in listed["data"]] == [A]
    assert client.get(f"/_emulator/webhooks/deliveries/{theirs['id']}", headers=AS_A).status_code == 404
    assert client.post(f"/_emulator/webhooks/deliveries/{theirs['id']}/replay", headers=AS_A, json={}).status_code == 404
    assert client.post("/_emulator/webhooks/test", headers=AS_A, json={"url": receiver.url(), "api_key": B}).status_code == 403
    assert client.post("/_emulator/webhooks/wait", headers=AS_A, json={}).json()["data"][0]["api_key"] == A
    assert client.delete("/_emulator/webhooks/deliveries", headers=AS_A).json() == {"cleared": 1}
    assert [ev["api_key"] for ev in client.get("/_emulator/webhooks/deliveries", headers=admin).json()["data"]] == [B]


def test_a_tenant_cannot_reset_another_and_its_reset_all_resets_only_itself(client: TestClient, admin: dict[str, str]) -> None:
    refused = client.post("/_emulator/reset", headers=AS_A, json={"api_key": B})
    assert refused.status_code == 403 and repr(B) in _detail(refused)
    assert client.post("/_emulator/reset", headers=AS_A, params={"api_key": B}).status_code == 403
    assert set(client.get("/_emulator/state", headers=admin).json()["tenants"]) == {A, B}
    done = client.post("/_emulator/reset", headers=AS_A)
    assert done.status_code == 200 and done.json() == {"reset": A}
    assert list(client.get("/_emulator/state", headers=admin).json()["tenants"]) == [B]
    assert [a["name"] for a in client.get("/v2/ai/assistants", headers=AS_B).json()["data"]] == ["bravo"]
    assert client.get("/v2/ai/assistants", headers=AS_A).json()["data"] == []


def test_a_tenants_fault_rule_never_fires_for_another(client: TestClient, admin: dict[str, str]) -> None:
    rule = {"match": {"method": "GET", "path": "/ai/assistants"}, "status": 503, "times": None}
    added = client.post("/_emulator/faults", headers=AS_A, json=rule)
    assert added.status_code == 201 and added.json()["data"]["match"]["api_key"] == A  # forced to the caller's key
    assert client.get("/v2/ai/assistants", headers=AS_B).status_code == 200
    assert client.get("/v2/ai/assistants", headers=AS_A).status_code == 503
    aimed = client.post("/_emulator/faults", headers=AS_A, json={**rule, "match": {"api_key": B}})
    assert aimed.status_code == 403 and repr(B) in _detail(aimed)
    assert client.post("/_emulator/faults", headers=AS_A, json=[rule, {**rule, "match": {"api_key": B}}]).status_code == 403
    # Rules are listed and deleted per tenant; the admin's global rule is out of a tenant's reach.
    global_rule = client.post("/_emulator/faults", headers=admin, json={"match": {"path": "/nothing"}, "status": 500}).json()["data"]
    assert [r["match"].get("api_key") for r in client.get("/_emulator/faults", headers=AS_A).json()["data"]] == [A]
    assert client.get("/_emulator/faults", headers=AS_B).json()["data"] == []
    assert client.delete(f"/_emulator/faults/{global_rule['id']}", headers=AS_B).status_code == 404
    assert client.delete("/_emulator/faults", headers=AS_B).json() == {"deleted": 0}
    assert client.delete("/_emulator/faults", headers=AS_A).json() == {"deleted": 1}
    assert [r["id"] for r in client.get("/_emulator/faults", headers=admin).json()["data"]] == [global_rule["id"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/_emulator/snapshot", None),
        ("POST", "/_emulator/restore", {}),
        ("POST", "/_emulator/clock", {"advance": 1}),
        ("DELETE", "/_emulator/journal", None),
        ("POST", "/_emulator/fixtures", {"kind": "assistants", "data": []}),
        ("POST", "/_emulator/latency", {"enabled": True}),
        ("POST", "/_emulator/ratelimit", {"enabled": True}),
        ("GET", "/_emulator/ui/api/keys", None),
    ],
)
def test_a_tenant_is_refused_what_acts_on_the_whole_emulator(client: TestClient, admin: dict[str, str], token: str | None, method: str, path: str, body: Any) -> None:
    refused = client.request(method, path, headers=AS_A, json=body)
    assert refused.status_code == 403 and "admin token" in _detail(refused)
    if token is None:
        assert "no Authorization header" in _detail(refused)  # how a local user gets the full view


def test_snapshot_and_restore_stay_the_admins(client: TestClient, admin: dict[str, str]) -> None:
    snap = client.get("/_emulator/snapshot", headers=admin)
    assert snap.status_code == 200 and set(snap.json()["tenants"]) == {A, B}
    assert client.post("/_emulator/restore", headers=AS_A, json=snap.json()).status_code == 403
    assert client.post("/_emulator/restore", headers=admin, json=snap.json()).status_code == 200


def test_a_tenant_steers_only_its_own_mode_calls_and_default_url(client: TestClient, admin: dict[str, str]) -> None:
    assert client.put(f"/_emulator/modes/{B}", headers=AS_A, json={"lenient": True}).status_code == 403
    assert client.put(f"/_emulator/modes/{A}", headers=AS_A, json={"lenient": True}).status_code == 200
    assert client.put(f"/_emulator/modes/{B}", headers=admin, json={"lenient": True}).status_code == 200
    assert list(client.get("/_emulator/modes", headers=AS_A).json()["keys"]) == [A]
    assert client.put(f"/_emulator/webhooks/default-url/{B}", headers=AS_A, json={"url": "https://example.com/hook"}).status_code == 403
    call = client.post("/_emulator/calls/inbound", headers=admin, json={"from": "+15550001", "to": "+15550002", "connection_id": "c", "api_key": B})
    assert call.status_code == 201
    call_id = call.json()["data"]["call_control_id"]
    assert client.get(f"/_emulator/calls/{call_id}", headers=AS_A).status_code == 404
    assert client.post(f"/_emulator/calls/{call_id}/hangup", headers=AS_A, json={}).status_code == 404
    assert client.get("/_emulator/calls", headers=AS_A).json()["data"] == []
    assert [c["api_key"] for c in client.get("/_emulator/calls", headers=AS_B).json()["data"]] == [B]


def test_no_header_without_admin_token_is_full_access_as_before(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        c.post("/v2/ai/assistants", headers=AS_A, json={**ASSISTANT, "name": "alpha"})
        c.post("/v2/ai/assistants", headers=AS_B, json={**ASSISTANT, "name": "bravo"})
        assert set(c.get("/_emulator/state").json()["tenants"]) == {A, B}
        assert set(c.get("/_emulator/snapshot").json()["tenants"]) == {A, B}
        assert c.post("/_emulator/reset").json() == {"reset": "all"}
        assert c.get("/_emulator/state").json()["tenants"] == {}


def test_the_admin_token_is_full_access_and_anonymous_is_401(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, admin_token="s3cret"))) as c:
        c.post("/v2/ai/assistants", headers=AS_A, json={**ASSISTANT, "name": "alpha"})
        c.post("/v2/ai/assistants", headers=AS_B, json={**ASSISTANT, "name": "bravo"})
        assert c.get("/_emulator/state").status_code == 401
        assert c.get("/_emulator/health").status_code == 200
        admin = {"Authorization": "Bearer s3cret"}
        assert set(c.get("/_emulator/snapshot", headers=admin).json()["tenants"]) == {A, B}
        assert c.post("/_emulator/reset", headers=admin, json={"api_key": B}).json() == {"reset": B}
        assert c.post("/_emulator/reset", headers=admin).json() == {"reset": "all"}


def test_with_api_keys_set_an_unknown_bearer_is_no_tenant(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, api_keys=A))) as c:
        assert c.get("/_emulator/state", headers=AS_A).status_code == 200
        refused = c.get("/_emulator/state", headers=AS_B)
        assert refused.status_code == 401 and _detail(refused) == "The API key provided is not valid."
        assert c.get("/_emulator/state", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_public_health_names_no_other_tenants_key(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, admin_token="s3cret", persist=True))
    with TestClient(app) as c:
        persistence = app.state.emulator.services.persistence
        assert persistence is not None
        persistence.problems[f"tenant:{B}"] = "could not save"
        for headers in ({}, AS_A):
            problems = c.get("/_emulator/health", headers=headers).json()["persistence"]["problems"]
            assert B not in str(problems) and problems == {"tenant:*": "1 other tenant(s) could not be saved (the admin sees which)"}
        assert c.get("/_emulator/health", headers=AS_B).json()["persistence"]["problems"] == {f"tenant:{B}": "could not save"}
        assert c.get("/_emulator/health", headers={"Authorization": "Bearer s3cret"}).json()["persistence"]["problems"] == {f"tenant:{B}": "could not save"}
