"""Chat inference on the deterministic fake model: OpenAI-compatible chat completions (SSE
streaming, tools, structured output), the Responses API, Anthropic messages, the model list,
and the scripted replies users set through ``/_emulator/rules``."""

from emulator.families.chat import anthropic, completions, control, models, responses_api, rules
from emulator.families.chat.repeats import RepeatedBodies
from emulator.families.chat.turns import EarlierTurns
from emulator.runtime.family import Family

FAMILY = Family(
    name="chat",
    handler_modules=(completions, models, anthropic, responses_api),
    services=(RepeatedBodies, EarlierTurns),
    control=control.CONTROL,
    business_rules=rules.RULES,
    paths=(
        "/ai/chat",
        "/ai/openai/chat",
        "/ai/models",
        "/ai/openai/models",
        "/ai/anthropic",
        "/ai/responses",
        "/ai/openai/responses",
    ),
)
