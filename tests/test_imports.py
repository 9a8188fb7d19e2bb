"""Import hygiene: the kernel's light modules stay light. Each check runs in a fresh interpreter,
so modules the test session has already imported cannot hide what an import pulls in."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import textwrap
import tomllib
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


def test_every_third_party_import_of_the_runtime_is_a_declared_dependency() -> None:
    """``pip install telnyx-emulator`` must bring everything ``emulator/`` imports (optional
    imports guarded by ``ImportError`` name their extra instead)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}

    declared = names(project["dependencies"])
    optional = {extra: names(reqs) for extra, reqs in project["optional-dependencies"].items() if extra != "test"}
    # The pytest plugin (emulator/testing/) is loaded only by pytest: the `test` extra is its runtime.
    for_plugin = declared | names(project["optional-dependencies"]["test"])
    dists = importlib.metadata.packages_distributions()
    undeclared = {}
    for path in (ROOT / "emulator").rglob("*.py"):
        tree = ast.parse(path.read_text())
        guarded = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) and any("ImportError" in ast.unparse(h.type or ast.Name("")) for h in t.handlers) for n in ast.walk(t)}
        for node in ast.walk(tree):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top == "emulator":
                    continue
                providers = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
                allowed = for_plugin if path.is_relative_to(ROOT / "emulator" / "testing") else declared
                if providers & allowed or (id(node) in guarded and any(providers & extra for extra in optional.values())):
                    continue
                undeclared.setdefault(top, []).append(str(path.relative_to(ROOT)))
    assert not undeclared, f"imported by the runtime but not declared in pyproject.toml: {undeclared}"
