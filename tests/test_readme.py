"""The README's business-rule table is the declared rules, exactly (``core/rules.py``)."""

from __future__ import annotations

from emulator.families import FAMILIES
from tests.conftest import REPO_ROOT


def rules_table() -> str:
    rows = ["| rule | what it rejects (strict) | what `warn` does instead | real API too |", "|---|---|---|---|"]
    for rule in sorted((r for f in FAMILIES for r in f.business_rules), key=lambda r: r.name):
        rows.append(f"| `{rule.name}` | {rule.checks} | {rule.substitute} | {'yes' if rule.real_api else 'no'} |")
    return "\n".join(rows)


def test_the_readme_lists_every_business_rule() -> None:
    text = (REPO_ROOT / "README.md").read_text()
    start, end = "<!-- business-rules:start -->\n", "<!-- business-rules:end -->"
    table = text.split(start, 1)[1].split(end, 1)[0].strip()
    expected = rules_table()
    assert table == expected, f"README's business-rule table is stale; it should read:\n{expected}"
