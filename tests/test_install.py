"""The package is ready for PyPI: one version, a licence that matches the metadata, a changelog
entry for the version, and classifiers that agree with ``requires-python``. (Installing and
starting the package the way the image does, in a clean venv, is tests/test_docker.py; building
the sdist and wheel and ``twine check`` run in .ci/run.)"""

from __future__ import annotations

import re
import tomllib

from emulator.core.version import VERSION
from tests.conftest import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def test_the_version_lives_in_one_place() -> None:
    hatch = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["version"]
    assert PROJECT["dynamic"] == ["version"] and "version" not in PROJECT
    assert hatch["path"] == "emulator/core/version.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+|rc\d+)?", VERSION)
    pinned = [p for p in (REPO_ROOT / "emulator").rglob("*.py") if p.name != "version.py" and re.search(rf"['\"]{re.escape(VERSION)}['\"]", p.read_text())]
    assert not pinned, f"the version written again in {pinned}"


def test_license_file_matches_the_metadata() -> None:
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (REPO_ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "License :: OSI Approved :: MIT License" not in PROJECT["classifiers"]  # PEP 639: the expression replaces it


def test_changelog_has_an_entry_for_this_version() -> None:
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}]" in changelog and "## [Unreleased]" in changelog


def test_classifiers_name_the_supported_pythons() -> None:
    minimum = re.fullmatch(r">=3\.(\d+)", PROJECT["requires-python"])
    assert minimum
    versions = sorted(int(c.rsplit(".", 1)[1]) for c in PROJECT["classifiers"] if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert versions[0] == int(minimum[1])
    assert PROJECT["urls"] and PROJECT["readme"] == "README.md"
