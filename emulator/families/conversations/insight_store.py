"""Insight templates, insight groups and the insight runs made over conversations, per tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class InsightStore:
    snapshot_name = "insights"
    snapshot_aliases = ("emulator.store.insights:InsightStore",)  # its key before stores had names

    insights: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> InsightTemplateResp
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> group record (without "insights")
    members: dict[str, list[str]] = field(default_factory=dict)  # group id -> insight ids, in assign order
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # conversation id -> runs, oldest first

    def group_view(self, group_id: str) -> dict[str, Any]:
        group = dict(self.groups[group_id])
        group["insights"] = [dict(self.insights[i]) for i in self.members.get(group_id, []) if i in self.insights]
        return group

    def groups_of(self, insight_id: str) -> list[str]:
        return [g for g, ids in self.members.items() if insight_id in ids]

    def all_runs(self) -> list[dict[str, Any]]:
        return [r for runs in self.runs.values() for r in runs]

    def dump(self) -> dict[str, Any]:
        return {"insights": self.insights, "groups": self.groups, "members": self.members, "runs": self.runs}

    @classmethod
    def load(cls, data: dict[str, Any]) -> InsightStore:
        return cls(insights=dict(data["insights"]), groups=dict(data["groups"]),
                   members={k: list(v) for k, v in data["members"].items()}, runs={k: list(v) for k, v in data["runs"].items()})
