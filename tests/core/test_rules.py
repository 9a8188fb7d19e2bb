"""Business rules (``core/rules.py``): enforced in the strict mode, a named warning with the
rule's substitute in the warn mode; every declared rule is listed by the control API."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.errors import ValidationFailed
from emulator.core.rules import BusinessRule
from emulator.families import FAMILIES
from emulator.http.binding import Reply, operation
from emulator.http.context import RequestContext
from emulator.runtime.family import Family
from tests.conftest import make_settings

OPERATION = "list_integrations_public_integrations_get"  # served by no shipped family
PATH = "/v2/ai/integrations"
SHOUTING = BusinessRule("test.no_shouting", checks="the name is not all capitals", substitute="the name in lower case")


@operation(OPERATION)
async def echo(ctx: RequestContext) -> Reply:
    name = str(ctx.request.query_params.get("name", "quiet"))
    if name.isupper():
        ctx.business_rule(SHOUTING, ValidationFailed("name must not be all capitals"))
        name = name.lower()
    return Reply({"data": [{"id": name}]}, status=200)


def _family() -> Family:
    module = types.ModuleType("tests_rules_family")
    module.echo = echo  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    return Family(name="test", handler_modules=(module,), business_rules=(SHOUTING,))


def _client(tmp_path: Path, **settings: object) -> TestClient:
    app = create_app(make_settings(tmp_path, **settings), families=(*FAMILIES, _family()))
    return TestClient(app, raise_server_exceptions=False)


def test_strict_mode_rejects_and_warn_mode_substitutes_and_names_the_rule(tmp_path: Path) -> None:
    with _client(tmp_path) as c:
        strict = c.get(PATH, params={"name": "LOUD"}, headers={"Authorization": "Bearer s"})
        assert strict.status_code == 422 and "all capitals" in strict.text
        assert "x-emulator-warning" not in strict.headers
        c.put("/_emulator/modes/w", json={"business_rules": "warn"})
        warned = c.get(PATH, params={"name": "LOUD"}, headers={"Authorization": "Bearer w"})
        assert warned.status_code == 200
        assert warned.headers["x-emulator-warning"] == "test.no_shouting"
        assert warned.json()["data"][0]["id"] == "loud"  # the documented substitute
        quiet = c.get(PATH, params={"name": "calm"}, headers={"Authorization": "Bearer w"})
        assert "x-emulator-warning" not in quiet.headers
        journal = c.get("/_emulator/journal").json()["data"]
        assert [e["warnings"] for e in journal if e["warnings"]] == ["test.no_shouting"]


def test_every_declared_rule_is_listed_with_its_substitute(tmp_path: Path) -> None:
    with _client(tmp_path) as c:
        rules = {r["name"]: r for r in c.get("/_emulator/business-rules").json()["data"]}
    assert rules["test.no_shouting"] == {"name": "test.no_shouting", "checks": SHOUTING.checks, "substitute": SHOUTING.substitute, "real_api": False}
    for family in FAMILIES:
        for rule in family.business_rules:
            assert rule.name in rules and rules[rule.name]["substitute"], rule.name
    assert len(rules) == len({r for f in FAMILIES for r in f.business_rules}) + 1  # names are unique
