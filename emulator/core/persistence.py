"""Optional persistence (``persist: true``): the state survives a restart of the emulator.

The whole state is saved as one snapshot (see ``emulator/core/snapshot.py``) in an SQLite file,
``<state_dir>/state.sqlite3`` (stdlib ``sqlite3``; one row, replaced atomically in a
transaction, so a crash mid-save leaves the previous snapshot intact). Saves happen shortly after
a successful write request (debounced: a burst of writes costs one save), after resets and
restores, and at shutdown. The snapshot is loaded when the app is built, before any request.

The clock is restored only when it was frozen: a running clock follows wall time after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core import snapshot
from emulator.core.errors import ApiError

if TYPE_CHECKING:
    from emulator.core.settings import Settings
    from emulator.core.state import EmulatorState

log = logging.getLogger("emulator.persistence")

_SCHEMA = "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), saved_at REAL NOT NULL, data TEXT NOT NULL)"


class Persistence:
    """``emulator.services.persistence``: loads at build time, saves on change and at stop."""

    def __init__(
        self,
        settings: Settings,
        state: EmulatorState,
        names: snapshot.StoreNames,
        participants: Callable[[], Mapping[str, snapshot.Participant]],
    ) -> None:
        self.state = state
        self.names = names
        self.participants = participants  # read when saving: services are installed after us
        self.path: Path = settings.state_dir / "state.sqlite3"
        self.debounce = settings.persist_debounce
        self._task: asyncio.Task[None] | None = None
        self.saves = 0
        self._pending_services: dict[str, Any] = {}

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path)
        conn.execute(_SCHEMA)
        return conn

    def load(self) -> bool:
        """Restore the saved snapshot, if any. A corrupt file is a start-up error naming it."""
        if not self.path.exists():
            return False
        try:
            with contextlib.closing(self._connect()) as conn:
                row = conn.execute("SELECT data FROM snapshot WHERE id = 1").fetchone()
        except sqlite3.Error as exc:
            raise ValueError(f"{self.path}: cannot read the saved state: {exc}") from exc
        if row is None:
            return False
        try:
            data = orjson.loads(row[0])
            if isinstance(data, dict) and not (data.get("clock") or {}).get("frozen"):
                data.pop("clock", None)
            snapshot.restore(self.state, data, self.names)
        except (orjson.JSONDecodeError, ApiError) as exc:
            raise ValueError(f"{self.path}: the saved state is invalid: {exc}") from exc
        self._pending_services = data.get("services") or {}
        log.info("restored state from %s", self.path)
        return True

    async def start(self) -> None:
        """Services are all installed by now: hand them their saved parts."""
        pending, self._pending_services = self._pending_services, {}
        if pending:
            try:
                snapshot.load_services(self.participants(), pending)
            except ApiError as exc:
                log.error("%s: saved service state not restored: %s", self.path, exc)

    def save(self) -> None:
        data = orjson.dumps(snapshot.take(self.state, self.participants())).decode()
        with contextlib.closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO snapshot (id, saved_at, data) VALUES (1, ?, ?)",
                (self.state.clock.now(), data),
            )
        self.saves += 1

    def mark_dirty(self) -> None:
        """Schedule a save after the debounce delay (one pending save at a time)."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): save now
            self.save()
            return
        self._task = loop.create_task(self._save_later(), name="emulator-persist")

    async def _save_later(self) -> None:
        await asyncio.sleep(self.debounce)
        try:
            self.save()
        except Exception:  # a failed save must not take the emulator down; say why
            log.exception("could not save state to %s", self.path)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            self.save()
        except Exception:
            log.exception("could not save state to %s at shutdown", self.path)
