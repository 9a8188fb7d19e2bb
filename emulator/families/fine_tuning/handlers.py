"""``/ai/fine_tuning/jobs``: fine-tuning jobs that train nothing but behave like the real ones.

Create checks the base ``model`` (a chat model of the catalogue) and that ``training_file``
(``<bucket>/<filename>``) exists in the caller's buckets or the fixtures — business rules
(``rules.py``): in the warn mode the default model and a one-example sample file stand in. The job moves queued ->
running -> succeeded under the ``fine_tuning_job`` lifecycle policy — or failed, when the file is
not JSONL chat examples (``{"messages": [...]}`` per line). A succeeded job reports
``trained_tokens`` (tokens of the examples x epochs), ``finished_at`` and ``fine_tuned_model``,
which is registered in :class:`~emulator.families.fine_tuning.store.FineTunedModels` so the model can be
listed and used for chat. ``cancel`` stops a non-final job; a final one is a 4xx.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core.errors import ErrorItem, NotFound, Unprocessable, ValidationFailed
from emulator.fakes import tokens
from emulator.fakes.catalogue import ALIASES, CHAT_MODELS, DEFAULT_CHAT_MODEL, chat_model
from emulator.families.embeddings.bucket_store import bucket_files
from emulator.families.fine_tuning.rules import BASE_MODEL, TRAINING_FILE
from emulator.families.fine_tuning.store import FineTunedModels, FineTuningJobs
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator

FINAL = ("succeeded", "failed", "cancelled")
SAMPLE_EXAMPLES = b'{"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi! How can I help?"}]}\n'
"""What a job trains on when its training file is missing (warn mode) or it was never created
(an implicit job): one chat example, so it succeeds."""


def _examples(data: bytes) -> tuple[int, str | None]:
    """(tokens in the training examples, error) for a JSONL file of chat examples."""
    total = 0
    lines = [ln for ln in data.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    if not lines:
        return 0, "The training file has no examples"
    for n, line in enumerate(lines, 1):
        try:
            example = orjson.loads(line)
        except orjson.JSONDecodeError:
            return 0, f"Line {n} of the training file is not JSON"
        messages = example.get("messages") if isinstance(example, dict) else None
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) and "role" in m for m in messages):
            return 0, f"Line {n} of the training file is not a chat example ({{\"messages\": [{{\"role\", \"content\"}}, ...]}})"
        total += sum(tokens.count(str(m.get("content") or "")) for m in messages)
    return total, None


@operation("create_new_finetuningjob_public_finetuning_post")
async def create_job(ctx: RequestContext) -> Any:
    body = ctx.json
    model = str(body["model"])
    if chat_model(model) is None:
        known = ", ".join(m.id for m in CHAT_MODELS)
        ctx.business_rule(BASE_MODEL, ValidationFailed(items=[ErrorItem(f"Unknown base model {model!r}; one of: {known}", pointer="/model")]))
        model = DEFAULT_CHAT_MODEL
    training_file = str(body["training_file"])
    bucket, sep, filename = training_file.partition("/")
    files = bucket_files(ctx.emulator, ctx.api_key, bucket) if sep and filename else {}
    data = files.get(filename)
    if data is None:
        ctx.business_rule(TRAINING_FILE, ValidationFailed(items=[ErrorItem(
            f"training_file {training_file!r} not found; name a file in one of your buckets as '<bucket>/<filename>'", pointer="/training_file")]))
        data = SAMPLE_EXAMPLES
    job = start_job(ctx.emulator, ctx.api_key, ctx.tenant.ids.prefixed("ftjob-", 24), model, training_file, data,
                    epochs=int((body.get("hyperparameters") or {}).get("n_epochs", 3)), suffix=str(body.get("suffix") or "custom"))
    return copy.deepcopy(job)


def start_job(emulator: Emulator, api_key: str, job_id: str, model: str, training_file: str, data: bytes, *,
              epochs: int = 3, suffix: str = "custom") -> dict[str, Any]:
    """Store a queued job training ``model`` on ``data`` and start its lifecycle (create, and the
    job an unknown id names in the lenient mode)."""
    model = ALIASES.get(model, model)
    tenant = emulator.state.tenant(api_key)
    job: dict[str, Any] = {
        "id": job_id, "object": "fine_tuning.job", "model": model, "training_file": training_file,
        "hyperparameters": {"n_epochs": epochs}, "organization_id": tenant.ids.uuid(), "status": "queued",
        "created_at": int(emulator.state.clock.now()), "finished_at": None, "trained_tokens": None, "fine_tuned_model": None,
    }
    tenant.store(FineTuningJobs).jobs[job_id] = job

    def running() -> None:
        job["status"] = "running"

    def finish() -> None:
        count, error = _examples(data)
        job["finished_at"] = int(emulator.state.clock.now())
        if error is not None:
            job.update(status="failed", error={"code": "invalid_training_file", "message": error})
            return
        fine_tuned = f"ft:{model}:{suffix}:{job_id.removeprefix('ftjob-')[:8]}"
        job.update(status="succeeded", trained_tokens=count * epochs, fine_tuned_model=fine_tuned)
        emulator.state.tenant(api_key).store(FineTunedModels).register(fine_tuned, model, job["finished_at"], job_id)

    emulator.services.lifecycles.begin(api_key, "fine_tuning_job", job_id, [running, finish], labels=["running", "finished"])
    return job


def _job(ctx: RequestContext) -> dict[str, Any]:
    job = ctx.tenant.store(FineTuningJobs).jobs.get(str(ctx.path["job_id"]))
    if job is None:
        raise NotFound(f"Fine-tuning job {ctx.path['job_id']} not found")
    return job


@operation("get_finetuningjob_public_finetuning_get")
async def list_jobs(ctx: RequestContext) -> Any:
    return {"data": [copy.deepcopy(j) for j in reversed(list(ctx.tenant.store(FineTuningJobs).jobs.values()))]}


@operation("get_finetuningjob_public_finetuning__job_id__get")
async def get_job(ctx: RequestContext) -> Any:
    return copy.deepcopy(_job(ctx))


@operation("cancel_new_finetuningjob_public_finetuning_post")
async def cancel_job(ctx: RequestContext) -> Any:
    job = _job(ctx)
    if job["status"] in FINAL:
        raise Unprocessable(f"Fine-tuning job {job['id']} is already {job['status']} and cannot be cancelled", code="10015")
    ctx.emulator.services.lifecycles.cancel(ctx.api_key, "fine_tuning_job", job["id"])
    job.update(status="cancelled", finished_at=int(ctx.state.clock.now()))
    return copy.deepcopy(job)
