"""The lenient mode for fine-tuning, through the official SDK: an unknown job id names a job made
on first use (``x-emulator-implicit``) that behaves like a created one, and an unknown base model
or a missing training file warn (``x-emulator-warning``) and fall back to the default model and
a one-example sample file instead of a 422."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import telnyx

from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from tests.support.ai import Emu, live_emulator


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("fine-tuning-lenient"), lenient=True)


def test_an_unknown_job_id_is_a_job_that_can_be_cancelled(emu: Emu) -> None:
    c = emu.sdk("ft-implicit")
    raw = c.ai.fine_tuning.jobs.with_raw_response.retrieve("job_id")
    assert raw.status_code == 200 and raw.headers["x-emulator-implicit"] == "fine_tuning_job"
    job = raw.parse()
    assert (job.id, job.status, job.model) == ("job_id", "queued", DEFAULT_CHAT_MODEL)
    assert c.ai.fine_tuning.jobs.cancel("job_id").status == "cancelled"
    emu.advance(5)
    assert c.ai.fine_tuning.jobs.retrieve("job_id").status == "cancelled"
    assert [j.id for j in c.ai.fine_tuning.jobs.list().data] == ["job_id"]


def test_an_implicit_job_trains_on_the_clock(emu: Emu) -> None:
    c = emu.sdk("ft-implicit-clock")
    c.ai.fine_tuning.jobs.retrieve("ftjob-from-a-test")
    emu.advance(1)
    done = c.ai.fine_tuning.jobs.retrieve("ftjob-from-a-test")
    assert done.status == "succeeded" and done.trained_tokens and done.finished_at is not None
    assert done.to_dict()["fine_tuned_model"] in [m.id for m in c.ai.openai.list_models().data]


def test_unknown_model_and_missing_file_warn_and_substitute(emu: Emu) -> None:
    c = emu.sdk("ft-rules")
    raw = c.ai.fine_tuning.jobs.with_raw_response.create(model="string", training_file="string")
    assert raw.headers["x-emulator-warning"] == "fine_tuning.base_model, fine_tuning.training_file"
    job = raw.parse()
    assert job.model == DEFAULT_CHAT_MODEL and job.training_file == "string" and job.status == "queued"
    emu.advance(1)
    assert c.ai.fine_tuning.jobs.retrieve(job.id).status == "succeeded"  # on the sample example

    rules = {r["name"]: r for r in emu.http.get("/_emulator/business-rules").json()["data"]}
    assert rules["fine_tuning.base_model"]["real_api"] is False
    assert DEFAULT_CHAT_MODEL in rules["fine_tuning.base_model"]["substitute"]


def test_strict_keys_keep_404_and_422(emu: Emu) -> None:
    assert emu.http.put("/_emulator/modes/ft-strict", json={"lenient": False}).status_code == 200
    c = emu.sdk("ft-strict")
    with pytest.raises(telnyx.NotFoundError):
        c.ai.fine_tuning.jobs.retrieve("job_id")
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        c.ai.fine_tuning.jobs.create(model="string", training_file="string")
    assert err.value.body["detail"][0]["loc"] == ["body", "model"]
    assert c.ai.fine_tuning.jobs.list().data == []
