"""The composition root: create_app() twice is two emulators, and every handler the families
bind is an operation of the document."""

from __future__ import annotations

import gc
from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import GC_YOUNG_THRESHOLD, create_app
from emulator.families import FAMILIES
from emulator.http.binding import collect
from emulator.openapi.index import OperationIndex
from emulator.openapi.loader import load_document
from tests.conftest import make_settings


def test_two_apps_share_nothing(tmp_path: Path) -> None:
    a = create_app(make_settings(tmp_path))
    b = create_app(make_settings(tmp_path))
    ea, eb = a.state.emulator, b.state.emulator
    assert ea.state is not eb.state and ea.handlers is not eb.handlers
    ea.state.tenant("k")
    assert "k" not in eb.state.tenants
    ea.state.clock.advance(100)
    assert abs(eb.state.clock.now() - ea.state.clock.now()) > 50


def test_every_handler_is_bound_to_an_operation_of_the_document() -> None:
    """Handlers declare their operationIds; a typo or a removed operation fails here (and at
    start-up), never silently leaves a handler unreachable."""
    handlers = collect(module for family in FAMILIES for module in family.handler_modules)
    index = OperationIndex(load_document())
    assert handlers, "no handlers collected"
    assert sorted(set(handlers) - set(index.by_id)) == []


def test_serving_collects_young_objects_less_often_and_restores_the_collector(tmp_path: Path) -> None:
    before = gc.get_threshold()
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/_emulator/health").status_code == 200
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_serving_turns_on_the_collector_the_command_line_loads_the_app_without(tmp_path: Path) -> None:
    # `python -m emulator` / `telnyx-emulator` load the app with the collector off (__main__.run):
    # serving must turn it back on (or nothing cyclic would ever be freed), and leave it as found.
    gc.disable()
    try:
        with TestClient(create_app(make_settings(tmp_path))) as client:
            assert client.get("/_emulator/health").status_code == 200
            assert gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
