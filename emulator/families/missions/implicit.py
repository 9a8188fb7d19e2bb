"""Implicit mission runs: in the ``unknown_ids: create`` mode, a request naming a run the tenant
lacks finds a run with that id, then runs as usual.

Missions themselves and the run's sub-resources (events, plan steps, Telnyx agents) are the
generic CRUD's kinds; the kernel resolves kinds parents first (``runtime/implicit.py``), so a run
under an unknown mission makes the mission, then the run, and a plan step under an unknown run
makes all three. The run is stored where created runs are (the generic store's
``/ai/missions/{mission_id}/runs`` collection), so every run operation and list sees it, and a
deleted mission's runs are never invented (the run reports it exists; the handler answers 404).

It stands for a run an agent is working on elsewhere: ``running``, with no automatic lifecycle
(its agent reports progress with PATCH), so pause, resume and cancel behave as for any run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.crud.generic import GenericStore
from emulator.runtime.implicit import IdKind, Ids

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def _store(emulator: Emulator, api_key: str) -> GenericStore:
    return emulator.state.tenant(api_key).store(GenericStore)


def run_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    store, mission_id = _store(emulator, api_key), ids.get("mission_id", "")
    if store.get("/ai/missions", mission_id) is None:
        return True  # no mission: nothing to adopt under it
    return store.get(f"/ai/missions/{mission_id}/runs", ids.get("run_id", "")) is not None


def adopt_run(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    mission_id, run_id = ids["mission_id"], ids["run_id"]
    now = emulator.state.clock.iso()
    run = {"run_id": run_id, "mission_id": mission_id, "status": "running", "started_at": now, "updated_at": now,
           "input": {}, "metadata": {}}
    _store(emulator, api_key).collections.setdefault(f"/ai/missions/{mission_id}/runs", {})[run_id] = run


ID_KINDS = (IdKind(kind="mission_run", template="/ai/missions/{mission_id}/runs/{run_id}", exists=run_exists, adopt=adopt_run),)
