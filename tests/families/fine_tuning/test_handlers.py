"""Fine-tuning jobs through the telnyx SDK: validation, queued -> running -> succeeded with
trained tokens and a usable fine-tuned model, failure on a bad training file, cancellation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import telnyx

from emulator.fakes import tokens
from emulator.families.fine_tuning.store import FineTunedModels, fine_tuned_model_rows
from tests.support.ai import Emu, live_emulator

EXAMPLES = [
    {"messages": [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant", "content": "It ships tomorrow."}]},
    {"messages": [{"role": "user", "content": "Can I return shoes?"}, {"role": "assistant", "content": "Yes, within 30 days."}]},
]


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("fine-tuning"))


def test_job_succeeds_and_its_model_is_usable(emu: Emu) -> None:
    key = "ft-ok"
    c = emu.sdk(key)
    emu.upload(key, "training", "support.jsonl", "\n".join(json.dumps(e) for e in EXAMPLES).encode())
    emu.policy(key, "fine_tuning_job", "manual")
    job = c.ai.fine_tuning.jobs.create(model="meta-llama/Meta-Llama-3.1-8B-Instruct", training_file="training/support.jsonl",
                                       hyperparameters={"n_epochs": 2}, suffix="support")
    assert job.status == "queued" and job.finished_at is None and job.trained_tokens is None
    emu.step(key, kind="fine_tuning_job", id=job.id, steps=1)
    assert c.ai.fine_tuning.jobs.retrieve(job.id).status == "running"
    emu.step(key, kind="fine_tuning_job", id=job.id)
    done = c.ai.fine_tuning.jobs.retrieve(job.id)
    expected = 2 * sum(tokens.count(m["content"]) for e in EXAMPLES for m in e["messages"])
    assert done.status == "succeeded" and done.trained_tokens == expected and done.finished_at >= done.created_at
    model_id = done.to_dict()["fine_tuned_model"]
    assert model_id.startswith("ft:meta-llama/Meta-Llama-3.1-8B-Instruct:support:")
    assert [j.id for j in c.ai.fine_tuning.jobs.list().data] == [job.id]
    # the registry the model listings read, and an assistant running on the fine-tuned model
    tenant = emu.server.app.state.emulator.state.tenant(key)
    assert tenant.store(FineTunedModels).base_of(model_id) == "meta-llama/Meta-Llama-3.1-8B-Instruct"
    assert [r["id"] for r in fine_tuned_model_rows(tenant)] == [model_id]
    # ... which the caller's model list shows and chat completions accept (other keys: 404)
    assert model_id in [m.id for m in c.ai.openai.list_models().data]
    assert model_id not in [m.id for m in emu.sdk("ft-other").ai.openai.list_models().data]
    reply = c.ai.openai.chat.create_completion(messages=[{"role": "user", "content": "Where is my parcel?"}], model=model_id)
    assert reply["model"] == model_id and reply["choices"][0]["message"]["content"]
    with pytest.raises(telnyx.NotFoundError):
        emu.sdk("ft-other").ai.openai.chat.create_completion(messages=[{"role": "user", "content": "hi"}], model=model_id)
    a = c.ai.assistants.create(name="Tuned", instructions="Answer.", model=model_id)
    assert c.ai.assistants.chat(a.id, content="Where is my parcel?", conversation_id=str(uuid.uuid4())).content
    with pytest.raises(telnyx.UnprocessableEntityError):  # final jobs cannot be cancelled
        c.ai.fine_tuning.jobs.cancel(job.id)


def test_bad_training_file_fails_and_validation(emu: Emu) -> None:
    key = "ft-bad"
    c = emu.sdk(key)
    emu.upload(key, "training", "broken.jsonl", b'{"prompt": "no messages here"}\n')
    job = c.ai.fine_tuning.jobs.create(model="openai/gpt-4o", training_file="training/broken.jsonl")
    emu.advance(1)
    failed = c.ai.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed" and failed.trained_tokens is None and failed.finished_at is not None
    assert "Line 1" in failed.to_dict()["error"]["message"]
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        c.ai.fine_tuning.jobs.create(model="no/such-model", training_file="training/broken.jsonl")
    assert err.value.body["detail"][0]["loc"] == ["body", "model"]
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        c.ai.fine_tuning.jobs.create(model="openai/gpt-4o", training_file="training/missing.jsonl")
    assert err.value.body["detail"][0]["loc"] == ["body", "training_file"]
    assert len(c.ai.fine_tuning.jobs.list().data) == 1  # failed requests created nothing
    with pytest.raises(telnyx.NotFoundError):
        c.ai.fine_tuning.jobs.retrieve("ftjob-missing")


def test_cancel_a_running_job(emu: Emu) -> None:
    key = "ft-cancel"
    c = emu.sdk(key)
    emu.upload(key, "training", "ok.jsonl", json.dumps(EXAMPLES[0]).encode())
    job = c.ai.fine_tuning.jobs.create(model="openai/gpt-4o-mini", training_file="training/ok.jsonl")
    cancelled = c.ai.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    emu.advance(5)  # the lifecycle does not resume a cancelled job
    assert c.ai.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.fine_tuning.jobs.cancel(job.id)
