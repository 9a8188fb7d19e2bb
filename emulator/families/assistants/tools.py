"""Assistant add-ons: shared tools (attach/detach/test), canary deploys, TeXML, instruction
enhancement, chat and SMS chat. Scheduled events are in ``assistants_events.py``.

Testing a webhook tool really calls the user's URL (aiohttp, loaded on first use as for webhooks — httpx would add ~20 MB and 0.2 s — short timeout) and reports what came
back; a network failure is reported as an unsuccessful test, never a 5xx.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from starlette.responses import Response

from emulator.core.errors import Conflict, ErrorItem, NotFound, ValidationFailed
from emulator.crud.generic import GenericStore
from emulator.fakes.llm import Message
from emulator.families.assistants.common import assistants, builtin_variables, complete, now_iso, substitute
from emulator.families.assistants.rules import (
    CANARY_VERSIONS,
    CANARY_WEIGHTS,
    CHAT_CONVERSATION_UUID,
    KNOWN_SHARED_TOOL,
    ONE_CANARY,
    WEBHOOK_TOOL_TEST,
)
from emulator.families.conversations.service import conversations
from emulator.http.binding import Reply, operation
from emulator.webhooks.sender import load_aiohttp

if TYPE_CHECKING:
    from emulator.families.assistants.store import AssistantEntry
    from emulator.http.context import RequestContext

TOOL_TEST_TIMEOUT = 5.0  # seconds: a tool test never hangs a request for long


def shared_tool(ctx: RequestContext, tool_id: str) -> dict[str, Any] | None:
    """A shared tool created through ``/ai/tools`` (served by the generic CRUD)."""
    return ctx.tenant.store(GenericStore).get("/ai/tools", tool_id)


def _entry(ctx: RequestContext) -> AssistantEntry:
    return assistants(ctx).entry(str(ctx.path["assistant_id"]))


# -- tools ------------------------------------------------------------------------------------

@operation("add_assistant_tool")
async def attach_tool(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    tool_id = str(ctx.path["tool_id"])
    if shared_tool(ctx, tool_id) is None:
        ctx.business_rule(KNOWN_SHARED_TOOL, NotFound(f"No shared tool with id {tool_id!r}"))
    if tool_id not in entry.tool_ids:
        entry.tool_ids.append(tool_id)
    return {}


@operation("remove_assistant_tool")
async def detach_tool(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    tool_id = str(ctx.path["tool_id"])
    if tool_id not in entry.tool_ids:
        raise NotFound(f"Tool {tool_id!r} is not attached to assistant {entry.id}")
    entry.tool_ids.remove(tool_id)
    return {}


def inline_webhook(entry: AssistantEntry, name: str) -> dict[str, Any] | None:
    """The assistant's own (inline) webhook tool named ``name``."""
    for tool in entry.record.get("tools") or []:
        hook = tool.get("webhook") if isinstance(tool, dict) and tool.get("type") == "webhook" else None
        if isinstance(hook, dict) and hook.get("name") == name:
            return hook
    return None


def _webhook_of(ctx: RequestContext, entry: AssistantEntry, tool_id: str) -> dict[str, Any] | None:
    """The webhook definition for ``tool_id``: an attached shared tool, or one of the assistant's
    inline webhook tools named ``tool_id``; None when the warned :data:`WEBHOOK_TOOL_TEST` rule
    lets a tool without a url through (the test then reports failure, calling nothing)."""
    if tool_id in entry.tool_ids:
        tool = shared_tool(ctx, tool_id) or {}
        for candidate in (tool.get("webhook"), (tool.get("tool_definition") or {}).get("webhook"), tool.get("tool_definition")):
            if isinstance(candidate, dict) and isinstance(candidate.get("url"), str):
                return candidate
        ctx.business_rule(WEBHOOK_TOOL_TEST, ValidationFailed(items=[ErrorItem(f"Tool {tool_id!r} is not a webhook tool with a url.", parameter="tool_id", location="path")]))
        return None
    hook = inline_webhook(entry, tool_id)
    if hook is None:
        raise NotFound(f"Assistant {entry.id} has no tool {tool_id!r}")
    return hook


