"""The control CLI is a pure HTTP client: importing it loads no part of the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ctl_imports_nothing_of_the_server() -> None:
    code = (
        "import sys, emulator.ctl.main\n"
        "print(sorted(m for m in sys.modules if m.startswith('emulator') and not m.startswith('emulator.ctl')))\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'pydantic_settings', 'jsonschema_rs', 'faker') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    # emulator/__init__.py reads only the version (it builds the app lazily, on first use)
    assert done.stdout.splitlines() == ["['emulator', 'emulator.core', 'emulator.core.version']", "[]"]
