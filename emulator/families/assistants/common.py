"""Helpers shared by the assistant, conversation and insight handlers: the tenant's stores, record
shaping against the document's schemas, dynamic-variable substitution and fake-model calls."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.fakes.catalogue import ALIASES, DEFAULT_CHAT_MODEL, chat_model
from emulator.fakes.llm import Message, OutputFormat
from emulator.families.assistants.rules import KNOWN_MODEL
from emulator.families.assistants.store import AssistantStore

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator

ASSISTANT_SCHEMA = "inference-embedding_Assistant"
_VAR = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


def assistants(ctx: RequestContext) -> AssistantStore:
    return ctx.tenant.store(AssistantStore)


def now_iso(ctx: RequestContext) -> str:
    return ctx.state.clock.iso()


def keep_valid(emulator: Emulator, schema_name: str, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with only the properties ``schema_name`` declares whose values validate against
    them — a request shape (e.g. ``ObservabilityReq``) never leaks an invalid response field."""
    synth = emulator.synthesizer
    props = synth.resolve({"$ref": f"#/components/schemas/{schema_name}"}).get("properties", {})
    return {k: v for k, v in record.items() if k in props and synth.validates(props[k], v)}


def check_model(ctx: RequestContext, model: str, pointer: str = "/model") -> str:
    """A chat model id the engine serves (catalogue, aliases, scripted rules, this tenant's
    fine-tuned models) — else 422 naming the field (:data:`KNOWN_MODEL`; warned: the default)."""
    if chat_model(model) is not None:
        return ALIASES.get(model, model)
    engine = ctx.emulator.services.model
    if engine.rules.names_model(model) or engine.tenant_base_model(ctx.tenant, model) is not None:
        return model
    ctx.business_rule(KNOWN_MODEL, ValidationFailed(items=[ErrorItem(f"Unknown model {model!r}; list models with GET /v2/ai/models.", pointer=pointer)]))
    return DEFAULT_CHAT_MODEL


def substitute(text: str, variables: dict[str, Any]) -> str:
    """Replace ``{{name}}`` with its value; unknown names stay as written (as the product does)."""
    return _VAR.sub(lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0), text or "")


def builtin_variables(ctx: RequestContext, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = metadata or {}
    out: dict[str, Any] = {
        "telnyx_current_time": ctx.state.clock.now_dt().strftime("%A, %B %d, %Y %H:%M:%S UTC"),
        "telnyx_conversation_channel": meta.get("telnyx_conversation_channel", "web_chat"),
    }
    for key in ("telnyx_agent_target", "telnyx_end_user_target", "call_control_id"):
        if key in meta:
            out[key] = meta[key]
    return out


def complete(ctx: RequestContext, model: str, system: str, turns: list[Message], *, output: OutputFormat | None = None) -> str:
    """One deterministic completion text from the fake model engine."""
    return complete_for(ctx.emulator, ctx.api_key, model, system, turns, output=output)


def complete_for(emulator: Emulator, api_key: str, model: str, system: str, turns: list[Message], *, output: OutputFormat | None = None) -> str:
    """:func:`complete` outside a request (timers, conversation end)."""
    return emulator.services.model.complete_text(api_key, model, system, turns, output=output)