@operation("test_assistant_tool_public_assistants__assistant_id__tools__tool_id__test_post")
async def test_tool(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    hook = _webhook_of(ctx, entry, str(ctx.path["tool_id"]))
    if hook is None:
        return {"data": {"success": False, "status_code": 0, "content_type": "text/plain",
                         "response": f"Tool {ctx.path['tool_id']!r} has no webhook url; nothing was called.", "request": {}}}
    arguments = dict(ctx.json.get("arguments") or {})
    variables = {**builtin_variables(ctx), **(entry.record.get("dynamic_variables") or {}), **(ctx.json.get("dynamic_variables") or {})}
    url = substitute(str(hook["url"]), variables)
    path_params = set((hook.get("path_parameters") or {}).get("properties") or {})
    query_params = set((hook.get("query_parameters") or {}).get("properties") or {})
    for name in path_params:
        if name in arguments:
            url = url.replace("{" + name + "}", str(arguments[name]))
    query = {k: v for k, v in arguments.items() if k in query_params}
    body = {k: v for k, v in arguments.items() if k not in path_params and k not in query_params}
    method = str(hook.get("method") or "POST").upper()
    headers = {str(h.get("name")): substitute(str(h.get("value", "")), variables) for h in hook.get("headers") or [] if h.get("name")}
    timeout = min(TOOL_TEST_TIMEOUT, float(hook.get("timeout_ms") or 5000) / 1000)
    sent: dict[str, Any] = {"url": url, "method": method, "headers": headers, "query": query, "body": body if method != "GET" else None}
    aiohttp = load_aiohttp()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, session.request(
            method, url, params={k: str(v) for k, v in query.items()} or None, headers=headers, json=body if method != "GET" else None
        ) as resp:
            text = await resp.text(errors="replace")
            return {"data": {"success": 200 <= resp.status < 300, "status_code": resp.status,
                             "content_type": resp.headers.get("content-type", ""), "response": text, "request": sent}}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return {"data": {"success": False, "status_code": 0, "content_type": "text/plain",
                         "response": f"{type(exc).__name__}: {exc}", "request": sent}}


async def fetch_dynamic_variables(ctx: RequestContext, record: dict[str, Any], call: dict[str, str]) -> dict[str, Any]:
    """POST the conversation's context to the assistant's ``dynamic_variables_webhook_url`` and
    return the ``dynamic_variables`` object it answers with ({} on any failure or timeout)."""
    timeout = min(TOOL_TEST_TIMEOUT, float(record.get("dynamic_variables_webhook_timeout_ms") or 1500) / 1000)
    payload = {"data": {"record_type": "event", "event_type": "assistant.initialization", "occurred_at": now_iso(ctx), "payload": {
        "assistant_id": record["id"], "telnyx_conversation_channel": "phone_call" if call.get("call_control_id") else "web_chat",
        "telnyx_agent_target": call.get("to", ""), "telnyx_end_user_target": call.get("from", ""),
        **({"call_control_id": call["call_control_id"]} if call.get("call_control_id") else {})}}}
    aiohttp = load_aiohttp()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, session.post(
            str(record["dynamic_variables_webhook_url"]), json=payload
        ) as resp:
            found = (await resp.json(content_type=None)).get("dynamic_variables") if resp.status < 300 else None
    except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
        return {}
    return dict(found) if isinstance(found, dict) else {}


# -- canary deploys ---------------------------------------------------------------------------

def _check_rules(ctx: RequestContext, entry: AssistantEntry, rules: list[dict[str, Any]]) -> None:
    """Each rule serves versions of the assistant with weights adding up to 100 (warned: kept as
    given — :func:`serving_version` skips what names no version and leaves the rest to main)."""
    for i, rule in enumerate(rules):
        serve = rule.get("serve") or {}
        targets = [("/serve/version_id", serve.get("version_id"))] + [
            (f"/serve/rollout/{j}/version_id", slot.get("version_id")) for j, slot in enumerate(serve.get("rollout") or [])
        ]
        for pointer, version_id in targets:
            if version_id is not None and version_id not in entry.versions:
                ctx.business_rule(CANARY_VERSIONS, ValidationFailed(items=[ErrorItem(f"Assistant {entry.id} has no version {version_id!r}.", pointer=f"/rules/{i}{pointer}")]))
        weights = [slot.get("weight", 0) for slot in serve.get("rollout") or []]
        if weights and abs(sum(weights) - 100) > 1e-6:
            ctx.business_rule(CANARY_WEIGHTS, ValidationFailed(items=[ErrorItem("rollout weights must add up to 100.", pointer=f"/rules/{i}/serve/rollout")]))


@operation("get_canary_deploy_assistants__assistant_id__canary_deploys_get")
async def get_canary(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    if entry.canary is None:
        raise NotFound(f"Assistant {entry.id} has no canary deploy")
    return copy.deepcopy(entry.canary)


@operation("create_canary_deploy_assistants__assistant_id__canary_deploys_post")
async def create_canary(ctx: RequestContext) -> Any:
    """A new deploy; an implicit one nobody changed yet (``implicit.py``) is simply replaced."""
    entry = _entry(ctx)
    if entry.canary is not None and not entry.implicit_canary:
        ctx.business_rule(ONE_CANARY, Conflict(f"Assistant {entry.id} already has a canary deploy; update it with PUT."))
    rules = list(ctx.json.get("rules") or [])
    _check_rules(ctx, entry, rules)
    now = now_iso(ctx)
    created = now if entry.canary is None or entry.implicit_canary else entry.canary["created_at"]
    entry.canary = {"assistant_id": entry.id, "rules": rules, "created_at": created, "updated_at": now}
    entry.implicit_canary = False
    return copy.deepcopy(entry.canary)


@operation("update_canary_deploy_assistants__assistant_id__canary_deploys_put")
async def update_canary(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    if entry.canary is None:
        raise NotFound(f"Assistant {entry.id} has no canary deploy")
    rules = list(ctx.json.get("rules") or [])
    _check_rules(ctx, entry, rules)
    entry.canary = {**entry.canary, "rules": rules, "updated_at": now_iso(ctx)}
    entry.implicit_canary = False
    return copy.deepcopy(entry.canary)


@operation("delete_canary_deploy_assistants__assistant_id__canary_deploys_delete")
async def delete_canary(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    if entry.canary is None:
        raise NotFound(f"Assistant {entry.id} has no canary deploy")
    entry.canary = None
    entry.implicit_canary = False
    return Reply(None, 204)


# -- TeXML and instructions -------------------------------------------------------------------

@operation("get_assistant_texml_public_assistants__assistant_id__texml_get")
async def texml(ctx: RequestContext) -> Any:
    """The TeXML a TeXML application runs to hand a call to this assistant."""
    record = _entry(ctx).record
    voice = (record.get("voice_settings") or {}).get("voice")
    voice_attr = f" voice={quoteattr(str(voice))}" if voice else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Connect>\n'
        f"    <AIAssistant id={quoteattr(record['id'])}{voice_attr}></AIAssistant>\n"
        "  </Connect>\n</Response>"
    )
    # The document types the body as a string; clients (the SDK included) read it as raw text,
    # so send the XML itself rather than a JSON-quoted copy.
    return Response(xml, media_type="text/xml; charset=utf-8")


@operation("enhance_assistant_instructions_public_assistants__assistant_id__instructions_enhance_post")
async def enhance(ctx: RequestContext) -> Any:
    """Rewritten instructions as text/plain: the given (or current) instructions organised into
    sections, plus guidance the fake model writes from the enhancement prompt."""
    record = _entry(ctx).record
    instructions = ctx.json.get("instructions") or record.get("instructions") or ""
    prompt = ctx.json.get("enhancement_prompt") or "Make these instructions clearer and more complete."
    guidance = complete(ctx, record.get("model", ""), "You improve voice-assistant instructions.",
                        [Message("user", f"{prompt}\n\n{instructions}")])
    lines = [s.strip() for s in re.split(r"(?<=[.!?])\s+", instructions) if s.strip()]
    text = "# Role\n" + (lines[0] if lines else "You are a helpful assistant.") + "\n\n# Guidelines\n"
    text += "".join(f"- {line}\n" for line in lines[1:]) + f"- {guidance.strip()}\n"
    return Response(text, media_type="text/plain; charset=utf-8")


# -- chat -------------------------------------------------------------------------------------

def _variables(ctx: RequestContext, record: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    return {**builtin_variables(ctx, metadata), **(record.get("dynamic_variables") or {}), **metadata}


def assistant_reply(ctx: RequestContext, record: dict[str, Any], conversation_id: str, user_text: str, *, name: str | None = None) -> str:
    """Add the user's turn, answer it with the fake model (system = the assistant's instructions,
    variables substituted, history = the conversation), add the answer; returns its text."""
    store = conversations(ctx)
    metadata = store.get(conversation_id)["metadata"]
    system = substitute(record.get("instructions", ""), _variables(ctx, record, metadata))
    history = [Message(m["role"], m["text"]) for m in store.list_messages(conversation_id) if m["role"] in ("user", "assistant") and m["text"]]
    text = complete(ctx, record.get("model", ""), system, [*history, Message("user", user_text)])
    store.add_message(conversation_id, "user", user_text, name=name)
    store.add_message(conversation_id, "assistant", text)
    return text


def _open_conversation(ctx: RequestContext, record: dict[str, Any], metadata: dict[str, Any], conversation_id: str | None = None) -> str:
    store = conversations(ctx)
    conv = store.create({"assistant_id": record["id"], **metadata}, conversation_id=conversation_id)
    greeting = record.get("greeting")
    if greeting:
        store.add_message(conv["id"], "assistant", substitute(greeting, _variables(ctx, record, conv["metadata"])))
    return conv["id"]


def serving_version(entry: AssistantEntry, conversation_id: str) -> dict[str, Any]:
    """The version a conversation talks to: the main one, unless a canary deploy's rollout sends
    this conversation elsewhere (a stable choice per conversation, weighted as configured)."""
    for rule in (entry.canary or {}).get("rules", []):
        if rule.get("match"):
            continue  # attribute matching needs call context chat does not have
        serve = rule.get("serve") or {}
        if serve.get("version_id") in entry.versions:
            return entry.versions[serve["version_id"]]
        slots = [s for s in serve.get("rollout") or [] if s.get("version_id") in entry.versions]
        if slots:
            point = int(hashlib.sha256(conversation_id.encode()).hexdigest()[:8], 16) % 10000 / 100
            total = 0.0
            for slot in slots:
                total += float(slot.get("weight", 0))
                if point < total:
                    return entry.versions[slot["version_id"]]
    return entry.record


def _new_conversation_id(ctx: RequestContext, given: str) -> str:
    """``given`` when it is a UUID, else (warned :data:`CHAT_CONVERSATION_UUID`) the UUID derived
    from it, so the same id reaches the same conversation again."""
    try:
        uuid.UUID(given)
    except ValueError:
        ctx.business_rule(CHAT_CONVERSATION_UUID, ValidationFailed(items=[ErrorItem("conversation_id must be a UUID (an existing conversation, or a new one to start).", pointer="/conversation_id")]))
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"telnyx-emulator:conversation:{given}"))
    return given


@operation("assistant_chat_public_assistants__assistant_id__chat_post")
async def chat(ctx: RequestContext) -> Any:
    entry = _entry(ctx)
    record = serving_version(entry, str(ctx.json["conversation_id"]))
    conversation_id = str(ctx.json["conversation_id"])
    store = conversations(ctx)
    if not store.exists(conversation_id):
        conversation_id = _new_conversation_id(ctx, conversation_id)
        if not store.exists(conversation_id):
            _open_conversation(ctx, record, {"telnyx_conversation_channel": "web_chat"}, conversation_id)
    text = assistant_reply(ctx, record, conversation_id, str(ctx.json["content"]), name=ctx.json.get("name"))
    return {"content": text}


@operation("assistant_sms_chat_assistants__assistant_id__chat_sms_post")
async def chat_sms(ctx: RequestContext) -> Any:
    """Start (or continue) an SMS conversation from the assistant's number to an end user; the
    assistant's outbound message is ``text``, or its greeting, recorded in the conversation."""
    record = _entry(ctx).record
    body = ctx.json
    agent, user = str(body["from"]), str(body["to"])
    store = conversations(ctx)
    existing = None
    if not body.get("should_create_conversation"):
        existing = next((c for c in reversed(store.list()) if c["metadata"].get("assistant_id") == record["id"]
                         and c["metadata"].get("telnyx_agent_target") == agent and c["metadata"].get("telnyx_end_user_target") == user), None)
    if existing is not None:
        conversation_id = existing["id"]
        if body.get("conversation_metadata"):
            store.update_metadata(conversation_id, body["conversation_metadata"])
    else:
        meta = {**(body.get("conversation_metadata") or {}), "telnyx_conversation_channel": "sms_chat",
                "telnyx_agent_target": agent, "telnyx_end_user_target": user}
        conversation_id = _open_conversation(ctx, {**record, "greeting": None}, meta)
    text = body.get("text") or record.get("greeting") or ""
    if text:
        meta = store.get(conversation_id)["metadata"]
        store.add_message(conversation_id, "assistant", substitute(text, _variables(ctx, record, meta)))
    return {"conversation_id": conversation_id}
