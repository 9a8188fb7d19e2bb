"""How the CLI prints: Rich tables for people, ``--json`` for scripts (one document, or one JSON
object per line for the commands that follow a stream)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

Column = tuple[str, str] | tuple[str, str, Callable[[Any], str]]
"""(header, key in the row) or (header, key, formatter): ``key`` may be dotted (``match.path``)."""


def dig(row: Mapping[str, Any], key: str) -> Any:
    value: Any = row
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def cell(column: Column, value: Any) -> str:
    return column[2](value) if len(column) == 3 else text(value)


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        # Piped or captured output (tests, `| less`) has no terminal width: a wide console keeps
        # ids such as ``v3:…`` on one line instead of folding them at 80 columns.
        self.console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 220)

    def json(self, data: Any, *, line: bool = False) -> None:
        print(json.dumps(data, separators=(",", ":")) if line else json.dumps(data, indent=2), flush=True)

    def say(self, message: str) -> None:
        """A human line (never printed with ``--json``: scripts read only JSON)."""
        if not self.as_json:
            self.console.print(message)

    def table(self, rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], *, title: str | None = None, empty: str = "nothing") -> None:
        rows = list(rows)
        if not rows:
            self.console.print(f"[dim]{escape(empty)}[/dim]")
            return
        table = Table(title=title, title_justify="left", header_style="bold")
        for col in columns:
            table.add_column(col[0], overflow="fold")
        for row in rows:
            cells = []
            for col in columns:
                value = dig(row, col[1])
                cells.append(escape(cell(col, value)))
            table.add_row(*cells)
        self.console.print(table)

    def fields(self, data: Mapping[str, Any], *, title: str | None = None, keys: Sequence[str] | None = None) -> None:
        """One object as a two-column table (nested objects inline as compact JSON)."""
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key in keys or list(data):
            if key in data:
                table.add_row(escape(key), escape(text(data[key])))
        self.console.print(table)

    def pretty_json(self, data: Any, *, title: str | None = None) -> None:
        if title:
            self.console.print(f"[bold]{escape(title)}[/bold]")
        self.console.print_json(json.dumps(data))
