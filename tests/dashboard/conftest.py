"""A real headless Chromium for the dashboard's browser tests (Debian's ``chromium`` driven by
Playwright through ``executable_path``; no browser download). When none can be launched the
browser tests skip, saying why; the server-side views are tested over HTTP regardless."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright  # noqa: PLC0415 - optional: skip, not fail, without it
    except ImportError as exc:
        pytest.skip(f"playwright is not installed ({exc}); pip install '.[test]'")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install -y chromium, or set CHROMIUM=/path/to/chromium)")
    with sync_playwright() as pw:
        try:
            launched = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
        except Error as exc:
            pytest.skip(f"Chromium at {executable} could not be launched: {str(exc).splitlines()[0]}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    # What the page logs shows in the failure report of the test that failed.
    tab.on("console", lambda msg: print(f"[console.{msg.type}] {msg.text}"))
    tab.on("pageerror", lambda err: print(f"[pageerror] {err}"))
    try:
        yield tab
    finally:
        context.close()
