"""Wiring of the scenario and state-control services into a runtime (one call from services.py).

Order matters: fixtures are parsed first (a malformed file stops start-up, naming it), then a
persisted state is restored (restored tenants keep their data; fixtures seed only tenants created
afterwards), then the clock is placed where the settings say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.fixtures_loader import Fixtures
from emulator.paths import fixtures_dir
from emulator.scenarios.hooks import Scenarios
from emulator.scenarios.journal import Journal
from emulator.store.persistence import Persistence

if TYPE_CHECKING:
    from emulator.runtime import Emulator
    from emulator.store.state import EmulatorState


def _clock_start(value: str) -> float:
    from datetime import datetime  # noqa: PLC0415

    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"clock_start: not an ISO 8601 timestamp or Unix seconds: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"clock_start: the timestamp needs a time zone (e.g. a trailing Z): {value!r}")
    return parsed.timestamp()


def install(emulator: Emulator) -> None:
    settings = emulator.settings
    scenarios = Scenarios(emulator)
    journal = Journal(settings.journal_size)
    emulator.services["scenarios"] = scenarios
    emulator.services["journal"] = journal
    folders = [fixtures_dir()]
    if settings.fixtures is not None:
        folders.append(settings.fixtures)
    emulator.services["fixtures"] = Fixtures(emulator, folders)
    persistence = Persistence(emulator) if settings.persist else None
    if persistence is not None:
        emulator.services["persistence"] = persistence
        persistence.load()

    clock = emulator.state.clock
    if settings.clock_start is not None:
        clock.set(_clock_start(settings.clock_start), freeze=settings.clock_frozen)
    elif settings.clock_frozen and not clock.frozen:
        clock.set(clock.now(), freeze=True)

    def on_reset(state: EmulatorState, api_key: str | None) -> None:
        if api_key is None:  # a full reset puts the whole emulator back, rules included
            scenarios.reset()
            journal.clear()
        if persistence is not None:
            persistence.mark_dirty()

    emulator.state.on_reset(on_reset)
