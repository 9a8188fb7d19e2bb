"""Fine-tuning jobs as implicit resources (``runtime/implicit.py``): in the ``unknown_ids: create``
mode an unknown job id names a job made as create would — the default base model, trained on the
one-example sample file — queued and moving on under the ``fine_tuning_job`` lifecycle, so it can
be read, cancelled or awaited like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.families.fine_tuning.handlers import SAMPLE_EXAMPLES, start_job
from emulator.families.fine_tuning.store import FineTuningJobs
from emulator.runtime.implicit import IdKind, Ids

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def _exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["job_id"] in emulator.state.tenant(api_key).store(FineTuningJobs).jobs


def _adopt(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    start_job(emulator, api_key, ids["job_id"], DEFAULT_CHAT_MODEL, "implicit/training.jsonl", SAMPLE_EXAMPLES)


ID_KINDS = (IdKind("fine_tuning_job", "/ai/fine_tuning/jobs/{job_id}", _exists, _adopt),)
