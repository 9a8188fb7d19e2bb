"""Insight templates, insight groups and the insight runs made over conversations, per tenant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_GROUP = {"name": "Default", "description": "The insights of AI calls whose assistant names no insight group"}
DEFAULT_INSIGHT = {"name": "Summary", "instructions": "Summarise the conversation: what the caller asked for and how it ended."}


@dataclass
class InsightStore:
    snapshot_name = "insights"
    snapshot_aliases = ("emulator.store.insights:InsightStore",)  # its key before stores had names

    insights: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> InsightTemplateResp
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> group record (without "insights")
    members: dict[str, list[str]] = field(default_factory=dict)  # group id -> insight ids, in assign order
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # conversation id -> runs, oldest first
    default_group_id: str = ""  # the "Default" group, made on first use (see default_group)

    def group_view(self, group_id: str) -> dict[str, Any]:
        group = dict(self.groups[group_id])
        group["insights"] = [dict(self.insights[i]) for i in self.members.get(group_id, []) if i in self.insights]
        return group

    def groups_of(self, insight_id: str) -> list[str]:
        return [g for g, ids in self.members.items() if insight_id in ids]

    def default_group(self, new_id: Callable[[], str], now: str) -> tuple[str, str]:
        """(group id, insight id) of the tenant's default group and its ``default`` summary
        insight — what the product runs for an AI call whose assistant names no group — made
        the first time (again, if the user deleted them)."""
        group_id = self.default_group_id
        if group_id not in self.groups:
            group_id = self.default_group_id = new_id()
            self.groups[group_id] = {"id": group_id, "created_at": now, "webhook": "", **DEFAULT_GROUP}
        members = self.members.setdefault(group_id, [])
        for insight_id in members:
            if self.insights.get(insight_id, {}).get("insight_type") == "default":
                return group_id, insight_id
        insight_id = new_id()
        self.insights[insight_id] = {"id": insight_id, "created_at": now, "insight_type": "default", "webhook": "", **DEFAULT_INSIGHT}
        members.append(insight_id)
        return group_id, insight_id

    def all_runs(self) -> list[dict[str, Any]]:
        return [r for runs in self.runs.values() for r in runs]

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"insights": self.insights, "groups": self.groups, "members": self.members, "runs": self.runs}
        if self.default_group_id:  # only once made: older snapshots and their readers never had it
            data["default_group_id"] = self.default_group_id
        return data

    @classmethod
    def load(cls, data: dict[str, Any]) -> InsightStore:
        return cls(insights=dict(data["insights"]), groups=dict(data["groups"]),
                   members={k: list(v) for k, v in data["members"].items()}, runs={k: list(v) for k, v in data["runs"].items()},
                   default_group_id=str(data.get("default_group_id") or ""))
