"""The Family manifest is the whole contract: a family declared in one value (here a small one
written in the test, as a newcomer would add "fax") gets its handlers served, its control route
routed and documented, its fixture kind parsed, its lifecycle kind steerable, its store
snapshotted by name and its service built — with no other file touched."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.state import TenantState
from emulator.families import FAMILIES
from emulator.http.binding import Reply, operation
from emulator.http.context import RequestContext
from emulator.http.responses import JSONResponse
from emulator.runtime.emulator import Emulator
from emulator.runtime.family import ControlRoute, Family, document_selection
from emulator.runtime.fixtures import Seed
from tests.conftest import AUTH, make_settings

OPERATION = "list_integrations_public_integrations_get"  # served by no shipped family


class FaxStore:
    snapshot_name = "test_faxes"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def dump(self) -> dict[str, Any]:
        return {"sent": list(self.sent)}

    @classmethod
    def load(cls, data: dict[str, Any]) -> FaxStore:
        store = cls()
        store.sent = [str(x) for x in data["sent"]]
        return store


class FaxService:
    """A family service: built once per emulator, reachable by its class."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.built = True


@operation(OPERATION)
async def list_faxes(ctx: RequestContext) -> Reply:
    assert ctx.emulator.services.family(FaxService).built
    return Reply({"data": [{"id": fax} for fax in ctx.tenant.store(FaxStore).sent]}, status=200)


async def send_fax(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    tenant = emulator.state.tenant(request.query_params["api_key"])
    tenant.store(FaxStore).sent.append(request.path_params["fax_id"])
    return JSONResponse({"sent": tenant.store(FaxStore).sent}, status_code=201)


class FaxSeed:
    def __init__(self, source: str, ids: list[str]) -> None:
        self.source, self.ids = source, ids

    def apply(self, emulator: Emulator, tenant: TenantState) -> None:
        tenant.store(FaxStore).sent.extend(self.ids)

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "kind": "faxes", "records": len(self.ids)}


def parse_faxes(data: Any, source: str, emulator: Emulator | None = None) -> list[Seed]:
    return [FaxSeed(source, [str(x) for x in data])]


@pytest.fixture
def fax_family() -> Iterator[Family]:
    module = types.ModuleType("emulator._test_fax_handlers")
    module.list_faxes = list_faxes  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield Family(
        name="fax",
        handler_modules=(module,),
        services=(FaxService,),
        control=(ControlRoute("POST", "/_emulator/faxes/{fax_id}", send_fax, "sendFax", "Send a fax now"),),
        fixture_kinds={"faxes": parse_faxes},
        lifecycle_kinds=("fax_delivery",),
        stores=(FaxStore,),
        paths=("/faxes",),
    )
    del sys.modules[module.__name__]


def test_one_manifest_is_all_a_new_family_needs(tmp_path: Path, fax_family: Family) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "faxes.yaml").write_text("- seeded-1\n")
    families = (*FAMILIES, fax_family)
    with TestClient(create_app(make_settings(tmp_path, fixtures=fixtures), families=families)) as c:
        # handler bound to an operation of the document, with the fixture seeded into the tenant
        assert c.get("/v2/ai/integrations", headers=AUTH).json() == {"data": [{"id": "seeded-1"}]}
        # control route routed, and documented from the same table entry
        assert c.post("/_emulator/faxes/f-2", params={"api_key": "test-key"}).status_code == 201
        doc = c.get("/_emulator/openapi.json").json()
        fax_id = {"name": "fax_id", "in": "path", "required": True, "schema": {"type": "string"}}  # declared by the table
        assert doc["paths"]["/_emulator/faxes/{fax_id}"]["post"] == {"operationId": "sendFax", "summary": "Send a fax now", "parameters": [fax_id], "x-emulator-access": "admin"}
        kind_param = doc["paths"]["/_emulator/lifecycles/{kind}"]["put"]["parameters"][1]
        assert "fax_delivery" in kind_param["schema"]["enum"]
        # lifecycle kind steerable through the kernel's control API
        r = c.put("/_emulator/lifecycles/fax_delivery", params={"api_key": "test-key"}, json={"mode": "manual"})
        assert r.status_code == 200 and r.json()["mode"] == "manual"
        # the store joins snapshots under its name and comes back from one
        snap = c.get("/_emulator/snapshot").json()
        assert snap["tenants"]["test-key"]["test_faxes"] == {"sent": ["seeded-1", "f-2"]}
        c.post("/_emulator/faxes/f-3", params={"api_key": "test-key"})
        assert c.post("/_emulator/restore", json=snap).status_code == 200
        assert c.get("/v2/ai/integrations", headers=AUTH).json() == {"data": [{"id": "seeded-1"}, {"id": "f-2"}]}


def test_without_the_family_nothing_of_it_is_served(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.get("/v2/ai/integrations", headers=AUTH).headers.get("x-emulator-synthesized") == "true"
        assert c.post("/_emulator/faxes/f-1", params={"api_key": "k"}).status_code == 404
        r = c.put("/_emulator/lifecycles/fax_delivery", params={"api_key": "k"}, json={"mode": "manual"})
        assert r.status_code == 422 and r.json()["errors"][0]["source"]["parameter"] == "kind"


def test_the_document_keeps_what_some_family_owns(fax_family: Family) -> None:
    selection = document_selection((*FAMILIES, fax_family))
    assert selection.path("/faxes") and selection.path("/faxes/{id}/actions/cancel")
    assert selection.path("/calls") and selection.path("/calls/{call_control_id}/actions/answer")
    assert not selection.path("/calls/something_else")  # "/calls$" owns exactly /calls
    assert not selection.path("/messages/{id}") and not selection.path("/ai")  # messaging owns "/messages$" only
    assert selection.webhook("callAnswered") and selection.webhook("CallAIGatherEnded") and selection.webhook("transcription")
    assert not selection.webhook("messageReceived")
