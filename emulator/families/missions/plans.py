"""Mission plans, cross-run events and mission cloning — the mission operations the generic CRUD
cannot serve statefully on its own. Everything lives in the generic store's collections (plan
steps under ``.../runs/{run_id}/plan/steps``, events under ``.../runs/{run_id}/events``) so the
generic step/event endpoints read and update the same records."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.crud.generic import GenericStore
from emulator.families.missions.handlers import _mission, _run
from emulator.families.missions.rules import KNOWN_PARENT_STEP, UNIQUE_STEP_IDS
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext


def _steps_key(ctx: RequestContext) -> str:
    return f"/ai/missions/{ctx.path['mission_id']}/runs/{ctx.path['run_id']}/plan/steps"


def _plan(ctx: RequestContext) -> list[dict[str, Any]]:
    steps = ctx.tenant.store(GenericStore).collections.get(_steps_key(ctx), {})
    return sorted((copy.deepcopy(s) for s in steps.values()), key=lambda s: (s.get("sequence", 0), s.get("step_id", "")))


@operation("post_public_missions_missions_mission_id_runs_run_id_plan")
async def create_plan(ctx: RequestContext) -> Any:
    """Set the run's plan: the given steps replace any earlier plan (all pending)."""
    run = _run(ctx)
    steps = ctx.json["steps"]
    ids = [str(s["step_id"]) for s in steps]
    if len(set(ids)) != len(ids):
        ctx.business_rule(UNIQUE_STEP_IDS, ValidationFailed(items=[ErrorItem("step_id values must be unique within a plan", pointer="/steps")]))
    orphans = set()
    for i, step in enumerate(steps):
        parent = step.get("parent_step_id")
        if parent is not None and parent not in ids:
            ctx.business_rule(KNOWN_PARENT_STEP, ValidationFailed(items=[ErrorItem(f"parent_step_id {parent!r} is not a step of this plan", pointer=f"/steps/{i}/parent_step_id")]))
            orphans.add(i)
    records = {}
    for i, step in enumerate(steps):  # a later duplicate step_id replaces the earlier one
        record = {"step_id": str(step["step_id"]), "run_id": run["run_id"], "sequence": step["sequence"], "description": step["description"],
                  "status": "pending", "metadata": dict(step.get("metadata") or {})}
        if step.get("parent_step_id") is not None and i not in orphans:
            record["parent_step_id"] = step["parent_step_id"]
        records[record["step_id"]] = record
    ctx.tenant.store(GenericStore).collections[_steps_key(ctx)] = records
    return Reply({"data": _plan(ctx)}, 201)


@operation("get_public_missions_missions_mission_id_runs_run_id_plan")
async def get_plan(ctx: RequestContext) -> Any:
    _run(ctx)
    return {"data": _plan(ctx)}


@operation("get_public_missions_missions_events")
async def list_events(ctx: RequestContext) -> Any:
    """Every event of every run, newest first; ``type`` filters."""
    store = ctx.tenant.store(GenericStore)
    rows = [e for key, recs in store.collections.items() if key.startswith("/ai/missions/") and key.endswith("/events") for e in recs.values()]
    if ctx.query.get("type"):
        rows = [e for e in rows if e.get("type") == ctx.query["type"]]
    rows.sort(key=lambda e: str(e.get("timestamp", "")), reverse=True)
    number, size = int(ctx.query.get("page[number]") or 1), int(ctx.query.get("page[size]") or 50)
    return {"data": [copy.deepcopy(e) for e in rows[(number - 1) * size: number * size]],
            "meta": {"page_number": number, "page_size": size, "total_results": len(rows), "total_pages": max(1, math.ceil(len(rows) / size))}}


@operation("post_public_missions_missions_mission_id_clone")
async def clone_mission(ctx: RequestContext) -> Any:
    """A new mission with the source's settings (not its runs)."""
    source = _mission(ctx)
    missions = ctx.tenant.store(GenericStore).collections.setdefault("/ai/missions", {})
    now = ctx.state.clock.iso()
    mission_id = ctx.tenant.ids.uuid()
    clone = {**copy.deepcopy(source), "mission_id": mission_id, "name": f"{source.get('name', '')} (copy)", "created_at": now, "updated_at": now}
    missions[mission_id] = clone
    return Reply({"data": copy.deepcopy(clone)}, 201)

