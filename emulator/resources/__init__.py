"""One module per API family. Each binds its handlers to operationIds with ``@operation``."""

from __future__ import annotations

from types import ModuleType


def handler_modules() -> tuple[ModuleType, ...]:
    """The modules whose ``@operation`` handlers are served (imported here, in one place)."""
    from emulator.resources import anthropic, chat, models, responses_api  # noqa: PLC0415
    from emulator.resources import embeddings_openai, speech, summarize  # noqa: PLC0415

    from emulator.resources import texml_ai_calls  # noqa: PLC0415
    from emulator.resources.calls import actions as call_actions  # noqa: PLC0415
    from emulator.resources.calls import ai as call_ai  # noqa: PLC0415
    from emulator.resources.calls import gather as call_gather  # noqa: PLC0415
    from emulator.resources.calls import media as call_media  # noqa: PLC0415
    from emulator.resources.calls import queue as call_queue, relay as call_relay  # noqa: PLC0415
    from emulator.resources import assistants, assistants_events, assistants_tools, conversations, insights  # noqa: PLC0415
    from emulator.resources import conversation_histories, embeddings_buckets, fine_tuning, legacy_stt  # noqa: PLC0415
    from emulator.resources import clusters, missions, missions_plans  # noqa: PLC0415

    from emulator.resources import ai_tools  # noqa: PLC0415

    return (ai_tools, assistants, assistants_tools, assistants_events, conversations, conversation_histories, insights, embeddings_buckets, fine_tuning, legacy_stt, missions, missions_plans, clusters, chat, models, anthropic, responses_api, embeddings_openai, speech, summarize, call_actions, call_gather, call_media, call_ai, call_queue, call_relay, texml_ai_calls)
