"""The pytest plugin (entry point ``pytest11: telnyx_emulator``): installed with the package,
active in every pytest run, and idle until a test asks for one of its fixtures.

Fixtures: ``telnyx_emulator`` (session: the server), ``emulator`` (this test's key and helpers),
``telnyx_client`` / ``async_telnyx_client`` / ``openai_client`` (official SDKs, ready),
``webhooks`` (a receiver registered as the key's default webhook URL, verifying signatures),
``telnyx_emulator_settings`` (override it to pass settings to the in-process emulator).
Markers: ``telnyx_fault(**rule)`` (a fault rule for the whole test), ``telnyx_lenient``.

Isolation (``--telnyx-emulator-isolation`` or the ini option ``telnyx_emulator_isolation``):
``key`` (default) gives each test a fresh API key — the emulator keeps every key's state apart;
``reset`` uses one key and resets the whole emulator before each test; ``none`` shares one key.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from emulator.testing.receiver import WebhookReceiver, Webhooks
from emulator.testing.server import EmulatorServer
from emulator.testing.session import Emulator

if TYPE_CHECKING:
    import openai
    import telnyx

ISOLATIONS = ("key", "reset", "none")
SHARED_KEY = "test-key"
"""The API key of every test with isolation ``reset`` or ``none``."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("telnyx-emulator", "telnyx-emulator pytest plugin")
    group.addoption("--telnyx-emulator-url", default=None, help="use the emulator running at this URL (default: $TELNYX_EMULATOR_URL, else start one in-process)")
    group.addoption("--telnyx-emulator-isolation", choices=ISOLATIONS, default=None, help="per test: a fresh API key (key, default), a full reset (reset), or nothing (none)")
    group.addoption("--telnyx-emulator-admin-token", default=None, help="the attached emulator's --admin-token (default: $TELNYX_EMULATOR_ADMIN_TOKEN)")
    group.addoption(
        "--telnyx-emulator-webhook-host", default=None,
        help="host the emulator reaches the webhook receiver at, e.g. host.docker.internal; the receiver then listens on 0.0.0.0 (default: $TELNYX_EMULATOR_WEBHOOK_HOST, else 127.0.0.1)",
    )
    parser.addini("telnyx_emulator_isolation", "per-test isolation: key, reset or none", default="key")
    parser.addini("telnyx_emulator_url", "an emulator to attach to instead of starting one", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "telnyx_fault(**rule): a fault rule (POST /_emulator/faults fields) active for this test's key during the whole test")
    config.addinivalue_line("markers", "telnyx_lenient: this test's API key runs in lenient mode (unknown ids created, business rules warn)")


def _isolation(config: pytest.Config) -> str:
    chosen = config.getoption("--telnyx-emulator-isolation") or str(config.getini("telnyx_emulator_isolation") or "key")
    if chosen not in ISOLATIONS:
        raise pytest.UsageError(f"telnyx_emulator_isolation must be one of {', '.join(ISOLATIONS)}, not {chosen!r}")
    return chosen


