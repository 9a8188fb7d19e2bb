"""Control API for state: snapshot/restore, the emulator clock, the request journal, fixtures.

``GET /_emulator/snapshot`` → the whole state as JSON (format in ``emulator/core/snapshot.py``);
``POST /_emulator/restore`` ← that JSON (all or nothing). ``GET|POST /_emulator/clock`` reads,
advances (``{"advance": seconds}``) or sets (``{"set": iso|epoch, "freeze": bool}``) the clock.
``GET|DELETE /_emulator/journal`` lists (filtered, newest first) or clears recent API requests.
``GET|POST /_emulator/fixtures`` lists the loaded fixtures or loads one more.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of, json_body
from emulator.core import snapshot
from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute
from emulator.runtime.fixtures import FixtureError

MAX_EPOCH = 253402300799.0
"""9999-12-31T23:59:59Z: beyond it no timestamp can be written, so the clock never goes there."""

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def _invalid(pointer: str, message: str) -> ValidationFailed:
    return ValidationFailed(items=[ErrorItem(message, pointer=pointer)])


def _after_change(emulator: Emulator) -> None:
    persistence = emulator.services.persistence
    if persistence is not None:
        persistence.mark_dirty()


async def get_snapshot(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(snapshot.take(emulator.state, emulator.services.snapshot_participants()))


async def post_restore(request: Request) -> Response:
    emulator = emulator_of(request)
    data = await json_body(request)
    summary = snapshot.restore(emulator.state, data, emulator.store_names, emulator.services.snapshot_participants())
    _after_change(emulator)
    return JSONResponse(summary)


def parse_instant(value: Any, pointer: str) -> float:
    """Unix seconds from an epoch number or an ISO 8601 string (``Z`` or an offset)."""
    if isinstance(value, bool):
        raise _invalid(pointer, "expected an ISO 8601 timestamp or Unix seconds")
    if isinstance(value, int | float):
        if not 0 <= value <= MAX_EPOCH:
            raise _invalid(pointer, "Unix seconds must lie between 1970 and year 9999")
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise _invalid(pointer, f"not an ISO 8601 timestamp: {value!r}") from exc
        if parsed.tzinfo is None:
            raise _invalid(pointer, "the timestamp needs a time zone (e.g. a trailing Z)")
        return parsed.timestamp()
    raise _invalid(pointer, "expected an ISO 8601 timestamp or Unix seconds")


def clock_view(emulator: Emulator) -> dict[str, Any]:
    clock = emulator.state.clock
    return {"now": clock.iso(), "epoch": clock.now(), "frozen": clock.frozen, "pending_timers": emulator.state.scheduler.pending()}


async def clock(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "POST":
        body = await json_body(request)
        unknown = sorted(set(body) - {"advance", "set", "freeze"})
        if unknown:
            raise _invalid(f"/{unknown[0]}", f"unknown field {unknown[0]!r}; use advance, set, freeze")
        freeze = body.get("freeze")
        if freeze is not None and not isinstance(freeze, bool):
            raise _invalid("/freeze", "freeze must be a boolean")
        clk = emulator.state.clock
        if "set" in body:
            at = parse_instant(body["set"], "/set")
            if at < clk.now() and emulator.state.scheduler.pending():
                raise _invalid("/set", "cannot move the clock back while timers are pending")
            clk.set(at, freeze=clk.frozen if freeze is None else freeze)
        elif freeze is not None:
            clk.set(clk.now(), freeze=freeze)
        if "advance" in body:
            seconds = body["advance"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_EPOCH - clk.now():
                raise _invalid("/advance", "advance must be a non-negative number of seconds that keeps the clock before year 10000")
            clk.advance(float(seconds))
            await emulator.state.scheduler.run_due()  # timers now due fire before we answer
    return JSONResponse(clock_view(emulator))


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ValidationFailed(items=[ErrorItem(f"{name} must be a non-negative integer", parameter=name, location="query")])
    return int(raw)


async def journal(request: Request) -> Response:
    emulator = emulator_of(request)
    found = emulator.services.journal
    if request.method == "DELETE":
        return JSONResponse({"deleted": found.clear()})
    q = request.query_params
    entries = found.query(
        method=q.get("method"),
        path=q.get("path"),
        status=_int_param(request, "status"),
        api_key=q.get("api_key"),
        operation_id=q.get("operation_id"),
        fault_rule=q.get("fault_rule"),
        limit=_int_param(request, "limit"),
    )
    return JSONResponse({"data": [e.as_dict() for e in entries], "meta": {"returned": len(entries), "stored": len(found)}})


async def fixtures(request: Request) -> Response:
    emulator = emulator_of(request)
    service = emulator.services.fixtures
    if request.method == "POST":
        body = await json_body(request, keys=("kind", "data"))
        kind = body.get("kind")
        if not isinstance(kind, str):
            raise _invalid("/kind", "kind is required (e.g. assistants, collection)")
        if "data" not in body:
            raise _invalid("/data", "data is required: the fixture file's content as JSON")
        try:
            added = service.add(kind, body["data"], source=f"control API ({kind})")
        except FixtureError as exc:
            raise _invalid("/data", str(exc)) from exc
        _after_change(emulator)
        return JSONResponse({"data": [s.describe() for s in added]}, status_code=201)
    return JSONResponse({"data": service.describe()})


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/snapshot", get_snapshot, "snapshot",
        "The whole state as JSON (stores without load() are listed in skipped)",
        {"responses": {"200": {"description": "snapshot"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/restore", post_restore, "restore",
        "Replace the state with a snapshot (all or nothing; pending timers are cancelled)",
        {"responses": {"200": {"description": "restored"}, "422": {"description": "invalid snapshot"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/clock", clock, "getClock",
        "The emulator clock",
        {"responses": {"200": {"description": "clock"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/clock", clock, "setClock",
        "Advance, set or freeze the emulator clock",
        {
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "advance": {"type": "number"},
                                "set": {"type": ["string", "number"]},
                                "freeze": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
            "responses": {"200": {"description": "clock"}},
        },
    ),
    ControlRoute(
        "GET", "/_emulator/journal", journal, "journal",
        "Recent API requests, newest first",
        {
            "parameters": [
                {"name": "method", "in": "query", "schema": {"type": "string"}},
                {"name": "path", "in": "query", "schema": {"type": "string"}},
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {"name": "api_key", "in": "query", "schema": {"type": "string"}},
                {"name": "operation_id", "in": "query", "schema": {"type": "string"}},
                {"name": "fault_rule", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": {"description": "entries"}},
        },
    ),
    ControlRoute(
        "DELETE", "/_emulator/journal", journal, "clearJournal",
        "Forget recorded requests",
        {"responses": {"200": {"description": "cleared"}}},
    ),
    ControlRoute(
        "GET", "/_emulator/fixtures", fixtures, "listFixtures",
        "Loaded fixtures",
        {"responses": {"200": {"description": "fixtures"}}},
    ),
    ControlRoute(
        "POST", "/_emulator/fixtures", fixtures, "loadFixture",
        "Load one more fixture ({kind, data}); seeds every tenant now and after resets",
        {"responses": {"201": {"description": "loaded"}, "422": {"description": "invalid fixture"}}},
    ),
)
