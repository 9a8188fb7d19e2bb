"""One test's view of the emulator (the ``emulator`` fixture): its API key, and thin helpers over
the control API — faults, the clock, the journal, the webhook outbox, call scripts, fixtures.

Every helper scopes itself to the test's key where the control API allows it (fault rules match
only this key's requests, the journal and outbox are read for this key), so tests sharing one
emulator do not see each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.testing.control import Control
    from emulator.testing.server import EmulatorServer

_MATCH_FIELDS = ("operation_id", "method", "path", "path_regex", "call_id", "body")
"""Fault-rule match fields that may be written at the top level of ``fault(...)``."""

class Clock:
    """The emulator clock (``/_emulator/clock``). It is the whole emulator's, not one key's."""

    def __init__(self, control: Control) -> None:
        self.control = control
        self.touched = False

    def now(self) -> dict[str, Any]:
        """``{"now": iso, "epoch": seconds, "frozen": bool, "pending_timers": n}``."""
        view: dict[str, Any] = self.control.get("/clock")
        return view

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock on; timers due by then (ringing, scripted steps, hangups) fire first."""
        return self._post({"advance": seconds})

    def set(self, at: str | float, *, freeze: bool | None = None) -> dict[str, Any]:
        return self._post({"set": at} if freeze is None else {"set": at, "freeze": freeze})

    def freeze(self) -> dict[str, Any]:
        return self._post({"freeze": True})

    def unfreeze(self) -> dict[str, Any]:
        return self._post({"freeze": False})

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        self.touched = True
        view: dict[str, Any] = self.control.post("/clock", body)
        return view


