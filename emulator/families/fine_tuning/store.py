"""Fine-tuning jobs and the models they produce, per tenant.

:class:`FineTunedModels` is the per-tenant registry of models a succeeded job produced
(``fine-tuned id -> base model``). The model listings read it (``entries()``) so a fine-tuned model
appears next to the catalogue's, and the chat engine answers for it as its base model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator.fakes.catalogue import chat_model, model_metadata


@dataclass
class FineTunedModels:
    """fine-tuned model id -> {"base": base model id, "created": unix seconds, "job_id": ...}."""

    snapshot_name = "fine_tuned_models"
    snapshot_aliases = ("emulator.store.fine_tuning:FineTunedModels",)  # its key before stores had names

    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def register(self, model_id: str, base: str, created: int, job_id: str) -> None:
        self.models[model_id] = {"base": base, "created": created, "job_id": job_id}

    def base_of(self, model_id: str) -> str | None:
        found = self.models.get(model_id)
        return found["base"] if found else None

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self.models.items())

    def dump(self) -> dict[str, Any]:
        return {"models": self.models}

    @classmethod
    def load(cls, data: dict[str, Any]) -> FineTunedModels:
        return cls(models=dict(data["models"]))


@dataclass
class FineTuningJobs:
    """job id -> job record (the document's ``FineTuningJob`` shape), creation order."""

    snapshot_name = "fine_tuning_jobs"
    snapshot_aliases = ("emulator.store.fine_tuning:FineTuningJobs",)  # its key before stores had names

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"jobs": self.jobs}

    @classmethod
    def load(cls, data: dict[str, Any]) -> FineTuningJobs:
        return cls(jobs=dict(data["jobs"]))


def fine_tuned_model_rows(tenant: Any, created_iso: str | None = None) -> list[dict[str, Any]]:
    """``ModelMetadata`` rows for the tenant's fine-tuned models (for the model listings):
    the base model's facts, with the fine-tuned id and ``base_model`` set."""
    rows = []
    for model_id, info in tenant.store(FineTunedModels).entries():
        base = chat_model(info["base"])
        if base is None:
            continue
        iso = created_iso or datetime.fromtimestamp(info["created"], tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        row = model_metadata(base, iso)
        row.update({"id": model_id, "base_model": base.id, "owned_by": "user", "is_fine_tunable": False,
                    "recommended_for_assistants": False})
        rows.append(row)
    return rows
