"""Each event type's plan completes an event exactly as completing it against its schema does:
the same members, values and order (the call's ids, what the emitter set, then the schema's
order), with lists and objects of each event's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.app import create_app
from emulator.core.settings import Settings
from emulator.families.calls.event_fills import CALL, KNOWN, NOW, base_payload
from emulator.families.calls.event_shapes import ENVELOPE, EventShapes, complete, neutral
from emulator.families.calls.model import Call

NOW_TEXT = "2026-01-01T00:00:05.000Z"


def shapes_of(tmp_path: Path) -> EventShapes:
    app = create_app(Settings(state_dir=tmp_path / "state"))
    return app.state.emulator.services.family(EventShapes)  # type: ignore[no-any-return]


def a_call(client_state: str | None) -> Call:
    return Call(
        "v3:ccid", "leg", "session", "tenant", "conn", "+13125550001", "+13125550100", "outgoing", 1767225600.0,
        state="answered", client_state=client_state, custom_headers=[{"name": "X-A", "value": "1"}],
    )


def known_of(call: Call) -> dict[str, Any]:
    """What the call knows, every property at once (how events were completed before plans)."""
    return {name: NOW_TEXT if kind == NOW else value(call) if kind == CALL else value for name, (kind, value) in KNOWN.items()}


def test_plans_complete_like_the_schema_does(tmp_path: Path) -> None:
    shapes = shapes_of(tmp_path)
    assert len(shapes.data) > 40
    for client_state in (None, "YWJj"):
        call = a_call(client_state)
        for event_type, data in shapes.data.items():
            plan = shapes.plan(event_type)
            emitted = {**base_payload(call, event_type), "status": "completed"}
            schema = shapes.payload_schema(event_type)
            expected = dict(emitted) if schema is None else complete(shapes.doc, schema, emitted, known_of(call), NOW_TEXT)
            got = plan.fill(plan.payload, dict(emitted), call, NOW_TEXT)
            assert list(got.items()) == list(expected.items()), event_type
            known = known_of(call)
            declared = {n: s for n, s in (data.get("properties") or {}).items() if n not in ENVELOPE}
            fields = {n: known[n] if n in known else neutral(shapes.doc, s, NOW_TEXT) for n, s in declared.items()}
            assert list(plan.fill(plan.data, {}, call, NOW_TEXT).items()) == list(fields.items()), event_type
            assert bool(plan.data) == bool(fields), event_type


def test_each_event_gets_lists_and_objects_of_its_own(tmp_path: Path) -> None:
    shapes = shapes_of(tmp_path)
    call = a_call(None)
    plan = shapes.plan("call.initiated")
    first = plan.fill(plan.payload, base_payload(call, "call.initiated"), call, NOW_TEXT)
    second = plan.fill(plan.payload, base_payload(call, "call.initiated"), call, NOW_TEXT)
    assert first["custom_headers"] == call.custom_headers and first["custom_headers"] is not call.custom_headers
    for name, value in first.items():
        if isinstance(value, (list, dict)):
            assert value is not second[name], name
