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

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.journal import JournalCleared, JournalPage, JournalQuery, journal_query
from emulator.control.requests import Body, Reply, emulator_of, own_key, parse, reply, scope_key
from emulator.core import snapshot
from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.core.journal import JournalMatch
from emulator.http.responses import JSONResponse
from emulator.runtime.family import ControlRoute
from emulator.runtime.fixtures import FixtureError

MAX_EPOCH = 253402300799.0
"""9999-12-31T23:59:59Z: beyond it no timestamp can be written, so the clock never goes there."""

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def _invalid(pointer: str, message: str) -> ValidationFailed:
    return ValidationFailed(items=[ErrorItem(message, pointer=pointer)])


class Snapshot(Reply):
    """The format is described in ``emulator/core/snapshot.py``."""

    format: str
    version: int
    clock: dict[str, Any] = Field(description="{now: Unix seconds, frozen: bool}")
    tenants: dict[str, Any] = Field(description="per API key, each store's state by snapshot name")
    ids: dict[str, Any]
    services: dict[str, Any]
    skipped: list[dict[str, Any]] = Field(description="stores that could not be dumped, and why")


class RestoreRequest(Body):
    """A snapshot as ``GET /_emulator/snapshot`` returned it; every part optional. The contents
    are checked by ``snapshot.restore``, which names the offending store or field."""

    format: str | None = None
    version: int | None = None
    clock: Any = None
    tenants: Any = None
    ids: Any = None
    services: Any = None
    skipped: Any = None


class Restored(Reply):
    restored: dict[str, list[str]] = Field(description="per API key, the stores restored")
    services: list[str]
    clock: str


class ClockRequest(Body):
    advance: float | None = Field(default=None, description="seconds to move forward (due timers fire)")
    set: str | float | None = Field(default=None, description="ISO 8601 with a zone, or Unix seconds")
    freeze: bool | None = None


class ClockView(Reply):
    now: str
    epoch: float
    frozen: bool
    pending_timers: int


class FixtureRequest(Body):
    kind: str = Field(description="a fixture kind, e.g. assistants, collection")
    data: Any = Field(description="the fixture file's content as JSON")


class FixtureList(Reply):
    data: list[dict[str, Any]]


def _after_change(emulator: Emulator) -> None:
    persistence = emulator.services.persistence
    if persistence is not None:
        persistence.mark_dirty()


async def get_snapshot(request: Request) -> Response:
    emulator = emulator_of(request)
    return reply(Snapshot.model_validate(snapshot.take(emulator.state, emulator.services.snapshot_participants())))


async def post_restore(request: Request) -> Response:
    emulator = emulator_of(request)
    data = (await parse(request, RestoreRequest)).model_dump(exclude_unset=True)
    summary = snapshot.restore(emulator.state, data, emulator.store_names, emulator.services.snapshot_participants())
    _after_change(emulator)
    return reply(Restored.model_validate(summary))


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


def clock_view(emulator: Emulator) -> ClockView:
    clock = emulator.state.clock
    return ClockView(now=clock.iso(), epoch=clock.now(), frozen=clock.frozen, pending_timers=emulator.state.scheduler.pending())


