"""Optional persistence (``--persist``): acknowledged writes survive a crash and a restart.

The state is kept as the pieces of a snapshot (``emulator/core/snapshot.py``) in an SQLite file,
``<state_dir>/state.sqlite3`` (stdlib ``sqlite3``, WAL journal), one row per piece::

    tenants(api_key, data)      a tenant's stores: {"<snapshot_name>": dump, ...}
    id_streams(api_key, state)  the tenant's seeded id generator
    services(name, data)        a snapshot participant's part (the webhook outbox, ...)
    meta(key, value)            "clock", "runs" (how many times this file was opened)

Loading reassembles a snapshot from the rows and restores it with ``snapshot.restore``, so a
saved state is validated exactly like ``POST /_emulator/restore`` (a bad file stops start-up,
naming it). A file written before the rows were split (one ``snapshot`` row) is still read.

When it saves (``persist_debounce``)
------------------------------------
``0`` (the default) is *durable*: the API's exchange (``http/exchange.py``) saves a successful write before the last
byte of its response leaves, so an acknowledged write is on disk. Only what the request can have
changed is written, in one transaction: the caller's tenant (plus tenants that are not saved
yet), the services and the clock; unchanged rows are skipped (compared with what was last written). WAL with
``synchronous=NORMAL`` means a commit is in the OS before the response goes out: killing the
emulator (even ``kill -9``) loses nothing; only a crash of the machine itself may lose the last
commits. Resets, restores and shutdown save everything.

``> 0`` is an opt-in faster mode: saves are batched at most that many seconds apart, so a crash
may lose the writes of the last ``persist_debounce`` seconds (their ids are still never reused).

Ids are never reused after a restart
------------------------------------
Each time the file is opened ``runs`` goes up; from the second run on every tenant's id stream
(restored or new) is reseeded by (seed, api key, run) (:meth:`IdFactory.resume`), and so are the
participants that keep their own streams (``resume_ids(run)``, e.g. the webhook dispatcher's event
ids). So an id handed out before a restart cannot come back after it, even if its record was lost.
The first run behaves exactly like an emulator without ``--persist``: same seed, same ids.

A tenant that cannot be saved
-----------------------------
Each tenant is serialised on its own. If one of its stores fails to dump (or dumps something
that is not JSON), that tenant keeps its last saved row, the others are saved as usual, and the
failure is logged and listed in :meth:`Persistence.status` (``problems``) until it saves again.
Its id stream is still saved. A store without ``dump``/``load`` simply takes no part.

Files are private: the state dir is created ``0700`` and the database files are ``0600`` (SQLite
gives its ``-wal``/``-shm`` files the database file's mode).

The clock is restored only when it was frozen: a running clock follows wall time after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core import snapshot
from emulator.core.errors import ApiError

if TYPE_CHECKING:
    from emulator.core.settings import Settings
    from emulator.core.state import EmulatorState, TenantState

log = logging.getLogger("emulator.persistence")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS tenants (api_key TEXT PRIMARY KEY, data BLOB NOT NULL)",  # JSON, as bytes
    "CREATE TABLE IF NOT EXISTS id_streams (api_key TEXT PRIMARY KEY, state BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS services (name TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_LEGACY = "snapshot"  # the one-row table of files written before the state was split into rows
_LOADED = b"\x00loaded"  # stands for a row read from disk and not written since (never valid JSON)


class _Unsaved(Exception):
    """A tenant or service whose state cannot be serialised this time (kept at its last save)."""


class Persistence:
    """``emulator.services.persistence``: loads at build time, saves after writes and at stop."""

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
        self.saves = 0
        self.run = 0
        """How many times the file has been opened, this start included (1 = a fresh file)."""
        self.problems: dict[str, str] = {}
        """What could not be saved at the last attempt ("tenant:<key>", "service:<name>", "save")."""
        self._task: asyncio.Task[None] | None = None
        self._pending_services: dict[str, Any] = {}
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # a TestClient calls in from its portal thread
        self._written: dict[str, bytes] = {}  # row key -> the bytes last written there (b"" = deleted)
        self._dirty: set[str] = set()  # tenants written since the last save (debounced mode)
        self._revisions: dict[str, Any] = {}  # participant -> snapshot_revision last written
        self._legacy = False  # loaded from the old one-row table: the first save writes every row
        state.on_tenant_created(self._resume_new_tenant)

    # -- the file ---------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            directory = self.path.parent
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                directory.chmod(0o700)  # mkdir's mode is filtered by the umask
            elif directory.stat().st_mode & 0o077:
                log.warning("%s is readable by other users; the saved state inside is kept 0600", directory)
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self.path.chmod(0o600)  # also a file left by an older version with the umask's mode
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # commits reach the OS: a killed process loses nothing
            conn.execute("PRAGMA wal_autocheckpoint=4096")  # checkpoints (they fsync) every 16 MB of WAL, not 4
            conn.execute("PRAGMA journal_size_limit=16777216")  # and the WAL file shrinks back to that
            for statement in _SCHEMA:
                conn.execute(statement)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> bool:
        """Restore the saved state, if any. A corrupt file is a start-up error naming it."""
        existed = self.path.exists()
        try:
            with self._lock:
                conn = self._connect()
                data = self._read(conn) if existed else None
                row = conn.execute("SELECT value FROM meta WHERE key = 'runs'").fetchone()
                self.run = (int(row[0]) if row else 0) + 1
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('runs', ?)", (str(self.run),))
        except (sqlite3.Error, ValueError) as exc:
            self.close()
            raise ValueError(f"{self.path}: cannot read the saved state: {exc}") from exc
        if data is None:
            return False
        try:
            if not (data.get("clock") or {}).get("frozen"):
                data.pop("clock", None)
            snapshot.restore(self.state, data, self.names)
        except ApiError as exc:
            self.close()
            raise ValueError(f"{self.path}: the saved state is invalid: {exc}") from exc
        if self.run > 1:
            for tenant in self.state.tenants.values():
                tenant.ids.resume(self.run)
        self._pending_services = data.get("services") or {}
        log.info("restored state from %s (run %d)", self.path, self.run)
        return True

    def _read(self, conn: sqlite3.Connection) -> dict[str, Any] | None:
        """The saved rows as one snapshot (raises ValueError when one is not JSON)."""
        tenants = {key: _json(raw, f"tenant {key!r}") for key, raw in conn.execute("SELECT api_key, data FROM tenants")}
        ids = {key: _json(raw, f"id stream {key!r}") for key, raw in conn.execute("SELECT api_key, state FROM id_streams")}
        services = {name: _json(raw, f"service {name!r}") for name, raw in conn.execute("SELECT name, data FROM services")}
        clock_row = conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()
        if tenants or ids or services or clock_row:
            # Rows on disk count as saved (with bytes no dump matches): an untouched restored tenant
            # is not rewritten, and a reset still deletes its rows.
            self._written.update({f"t:{k}": _LOADED for k in tenants} | {f"i:{k}": _LOADED for k in ids})
            self._written.update({f"s:{k}": _LOADED for k in services})
            data: dict[str, Any] = {"tenants": tenants, "ids": ids, "services": services}
            if clock_row is not None:
                data["clock"] = _json(clock_row[0], "clock")
            return data
        legacy = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (_LEGACY,)).fetchone()
        if legacy is None:
            return None
        row = conn.execute(f"SELECT data FROM {_LEGACY} WHERE id = 1").fetchone()  # noqa: S608 - a constant
        if row is None:
            return None
        old = _json(row[0], "snapshot")
        if not isinstance(old, dict):
            raise ValueError("the saved snapshot is not a JSON object")
        self._legacy = True
        return old

    async def start(self) -> None:
        """Services are all installed by now: hand them their saved parts and their id run."""
        pending, self._pending_services = self._pending_services, {}
        participants = self.participants()
        if pending:
            try:
                snapshot.load_services(participants, pending)
            except ApiError as exc:
                log.error("%s: saved service state not restored: %s", self.path, exc)
        if self.run > 1:
            for service in participants.values():
                resume = getattr(service, "resume_ids", None)
                if callable(resume):
                    resume(self.run)

    def _resume_new_tenant(self, tenant: TenantState) -> None:
        if self.run > 1:
            tenant.ids.resume(self.run)

    # -- saving -----------------------------------------------------------------------------------

    def after_write(self, api_key: str | None) -> None:
        """A write request succeeded: save now (durable mode) or soon (debounced mode)."""
        if self.debounce <= 0:
            self._save_guarded(None if api_key is None else (api_key,))
            return
        if api_key is not None:
            self._dirty.add(api_key)
        self._schedule()

    def mark_dirty(self) -> None:
        """Anything may have changed (a reset, a restore): save everything, now or soon."""
        if self.debounce <= 0:
            self._save_guarded(None)
            return
        self._dirty.update(self.state.tenants)
        self._dirty.add("\x00all")  # tenants that are gone must lose their rows too
        self._schedule()

    def save(self, tenants: Iterable[str] | None = None) -> None:
        """Write ``tenants`` (None = all) and the tenants not saved yet, the services and the
        clock, in one transaction. Raises ``sqlite3.Error`` if the file cannot be written."""
        every = tenants is None
        keys = set(self.state.tenants) if tenants is None else set(tenants)
        keys.update(k for k in self.state.tenants if f"t:{k}" not in self._written)
        writes: list[tuple[str, tuple[Any, ...]]] = []
        written: dict[str, bytes] = {}
        for key in sorted(keys):
            tenant = self.state.tenants.get(key)
            if tenant is None:  # reset since: its rows go
                writes.append(("DELETE FROM tenants WHERE api_key = ?", (key,)))
                writes.append(("DELETE FROM id_streams WHERE api_key = ?", (key,)))
                written[f"t:{key}"] = written[f"i:{key}"] = b""
                self.problems.pop(f"tenant:{key}", None)
                continue
            version, internal, gauss = tenant.ids.random.getstate()
            self._row(writes, written, f"i:{key}", orjson.dumps([version, list(internal), gauss]),
                      "INSERT OR REPLACE INTO id_streams (api_key, state) VALUES (?, ?)", key)
            try:
                data = _dump_tenant(tenant)
            except _Unsaved as exc:
                if self.problems.get(f"tenant:{key}") != str(exc):  # once per problem, not per write
                    log.error("%s: tenant %r not saved (it keeps its last saved state): %s", self.path, key, exc)
                self.problems[f"tenant:{key}"] = str(exc)
                continue
            self.problems.pop(f"tenant:{key}", None)
            self._row(writes, written, f"t:{key}", data, "INSERT OR REPLACE INTO tenants (api_key, data) VALUES (?, ?)", key)
        if every:  # tenants reset since their last save lose their rows
            for row_key, last in self._written.items():
                kind, key = row_key[:2], row_key[2:]
                if kind in ("t:", "i:") and last and key not in self.state.tenants and key not in keys:
                    table = "tenants" if kind == "t:" else "id_streams"
                    writes.append((f"DELETE FROM {table} WHERE api_key = ?", (key,)))  # noqa: S608 - constants
                    written[row_key] = b""
                    self.problems.pop(f"tenant:{key}", None)
        self._services(writes, written)
        clock = orjson.dumps({"now": self.state.clock.now(), "frozen": self.state.clock.frozen})
        writes.append(("INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)", (clock.decode(),)))
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement, params in writes:
                    conn.execute(statement, params)
                if self._legacy:
                    conn.execute(f"DROP TABLE IF EXISTS {_LEGACY}")  # its data now lives in the rows
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        self._written.update(written)
        self._legacy = False
        self.saves += 1

    def _row(self, writes: list[tuple[str, tuple[Any, ...]]], written: dict[str, bytes], row_key: str,
             data: bytes, statement: str, key: str) -> None:
        if self._written.get(row_key) != data:  # a memcmp: cheaper than hashing what was written
            writes.append((statement, (key, data)))
            written[row_key] = data

    def _services(self, writes: list[tuple[str, tuple[Any, ...]]], written: dict[str, bytes]) -> None:
        for name, service in self.participants().items():
            revision = getattr(service, "snapshot_revision", None)
            if revision is not None and self._revisions.get(name) == revision and f"s:{name}" in self._written:
                continue  # unchanged since it was last written: skip the dump
            try:
                data = orjson.dumps(service.snapshot_dump())
            except Exception as exc:  # noqa: BLE001 - one service must not stop the others' saves
                self.problems[f"service:{name}"] = f"{type(exc).__name__}: {exc}"
                log.error("%s: service %r not saved (it keeps its last saved state): %s", self.path, name, exc)
                continue
            self.problems.pop(f"service:{name}", None)
            self._row(writes, written, f"s:{name}", data, "INSERT OR REPLACE INTO services (name, data) VALUES (?, ?)", name)
            if revision is not None:
                self._revisions[name] = revision

    def _save_guarded(self, tenants: Iterable[str] | None) -> None:
        try:
            self.save(tenants)
        except Exception as exc:  # a failed save must not take the emulator down; say why
            self.problems["save"] = f"{type(exc).__name__}: {exc}"
            log.exception("could not save state to %s", self.path)
        else:
            self.problems.pop("save", None)

    def status(self) -> dict[str, Any]:
        """For health reports: where the state is saved, how often, and what could not be."""
        mode = "durable" if self.debounce <= 0 else f"debounced {self.debounce:g}s"
        return {"path": str(self.path), "mode": mode, "run": self.run, "saves": self.saves, "problems": dict(self.problems)}

    # -- debounced mode ---------------------------------------------------------------------------

    def _schedule(self) -> None:
        """Save after the debounce delay (one pending save at a time)."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): save now
            self._flush()
            return
        self._task = loop.create_task(self._save_later(), name="emulator-persist")

    async def _save_later(self) -> None:
        await asyncio.sleep(self.debounce)
        self._flush()

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        self._save_guarded(None if "\x00all" in dirty else dirty)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._dirty.clear()
        try:
            self.save()
        except Exception:
            log.exception("could not save state to %s at shutdown", self.path)
        self.close()


def _json(raw: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{what} is not JSON: {exc}") from exc


def _dump_tenant(tenant: TenantState) -> bytes:
    """The tenant's snapshot-capable stores as a JSON object (bytes, each store dumped once);
    ``_Unsaved`` names the store that fails."""
    parts: list[bytes] = []
    for kind, store in tenant.stores().items():
        if not callable(getattr(kind, "load", None)) or not callable(getattr(store, "dump", None)):
            continue  # takes no part in snapshots (see core/snapshot.py)
        name = snapshot.class_name(kind)
        try:
            parts.append(orjson.dumps(name) + b":" + orjson.dumps(store.dump()))
        except Exception as exc:  # a store bug must not stop the other tenants' saves
            raise _Unsaved(f"store {name!r}: {type(exc).__name__}: {exc}") from exc
    return b"{" + b",".join(parts) + b"}"
