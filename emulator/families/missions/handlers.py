"""Mission runs with a lifecycle: pending -> running -> succeeded (``mission_run`` policy), with
pause / resume / cancel and agent-reported updates (PATCH).

Missions themselves and every other mission sub-resource (events, plans, tools, knowledge bases,
MCP servers, Telnyx agents) stay with the generic CRUD. Runs are kept in the generic store's own
collection (``/ai/missions/{mission_id}/runs``) so the generic sub-resources of a run find their
parent exactly as before.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, NotFound, Unprocessable, ValidationFailed
from emulator.crud.generic import GenericStore
from emulator.families.missions.rules import RUN_STATUS_BY_PATCH, RUN_TRANSITION
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator

KIND = "mission_run"
FINAL = ("succeeded", "failed", "cancelled")


def _runs_key(mission_id: str) -> str:
    return f"/ai/missions/{mission_id}/runs"


def _mission(ctx: RequestContext) -> dict[str, Any]:
    mission_id = str(ctx.path["mission_id"])
    found = ctx.tenant.store(GenericStore).get("/ai/missions", mission_id)
    if found is None:
        raise NotFound(f"Mission {mission_id} not found")
    return found


def _run(ctx: RequestContext) -> dict[str, Any]:
    _mission(ctx)
    run = ctx.tenant.store(GenericStore).get(_runs_key(str(ctx.path["mission_id"])), str(ctx.path["run_id"]))
    if run is None:
        raise NotFound(f"Mission run {ctx.path['run_id']} not found")
    return run


def _page(ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    number = int(ctx.query.get("page[number]") or 1)
    size = int(ctx.query.get("page[size]") or 20)
    return {"data": rows[(number - 1) * size: number * size],
            "meta": {"page_number": number, "page_size": size, "total_results": len(rows), "total_pages": max(1, math.ceil(len(rows) / size))}}


def set_status(emulator: Emulator, api_key: str, run: dict[str, Any], status: str) -> None:
    """Move a run to ``status`` and log a ``status_change`` event in its (generic) event log."""
    tenant = emulator.state.tenant(api_key)
    now = emulator.state.clock.iso()
    previous = run["status"]
    run.update(status=status, updated_at=now)
    if status in FINAL:
        run["finished_at"] = now
    event_id = tenant.ids.uuid()
    events = tenant.store(GenericStore).collections.setdefault(f"{_runs_key(run['mission_id'])}/{run['run_id']}/events", {})
    events[event_id] = {"event_id": event_id, "run_id": run["run_id"], "type": "status_change", "summary": f"Run {previous} -> {status}",
                        "timestamp": now, "payload": {"from": previous, "to": status}}


def _steps(emulator: Emulator, api_key: str, run: dict[str, Any], mission: dict[str, Any]) -> list[Any]:
    def running() -> None:
        set_status(emulator, api_key, run, "running")

    def succeeded() -> None:
        run.setdefault("result_summary", f"Mission '{mission.get('name', run['mission_id'])}' completed.")
        run.setdefault("result_payload", {"input": run.get("input", {})})
        set_status(emulator, api_key, run, "succeeded")

    return [running, succeeded]


@operation("post_public_missions_missions_mission_id_runs")
async def create_run(ctx: RequestContext) -> Any:
    mission = _mission(ctx)
    now = ctx.state.clock.iso()
    run: dict[str, Any] = {"run_id": ctx.tenant.ids.uuid(), "mission_id": str(ctx.path["mission_id"]), "status": "pending", "started_at": now,
                            "updated_at": now, "input": dict(ctx.json.get("input") or {}), "metadata": dict(ctx.json.get("metadata") or {})}
    ctx.tenant.store(GenericStore).collections.setdefault(_runs_key(run["mission_id"]), {})[run["run_id"]] = run
    ctx.emulator.services.lifecycles.begin(ctx.api_key, KIND, run["run_id"], _steps(ctx.emulator, ctx.api_key, run, mission), labels=["running", "succeeded"])
    return {"data": copy.deepcopy(run)}


@operation("get_public_missions_missions_mission_id_runs")
async def list_runs(ctx: RequestContext) -> Any:
    _mission(ctx)
    rows = list(ctx.tenant.store(GenericStore).collections.get(_runs_key(str(ctx.path["mission_id"])), {}).values())
    if ctx.query.get("status"):
        rows = [r for r in rows if r["status"] == ctx.query["status"]]
    return _page(ctx, [_view(r) for r in reversed(rows)])


@operation("get_public_missions_missions_runs")
async def list_all_runs(ctx: RequestContext) -> Any:
    store = ctx.tenant.store(GenericStore)
    rows = [r for key, recs in store.collections.items() if key.startswith("/ai/missions/") and key.endswith("/runs") for r in recs.values()]
    if ctx.request.query_params.get("status"):
        rows = [r for r in rows if r["status"] == ctx.request.query_params["status"]]
    rows.sort(key=lambda r: r["started_at"], reverse=True)
    return _page(ctx, [_view(r) for r in rows])


@operation("get_public_missions_missions_mission_id_runs_run_id")
async def get_run(ctx: RequestContext) -> Any:
    return {"data": _view(_run(ctx))}


@operation("patch_public_missions_missions_mission_id_runs_run_id")
async def update_run(ctx: RequestContext) -> Any:
    """What the agent doing the run reports: status, result, error, metadata. Reaching a final
    status stops the automatic lifecycle."""
    run = _run(ctx)
    body = ctx.json
    status = body.get("status")
    if run["status"] in FINAL and status is not None and status != run["status"]:
        ctx.business_rule(RUN_TRANSITION, Unprocessable(f"Run {run['run_id']} is already {run['status']}", items=[ErrorItem(f"run is already {run['status']}", pointer="/status")]))
        status = None
    if status == "paused" or status == "pending":
        ctx.business_rule(RUN_STATUS_BY_PATCH, ValidationFailed(items=[ErrorItem("use the pause endpoint to pause a run; a run cannot go back to pending", pointer="/status")]))
        status = None
    now = ctx.state.clock.iso()
    for field in ("result_summary", "result_payload", "error"):
        if field in body and body[field] is not None:
            run[field] = body[field]
    if body.get("metadata"):
        run.setdefault("metadata", {}).update(body["metadata"])
    if status is not None and status != run["status"]:
        set_status(ctx.emulator, ctx.api_key, run, status)
        if status in FINAL:
            ctx.emulator.services.lifecycles.cancel(ctx.api_key, KIND, run["run_id"])
    run["updated_at"] = now
    return {"data": _view(run)}


@operation("post_public_missions_missions_mission_id_runs_run_id_pause")
async def pause_run(ctx: RequestContext) -> Any:
    run = _run(ctx)
    if run["status"] not in ("pending", "running"):
        ctx.business_rule(RUN_TRANSITION, Unprocessable(f"Run {run['run_id']} is {run['status']} and cannot be paused"))
        return {"data": _view(run)}
    ctx.emulator.services.lifecycles.pause(ctx.api_key, KIND, run["run_id"])
    run["resume_status"] = run["status"]
    set_status(ctx.emulator, ctx.api_key, run, "paused")
    return {"data": _view(run)}


@operation("post_public_missions_missions_mission_id_runs_run_id_resume")
async def resume_run(ctx: RequestContext) -> Any:
    run = _run(ctx)
    if run["status"] != "paused":
        ctx.business_rule(RUN_TRANSITION, Unprocessable(f"Run {run['run_id']} is {run['status']}, not paused"))
        return {"data": _view(run)}
    set_status(ctx.emulator, ctx.api_key, run, run.pop("resume_status", "running"))
    ctx.emulator.services.lifecycles.resume(ctx.api_key, KIND, run["run_id"])
    return {"data": _view(run)}


@operation("post_public_missions_missions_mission_id_runs_run_id_cancel")
async def cancel_run(ctx: RequestContext) -> Any:
    run = _run(ctx)
    if run["status"] in FINAL:
        ctx.business_rule(RUN_TRANSITION, Unprocessable(f"Run {run['run_id']} is already {run['status']}"))
        return {"data": _view(run)}
    ctx.emulator.services.lifecycles.cancel(ctx.api_key, KIND, run["run_id"])
    run.pop("resume_status", None)
    set_status(ctx.emulator, ctx.api_key, run, "cancelled")
    return {"data": _view(run)}


def _view(run: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in run.items() if k != "resume_status"}