class Emulator:
    """The emulator as one test sees it.

    ``url`` is the server (``http://127.0.0.1:<port>``), ``base_url`` what SDKs take
    (``{url}/v2``), ``api_key`` this test's key (a fresh one per test by default).
    """

    def __init__(self, server: EmulatorServer, api_key: str) -> None:
        self.server = server
        self.control = server.control
        self.url = server.url
        self.base_url = f"{server.url}/v2"
        self.api_key = api_key
        self.clock = Clock(self.control)
        self._faults: list[str] = []
        self.journal_start = int(self.control.get("/journal", limit=0, bodies=False)["meta"]["last_seq"])
        """The journal's newest ``seq`` when the test began: its helpers read only what came after
        (a rerun, or an emulator shared with earlier runs, keeps older entries of the same key)."""

    @property
    def public_key(self) -> str:
        return self.server.public_key

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` for a raw HTTP client (httpx, requests) talking to the API."""
        return {"Authorization": f"Bearer {self.api_key}"}

    # -- faults -----------------------------------------------------------------------------

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (``POST /_emulator/faults``) for this test's key; match fields
        (``operation_id``, ``method``, ``path``, ``call_id``, ``body``) may sit at the top level.
        Removed at the end of the test. Returns the stored rule (with its ``id`` and counters)."""
        match = dict(rule.pop("match", None) or {})
        for name in _MATCH_FIELDS:
            if name in rule:
                match[name] = rule.pop(name)
        match.setdefault("api_key", self.api_key)
        created: dict[str, Any] = self.control.post("/faults", {**rule, "match": match})["data"]
        self._faults.append(created["id"])
        return created

    def remove_fault(self, rule_id: str) -> None:
        self.control.delete(f"/faults/{rule_id}", ok=(404,))  # 404: a reset already dropped it
        if rule_id in self._faults:
            self._faults.remove(rule_id)

    @contextmanager
    def fault(self, **rule: Any) -> Iterator[dict[str, Any]]:
        """A fault rule active inside the ``with`` block only. Unlike a bare rule (which fires
        once), it fires on every matching request until the block ends, unless ``times`` says."""
        rule.setdefault("times", None)
        created = self.add_fault(**rule)
        try:
            yield created
        finally:
            self.remove_fault(created["id"])

    # -- the journal ------------------------------------------------------------------------

    def _scoped(self, matcher: dict[str, Any]) -> dict[str, Any]:
        if "api_key" in matcher and matcher["api_key"] is None:  # everyone's
            del matcher["api_key"]
        else:
            matcher.setdefault("api_key", self.api_key)
        return matcher

    def _this_test(self, matcher: dict[str, Any]) -> dict[str, Any]:
        scoped = self._scoped(matcher)
        scoped.setdefault("after", self.journal_start)
        return scoped

    def journal(self, *, limit: int | None = None, bodies: bool = True, **filters: Any) -> list[dict[str, Any]]:
        """This test's API requests (``api_key=None`` for every key's), oldest first, each with
        request and response headers and bodies. Filters: method, path (substring or glob),
        operation_id, status (422 or "4xx"), since, until, fault_rule, request_id, body_contains."""
        params = self._this_test(filters)
        data: list[dict[str, Any]] = self.control.get("/journal", limit=limit, bodies=bodies, **params)["data"]
        return data[::-1]

    def journal_count(self, **matcher: Any) -> int:
        """How many of this test's requests match (``POST /_emulator/journal/count``); besides the
        journal filters, ``body={"/to": "+1..."}`` matches request-body fields by JSON pointer."""
        return int(self.control.post("/journal/count", self._this_test(matcher))["count"])

    def assert_requested(self, times: int | None = None, **matcher: Any) -> int:
        """Fail unless requests matching ``matcher`` were made (exactly ``times`` of them, when
        given); the message lists this key's requests. Returns the count."""
        found = self.journal_count(**dict(matcher))
        if (times is None and found == 0) or (times is not None and found != times):
            seen = [f"{e['method']} {e['path']} -> {e['status']} ({e['operation_id']})" for e in self.journal(bodies=False)]
            wanted = "at least one" if times is None else f"exactly {times}"
            raise AssertionError(f"expected {wanted} request(s) matching {matcher}, found {found}; this test's requests: {seen}")
        return found

    # -- webhooks ---------------------------------------------------------------------------

    def wait_for_webhooks(self, *, timeout: float = 5.0, call: str | None = None) -> list[dict[str, Any]]:
        """Block until no delivery of this key (of one call, if given) is pending — every
        attempt finished — and return its events as the outbox records them."""
        body: dict[str, Any] = {"api_key": self.api_key, "timeout": timeout}
        if call is not None:
            body["call"] = call
        data: list[dict[str, Any]] = self.control.post("/webhooks/wait", body)["data"]
        return data

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        """This key's logged webhook events (``GET /_emulator/webhooks/deliveries``), oldest first."""
        data: list[dict[str, Any]] = self.control.get("/webhooks/deliveries", **self._scoped(filters))["data"]
        return data

    # -- calls, fixtures, modes -------------------------------------------------------------

    def script_call(self, to: str, *steps: Any, **extra: Any) -> dict[str, Any]:
        """Queue how the other party of the next call to ``to`` behaves (``POST /_emulator/calls/scripts``),
        e.g. ``script_call("+13125550100", {"action": "answer", "after": 2}, "say hello", {"action": "hangup", "after": 5})``."""
        created: dict[str, Any] = self.control.post("/calls/scripts", {"to": to, "steps": list(steps), "api_key": self.api_key, **extra})["data"]
        return created

    def inbound_call(self, *, from_: str, to: str, connection_id: str, **body: Any) -> dict[str, Any]:
        """Someone calls the user's app (``POST /_emulator/calls/inbound``, for this key): a parked
        incoming call and its ``call.initiated``. Returns the call (``call_control_id`` ...)."""
        sent = {"api_key": self.api_key, "from": from_, "to": to, "connection_id": connection_id, **body}
        started: dict[str, Any] = self.control.post("/calls/inbound", sent)["data"]
        return started

    def call(self, call_id: str) -> dict[str, Any]:
        """The emulator's view of one call (``GET /_emulator/calls/{id}``)."""
        view: dict[str, Any] = self.control.get(f"/calls/{call_id}", api_key=self.api_key)
        return view

    def load_fixture(self, kind: str, data: Any) -> list[dict[str, Any]]:
        """Load a fixture (``POST /_emulator/fixtures``); it seeds every tenant, this one included."""
        loaded: list[dict[str, Any]] = self.control.post("/fixtures", {"kind": kind, "data": data})["data"]
        return loaded

    def set_mode(self, *, lenient: bool | None = None, **mode: Any) -> dict[str, Any]:
        """This key's strict/lenient mode (``PUT /_emulator/modes/{key}``)."""
        body = {**mode, **({} if lenient is None else {"lenient": lenient})}
        view: dict[str, Any] = self.control.put(f"/modes/{self.api_key}", body)
        return view

    def reset(self) -> None:
        """Forget this key's state (resources, calls, webhook log)."""
        self.control.post("/reset", {"api_key": self.api_key})

    # -- the fixture's end of the test --------------------------------------------------------

    def close(self) -> None:
        for rule_id in list(self._faults):
            self.remove_fault(rule_id)
        if self.clock.touched:
            self.control.post("/clock", {"freeze": False})  # the next test starts on a running clock
