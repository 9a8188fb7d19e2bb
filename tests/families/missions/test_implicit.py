"""Lenient mode for missions, through the official SDK as its generated tests call it: a run (or
a plan step) under unknown ids makes the mission and the run, which then behave like created
ones; a lifecycle move the run's state rules out only warns. Strict (the default) is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import telnyx

from emulator.app import create_app
from tests.conftest import LiveServer, make_settings

MISSION = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"  # the SDK's uuid placeholder
RUN = "2f0c6a1e-5b1d-4c55-9d0e-3f5e7c2b9a10"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A strict emulator (the default); each test switches its own API key to lenient."""
    app = create_app(make_settings(Path(tmp_path_factory.mktemp("missions-implicit"))))
    with LiveServer(app) as server:
        yield server.url


def _sdk(url: str, api_key: str, *, base: str = "/v2", lenient: bool = True) -> telnyx.Telnyx:
    if lenient:
        r = httpx.put(f"{url}/_emulator/modes/{api_key}", json={"lenient": True})
        assert r.status_code == 200, r.text
    return telnyx.Telnyx(api_key=api_key, base_url=url + base, _strict_response_validation=True, max_retries=0)


@pytest.mark.parametrize("base", ["/v2", ""], ids=["v2", "bare"])
def test_a_run_under_unknown_ids_is_a_run_of_a_new_mission(url: str, base: str) -> None:
    client = _sdk(url, f"lenient-run{base.replace('/', '-') or '-bare'}", base=base)
    raw = client.ai.missions.runs.with_raw_response.retrieve(RUN, mission_id=MISSION)
    assert raw.status_code == 200
    assert raw.headers["x-emulator-implicit"] == "mission, mission_run"
    run = raw.parse().data
    assert (run.run_id, run.mission_id, run.status) == (RUN, MISSION, "running")
    assert client.ai.missions.retrieve(MISSION).data.mission_id == MISSION  # the parent exists now

    updated = client.ai.missions.runs.update(RUN, mission_id=MISSION, result_summary="Halfway", metadata={"calls": 2})
    assert updated.data.result_summary == "Halfway"
    again = client.ai.missions.runs.with_raw_response.retrieve(RUN, mission_id=MISSION)
    assert "x-emulator-implicit" not in again.headers
    assert again.parse().data.metadata == {"calls": 2}
    assert [r.run_id for r in client.ai.missions.runs.list(MISSION).data] == [RUN]

    assert client.ai.missions.runs.pause_run(RUN, mission_id=MISSION).data.status == "paused"
    assert client.ai.missions.runs.resume_run(RUN, mission_id=MISSION).data.status == "running"
    assert client.ai.missions.runs.cancel_run(RUN, mission_id=MISSION).data.status == "cancelled"
    warned = client.ai.missions.runs.with_raw_response.cancel_run(RUN, mission_id=MISSION)  # strict: 422
    assert warned.headers["x-emulator-warning"] == "missions.run_transition"
    assert warned.parse().data.status == "cancelled"

    client.ai.missions.delete_mission(MISSION)
    with pytest.raises(telnyx.NotFoundError):
        client.ai.missions.runs.retrieve(RUN, mission_id=MISSION)  # a deleted mission stays deleted
    with pytest.raises(telnyx.NotFoundError):
        client.ai.missions.retrieve(MISSION)


def test_a_plan_step_under_unknown_ids_creates_mission_and_run(url: str) -> None:
    client = _sdk(url, "lenient-steps")
    raw = client.ai.missions.runs.plan.with_raw_response.get_step_details("step-1", mission_id=MISSION, run_id=RUN)
    assert raw.headers["x-emulator-implicit"] == "mission, mission_run, step"
    assert raw.parse().data.step_id == "step-1"
    assert client.ai.missions.runs.retrieve(RUN, mission_id=MISSION).data.run_id == RUN
    done = client.ai.missions.runs.plan.update_step("step-1", mission_id=MISSION, run_id=RUN, status="completed")
    assert done.data.status == "completed"
    assert client.ai.missions.runs.plan.get_step_details("step-1", mission_id=MISSION, run_id=RUN).data.status == "completed"


def test_a_plan_with_duplicate_step_ids_warns_and_keeps_the_last(url: str) -> None:
    client = _sdk(url, "lenient-plan")
    steps = [{"step_id": "a", "sequence": 1, "description": "first"}, {"step_id": "a", "sequence": 2, "description": "again"}]
    raw = client.ai.missions.runs.plan.with_raw_response.create(RUN, mission_id=MISSION, steps=steps)
    assert raw.headers["x-emulator-warning"] == "missions.unique_step_ids"
    assert [(s.step_id, s.description) for s in raw.parse().data] == [("a", "again")]


def test_strict_mode_is_unchanged(url: str) -> None:
    client = _sdk(url, "strict-missions", lenient=False)
    with pytest.raises(telnyx.NotFoundError):
        client.ai.missions.runs.retrieve(RUN, mission_id=MISSION)
    with pytest.raises(telnyx.NotFoundError):
        client.ai.missions.retrieve(MISSION)
