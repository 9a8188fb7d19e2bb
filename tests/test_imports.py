"""Import hygiene: the kernel's light modules stay light. Each check runs in a fresh interpreter,
so modules the test session has already imported cannot hide what an import pulls in."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import emulator

ROOT = Path(__file__).resolve().parents[1]


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_core_errors_does_not_import_starlette() -> None:
    out = run(
        """
        import sys
        import emulator.core.errors
        print(sorted(m for m in sys.modules if m.startswith("starlette")))
        """
    )
    assert out == "[]"


def test_importing_the_package_does_not_build_the_app() -> None:
    out = run(
        """
        import sys
        import emulator
        print(emulator.__version__, "emulator.app" in sys.modules)
        """
    )
    version, app_imported = out.split()
    assert version == emulator.__version__ and app_imported == "False"


def test_create_app_is_still_exported_lazily() -> None:
    out = run(
        """
        import sys
        from emulator import create_app
        import emulator.app
        print("emulator.app" in sys.modules, create_app is emulator.app.create_app)
        """
    )
    assert out == "True True"
