"""PLACEHOLDER — being replaced by the schema-driven synthesizer."""

from __future__ import annotations

from typing import Any

from emulator.spec.index import Operation
from emulator.spec.loader import SpecDocument


class Synthesizer:
    def __init__(self, doc: SpecDocument, seed: int = 0) -> None:
        self.doc = doc
        self.seed = seed

    def for_schema(self, schema: dict[str, Any] | None, *, seed_key: str) -> Any:
        return {}

    def response_for(self, operation: Operation, *, seed_key: str) -> tuple[int, str | None, Any]:
        media_type, schema = operation.success_content()
        status = operation.success_status()
        return (int(status) if status.isdigit() else 200), media_type, self.for_schema(schema, seed_key=seed_key)
