"""PLACEHOLDER — being replaced by the compiled validator (see tests/test_validation*.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.spec.index import Operation, OperationIndex
from emulator.spec.loader import SpecDocument


@dataclass
class ValidatedRequest:
    path: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any


class RequestValidator:
    def __init__(self, doc: SpecDocument, index: OperationIndex) -> None:
        self.doc = doc
        self.index = index

    def validate(
        self,
        operation: Operation,
        *,
        path_params: Mapping[str, str],
        query_items: list[tuple[str, str]],
        headers: Mapping[str, str],
        media_type: str | None,
        body: Any,
    ) -> ValidatedRequest:
        return ValidatedRequest(dict(path_params), dict(query_items), {}, body)
