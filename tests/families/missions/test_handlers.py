"""Mission runs (pending -> running -> succeeded, pause/resume/cancel, agent updates) and text
clustering tasks through the telnyx SDK; mission sub-resources stay generic and still find runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import telnyx

from tests.support.ai import Emu, live_emulator


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("missions"))


def test_run_lifecycle_pause_resume_and_completion(emu: Emu) -> None:
    key = "mis-run"
    c = emu.sdk(key)
    mission = c.ai.missions.create(name="Collect feedback", instructions="Call customers.").data
    run = c.ai.missions.runs.create(mission.mission_id, input={"customers": 3}).data
    assert run.status == "pending" and run.mission_id == mission.mission_id
    emu.advance(0.25)
    assert c.ai.missions.runs.retrieve(run.run_id, mission_id=mission.mission_id).data.status == "running"
    paused = c.ai.missions.runs.pause_run(run.run_id, mission_id=mission.mission_id).data
    assert paused.status == "paused"
    emu.advance(10)  # a paused run does not move
    assert c.ai.missions.runs.retrieve(run.run_id, mission_id=mission.mission_id).data.status == "paused"
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.missions.runs.pause_run(run.run_id, mission_id=mission.mission_id)
    assert c.ai.missions.runs.resume_run(run.run_id, mission_id=mission.mission_id).data.status == "running"
    emu.advance(1)
    done = c.ai.missions.runs.retrieve(run.run_id, mission_id=mission.mission_id).data
    assert done.status == "succeeded" and done.finished_at and done.result_summary
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.missions.runs.cancel_run(run.run_id, mission_id=mission.mission_id)
    assert [r.run_id for r in c.ai.missions.runs.list(mission.mission_id).data] == [run.run_id]
    assert [r.run_id for r in c.ai.missions.runs.list_runs(status="succeeded").data] == [run.run_id]
    # the run's generic sub-resources find it
    ev = c.ai.missions.runs.events.log(run.run_id, mission_id=mission.mission_id, summary="called 3 customers", type="custom")
    assert ev.data.summary == "called 3 customers"
    with pytest.raises(telnyx.NotFoundError):
        c.ai.missions.runs.create("00000000-0000-4000-8000-000000000000")


def test_cancel_and_agent_reported_updates(emu: Emu) -> None:
    key = "mis-cancel"
    c = emu.sdk(key)
    emu.policy(key, "mission_run", "manual")
    mission = c.ai.missions.create(name="M").data
    run = c.ai.missions.runs.create(mission.mission_id).data
    cancelled = c.ai.missions.runs.cancel_run(run.run_id, mission_id=mission.mission_id).data
    assert cancelled.status == "cancelled" and cancelled.finished_at
    assert emu.step(key, kind="mission_run") == []  # nothing left to advance
    other = c.ai.missions.runs.create(mission.mission_id).data
    emu.step(key, kind="mission_run", id=other.run_id, steps=1)
    reported = c.ai.missions.runs.update(other.run_id, mission_id=mission.mission_id, status="failed", error="line busy",
                                         metadata={"attempts": 2}).data
    assert reported.status == "failed" and reported.error == "line busy" and reported.metadata == {"attempts": 2}
    # the lifecycle stopped with the final status: nothing pending for the run any more
    r = emu.http.post("/_emulator/lifecycles/advance", params={"api_key": key}, json={"kind": "mission_run", "id": other.run_id})
    assert r.status_code == 404
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.missions.runs.update(other.run_id, mission_id=mission.mission_id, status="succeeded")


def test_clustering_task(emu: Emu) -> None:
    key = "mis-clusters"
    c = emu.sdk(key)
    lines = ["My invoice has a billing error and a double charge.", "The billing charge on my invoice is wrong.",
             "I was charged twice on my invoice billing.", "The app crashes when I open the settings screen.",
             "The mobile app crashes on the settings screen.", "Settings screen crash in the app again."]
    emu.upload(key, "tickets", "tickets.txt", "\n".join(lines).encode())
    task = c.ai.clusters.compute(bucket="tickets", min_cluster_size=2, min_subcluster_size=1)
    task_id = task.data.task_id
    assert c.ai.clusters.retrieve(task_id).data.status == "pending"
    emu.advance(1)
    result = c.ai.clusters.retrieve(task_id).data
    assert result.status == "completed" and result.bucket == "tickets"
    groups = [sorted(n.text for n in cl.nodes) for cl in result.clusters]
    assert sorted(groups) == sorted([sorted(lines[:3]), sorted(lines[3:])])
    assert all(cl.total_number_of_nodes == 3 for cl in result.clusters)
    info = c.ai.clusters.list().data
    assert [(t.task_id, t.status) for t in info] == [(task_id, "completed")]
    png = c.ai.clusters.fetch_graph(task_id)
    assert png.read()[:8] == b"\x89PNG\r\n\x1a\n"
    c.ai.clusters.delete(task_id)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.clusters.retrieve(task_id)
    empty = c.ai.clusters.compute(bucket="no-such-bucket").data.task_id
    emu.advance(1)
    assert c.ai.clusters.retrieve(empty).data.status == "failed"


def test_lifecycle_control_api(emu: Emu) -> None:
    key = "mis-policy"
    view = emu.http.get("/_emulator/lifecycles", params={"api_key": key}).json()
    assert view["policies"]["embedding_task"] == {"mode": "after", "seconds": 0.2} and view["pending"] == []
    bad = emu.http.put("/_emulator/lifecycles/embedding_task", params={"api_key": key}, json={"mode": "sometimes"})
    assert bad.status_code == 422
    assert emu.http.put("/_emulator/lifecycles/teleport", params={"api_key": key}, json={"mode": "manual"}).status_code == 422
    assert emu.http.put("/_emulator/lifecycles/cluster", json={"mode": "manual"}).status_code == 400  # no tenant named
    emu.policy(key, "mission_run", "after", 30)
    c = emu.sdk(key)
    mission = c.ai.missions.create(name="slow").data
    run = c.ai.missions.runs.create(mission.mission_id).data
    pending = emu.http.get("/_emulator/lifecycles", params={"api_key": key}).json()["pending"]
    assert pending == [{"kind": "mission_run", "id": run.run_id, "done": 0, "remaining": 2, "paused": False, "next": "running"}]
    emu.advance(29)
    assert c.ai.missions.runs.retrieve(run.run_id, mission_id=mission.mission_id).data.status == "pending"
    emu.advance(31)
    assert c.ai.missions.runs.retrieve(run.run_id, mission_id=mission.mission_id).data.status == "succeeded"


def test_plan_events_and_clone(emu: Emu) -> None:
    key = "mis-plan"
    c = emu.sdk(key)
    raw = emu.raw(key)
    mission = c.ai.missions.create(name="Survey", instructions="Ask three questions.").data
    run = c.ai.missions.runs.create(mission.mission_id).data
    base = f"/ai/missions/{mission.mission_id}/runs/{run.run_id}"
    created = raw.post(f"{base}/plan", json={"steps": [
        {"step_id": "s2", "description": "Ask questions", "sequence": 2},
        {"step_id": "s1", "description": "Greet", "sequence": 1},
        {"step_id": "s1a", "description": "Say name", "sequence": 1, "parent_step_id": "s1"}]})
    assert created.status_code == 201, created.text
    plan = raw.get(f"{base}/plan").json()["data"]
    assert [s["step_id"] for s in plan] == ["s1", "s1a", "s2"] and {s["status"] for s in plan} == {"pending"}
    step = raw.patch(f"{base}/plan/steps/s1", json={"status": "completed"})
    assert step.status_code == 200, step.text
    assert [s["status"] for s in raw.get(f"{base}/plan").json()["data"]][0] == "completed"
    bad = raw.post(f"{base}/plan", json={"steps": [{"step_id": "x", "description": "d", "sequence": 1, "parent_step_id": "nope"}]})
    assert bad.status_code == 422
    emu.advance(1)  # the run runs and succeeds; each status change is an event
    events = c.ai.missions.runs.events.list(run.run_id, mission_id=mission.mission_id).data
    assert sorted(e.payload["to"] for e in events if e.type == "status_change") == ["running", "succeeded"]
    everywhere = c.ai.missions.list_events(type="status_change").data
    assert {e.run_id for e in everywhere} == {run.run_id}
    clone = raw.post(f"/ai/missions/{mission.mission_id}/clone")
    assert clone.status_code == 201 and clone.json()["data"]["name"] == "Survey (copy)"
    assert {m.name for m in c.ai.missions.list().data} == {"Survey", "Survey (copy)"}
