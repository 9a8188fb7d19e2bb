"""Legacy speech-to-text batch report requests, per tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SttReports:
    """report id -> SttDetailReportResponse record (+ ``csv`` once complete)."""

    snapshot_name = "stt_reports"
    snapshot_aliases = ("emulator.store.stt_reports:SttReports",)  # its key before stores had names

    reports: dict[str, dict[str, Any]] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"reports": self.reports}

    @classmethod
    def load(cls, data: dict[str, Any]) -> SttReports:
        return cls(reports=dict(data["reports"]))
