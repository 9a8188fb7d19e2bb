"""The checks the fine-tuning family makes beyond the document, each with what the ``warn`` mode
does instead (``core/rules.py``). Neither is known to be enforced the same way by the real API,
so both are the emulator's own guards (``real_api=False``)."""

from __future__ import annotations

from emulator.core.rules import BusinessRule

BASE_MODEL = BusinessRule(
    name="fine_tuning.base_model",
    checks="the base model is a chat model of the catalogue",
    substitute="the job tunes the default chat model (meta-llama/Meta-Llama-3.1-8B-Instruct)",
)
TRAINING_FILE = BusinessRule(
    name="fine_tuning.training_file",
    checks="training_file names an existing file of the caller's buckets as <bucket>/<filename>",
    substitute="the job trains on a one-example sample file (and succeeds)",
)

RULES = (BASE_MODEL, TRAINING_FILE)