async def clock(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "POST":
        body = await parse(request, ClockRequest)
        freeze = body.freeze
        clk = emulator.state.clock
        if "set" in body.model_fields_set:
            at = parse_instant(body.set, "/set")
            if at < clk.now() and emulator.state.scheduler.pending():
                raise _invalid("/set", "cannot move the clock back while timers are pending")
            clk.set(at, freeze=clk.frozen if freeze is None else freeze)
        elif freeze is not None:
            clk.set(clk.now(), freeze=freeze)
        if "advance" in body.model_fields_set:
            seconds = body.advance
            if seconds is None or not 0 <= seconds <= MAX_EPOCH - clk.now():
                raise _invalid("/advance", "advance must be a non-negative number of seconds that keeps the clock before year 10000")
            clk.advance(float(seconds))
            await emulator.state.scheduler.run_due()  # timers now due fire before we answer
    return reply(clock_view(emulator))


async def journal(request: Request) -> Response:
    """List (filtered, newest first; the filters of ``control/journal.py``) or clear the journal.
    A tenant caller lists its own requests only; clearing (everyone's) is the admin's."""
    emulator = emulator_of(request)
    found = emulator.services.journal
    if request.method == "DELETE":
        return JSONResponse({"deleted": found.clear()})
    q = journal_query(request)
    q = q.model_copy(update={"api_key": scope_key(request, q)})  # a tenant reads its own requests only
    entries = found.select(q.to_match(), limit=q.limit)
    stored = len(found) if own_key(request) is None else found.count(JournalMatch(api_key=q.api_key))
    return JSONResponse({"data": [e.as_dict(bodies=q.bodies) for e in entries], "meta": {"returned": len(entries), "stored": stored, "last_seq": found.last_seq}})


async def fixtures(request: Request) -> Response:
    emulator = emulator_of(request)
    service = emulator.services.fixtures
    if request.method == "POST":
        body = await parse(request, FixtureRequest)
        try:
            added = service.add(body.kind, body.data, source=f"control API ({body.kind})")
        except FixtureError as exc:
            raise _invalid("/data", str(exc)) from exc
        _after_change(emulator)
        return reply(FixtureList(data=[s.describe() for s in added]), status_code=201)
    return reply(FixtureList(data=service.describe()))


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/snapshot", get_snapshot, "snapshot",
        "The whole state as JSON (stores without load() are listed in skipped)",
        {"responses": {"200": {"description": "snapshot"}}},
        response=Snapshot,
        access="admin",  # every tenant's keys and data
    ),
    ControlRoute(
        "POST", "/_emulator/restore", post_restore, "restore",
        "Replace the state with a snapshot (all or nothing; pending timers are cancelled)",
        {"responses": {"200": {"description": "restored"}, "422": {"description": "invalid snapshot"}}},
        body=RestoreRequest, response=Restored,
        access="admin",  # replaces every tenant
    ),
    ControlRoute(
        "GET", "/_emulator/clock", clock, "getClock",
        "The emulator clock",
        {"responses": {"200": {"description": "clock"}}},
        response=ClockView,
        access="tenant",  # reading the one clock tells nothing about anyone
    ),
    ControlRoute(
        "POST", "/_emulator/clock", clock, "setClock",
        "Advance, set or freeze the emulator clock",
        {"responses": {"200": {"description": "clock"}}},
        body=ClockRequest, response=ClockView,
        access="admin",  # one clock moves every tenant's timers
    ),
    ControlRoute(
        "GET", "/_emulator/journal", journal, "journal",
        "Recent API requests with their headers and bodies (bounded, Authorization redacted), newest first",
        {"responses": {"200": {"description": "entries"}, "422": {"description": "unknown or invalid filter"}}},
        response=JournalPage, query=JournalQuery,
        access="tenant",  # a tenant's own requests only
    ),
    ControlRoute(
        "DELETE", "/_emulator/journal", journal, "clearJournal",
        "Forget recorded requests",
        {"responses": {"200": {"description": "cleared"}}},
        response=JournalCleared,
        access="admin",  # the journal is one ring for everyone
    ),
    ControlRoute(
        "GET", "/_emulator/fixtures", fixtures, "listFixtures",
        "Loaded fixtures",
        {"responses": {"200": {"description": "fixtures"}}},
        response=FixtureList,
        access="tenant",  # what seeds every tenant, each tenant sees through the API anyway
    ),
    ControlRoute(
        "POST", "/_emulator/fixtures", fixtures, "loadFixture",
        "Load one more fixture ({kind, data}); seeds every tenant now and after resets",
        {"responses": {"201": {"description": "loaded"}, "422": {"description": "invalid fixture"}}},
        body=FixtureRequest, response=FixtureList,
        access="admin",  # seeds every tenant
    ),
)