def _key_for(node: pytest.Item) -> str:
    """Readable and stable (a test gets the same key every run: seeded ids stay the same)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", node.name).strip("-")[:40]
    digest = hashlib.sha1(node.nodeid.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"test-{slug}-{digest}"


@pytest.fixture(scope="session")
def telnyx_emulator_settings() -> dict[str, Any]:
    """Settings for the in-process emulator (``emulator.core.settings.Settings`` fields, e.g.
    ``{"answer_delay": 1, "lenient": True}``); override this fixture in your conftest.py."""
    return {}


@pytest.fixture(scope="session")
def telnyx_emulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, telnyx_emulator_settings: dict[str, Any]) -> Iterator[EmulatorServer]:
    """The session's emulator: ``TELNYX_EMULATOR_URL`` (or the option) when set, else a new one
    in this process on a free port, stopped at the end of the session."""
    config = request.config
    url = config.getoption("--telnyx-emulator-url") or os.environ.get("TELNYX_EMULATOR_URL") or str(config.getini("telnyx_emulator_url") or "")
    token = config.getoption("--telnyx-emulator-admin-token") or os.environ.get("TELNYX_EMULATOR_ADMIN_TOKEN") or None
    if url:
        server = EmulatorServer.attach(url, admin_token=token)
    else:
        server = EmulatorServer.start(tmp_path_factory.mktemp("telnyx-emulator"), **telnyx_emulator_settings)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(request: pytest.FixtureRequest, telnyx_emulator: EmulatorServer) -> Iterator[Emulator]:
    """This test's emulator: its API key (fresh per test by default) and control helpers."""
    isolation = _isolation(request.config)
    control = telnyx_emulator.control
    if isolation == "key":
        api_key = _key_for(request.node)
        control.post("/reset", {"api_key": api_key})  # a rerun, or an attached emulator that saw it before
    else:
        api_key = SHARED_KEY
        if isolation == "reset":
            control.post("/reset")
    session = Emulator(telnyx_emulator, api_key)
    lenient = request.node.get_closest_marker("telnyx_lenient") is not None
    try:
        if lenient:
            session.set_mode(lenient=True)
        for mark in reversed(list(request.node.iter_markers("telnyx_fault"))):
            session.add_fault(times=None, **mark.kwargs)  # for the whole test, like fault() for a block
        yield session
    finally:
        session.close()
        if lenient:
            control.delete(f"/modes/{api_key}", ok=(404,))


@pytest.fixture
def telnyx_api_key(emulator: Emulator) -> str:
    return emulator.api_key


@pytest.fixture
def telnyx_client(emulator: Emulator) -> Iterator[telnyx.Telnyx]:
    """The official ``telnyx`` SDK on the emulator, with this test's key (strict validation)."""
    from emulator.testing.clients import telnyx_client as build  # noqa: PLC0415 - imports the SDK

    client = build(emulator)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def async_telnyx_client(emulator: Emulator) -> telnyx.AsyncTelnyx:
    """``telnyx.AsyncTelnyx`` on the emulator (use it from your async tests' event loop)."""
    from emulator.testing.clients import async_telnyx_client as build  # noqa: PLC0415

    return build(emulator)


@pytest.fixture
def openai_client(emulator: Emulator) -> Iterator[openai.OpenAI]:
    """The ``openai`` SDK on the emulator's OpenAI-compatible endpoints, with this test's key."""
    from emulator.testing.clients import openai_client as build  # noqa: PLC0415

    client = build(emulator)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def telnyx_webhook_receiver(request: pytest.FixtureRequest, telnyx_emulator: EmulatorServer) -> Iterator[WebhookReceiver]:
    host = request.config.getoption("--telnyx-emulator-webhook-host") or os.environ.get("TELNYX_EMULATOR_WEBHOOK_HOST") or None
    receiver = WebhookReceiver(telnyx_emulator.public_key, bind="0.0.0.0" if host else "127.0.0.1", host=host)  # noqa: S104 - only when asked: the emulator runs elsewhere
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def webhooks(emulator: Emulator, telnyx_webhook_receiver: WebhookReceiver) -> Iterator[Webhooks]:
    """A receiver for this test's webhooks, registered as its key's default webhook URL (events
    of calls dialled without a ``webhook_url`` come here). Every signature is checked; a bad one
    fails the test."""
    view = telnyx_webhook_receiver.view(emulator.api_key)
    view.clear()
    where = f"/webhooks/default-url/{quote(emulator.api_key, safe='')}"
    emulator.control.put(where, {"url": view.url})
    try:
        yield view
    finally:
        emulator.control.delete(where, ok=(404,))
        bad = view.bad_signatures
        view.clear()
        if bad:
            pytest.fail(f"{len(bad)} webhook(s) arrived with a bad signature; first: {bad[0].event_type or bad[0].method} — {bad[0].problem}", pytrace=False)
