"""Insights, insight groups, insight runs over conversations, aggregates and conversation history
search.

When a conversation ends (:meth:`ConversationStore.end`: an AI call hanging up, or
``POST /_emulator/conversations/{id}/end``), :func:`run_insights_for` starts a run of every insight
in the group of the conversation's assistant (``insight_settings.insight_group_id``). The run moves
pending -> in_progress -> completed under the ``insight_run`` lifecycle policy; on completion each
insight's result comes from the fake model over the transcript (a JSON document conforming to the
insight's ``json_schema`` when it has one) and the group's ``webhook`` receives a signed
``call.conversation_insights.generated`` event. An AI call's conversation whose assistant names
no group gets a run of the tenant's default group instead (:func:`record_default_insights`), so
every insight a call reports can be read back here.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core.errors import ApiError, Conflict, ErrorItem, NotFound, ValidationFailed
from emulator.fakes.llm import Message, OutputFormat
from emulator.families.conversations import postgrest
from emulator.families.conversations.insight_store import InsightStore
from emulator.families.conversations.links import AssistantLinks
from emulator.families.conversations.rules import AGGREGATE_GROUP_BY, INSIGHT_JSON_SCHEMA
from emulator.families.conversations.store import ConversationStore
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator
    from emulator.webhooks.dispatcher import WebhookDispatcher

EVENT_TYPE = "call.conversation_insights.generated"
_CALL_FIELDS = ("call_control_id", "connection_id", "call_leg_id", "call_session_id", "client_state", "calling_party_type")
GROUP_BY = ("insight_id", "assistant_id", "conversation_id", "result")

OnInsights = Callable[[dict[str, Any]], None]
"""Told the result of a completed run: ``{conversation_id, insight_group_id, results}``."""


def _store(ctx: RequestContext) -> InsightStore:
    return ctx.tenant.store(InsightStore)


def _page(ctx: RequestContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    page = ctx.query.get("page") or {}
    number, size = int(page.get("number", 1)), int(page.get("size", 20))
    return {"data": rows[(number - 1) * size: number * size],
            "meta": {"page_number": number, "page_size": size, "total_results": len(rows), "total_pages": max(1, math.ceil(len(rows) / size))}}


def _check_schema(ctx: RequestContext, body: dict[str, Any]) -> None:
    """A ``json_schema`` that is no JSON Schema object breaks a rule; in the warn mode it is kept
    as given and runs of the insight answer in free text (``_schema_of`` fails there too)."""
    try:
        _schema_of(body)
    except ValidationFailed as error:
        ctx.business_rule(INSIGHT_JSON_SCHEMA, error)


def _schema_of(insight: dict[str, Any], pointer: str = "/json_schema") -> dict[str, Any] | None:
    raw = insight.get("json_schema")
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ValidationFailed(items=[ErrorItem(f"json_schema is not valid JSON: {exc}", pointer=pointer)]) from exc
    if not isinstance(raw, dict):
        raise ValidationFailed(items=[ErrorItem("json_schema must be a JSON Schema object", pointer=pointer)])
    return raw


# -- insights ---------------------------------------------------------------------------------

@operation("create_insight")
async def create_insight(ctx: RequestContext) -> Any:
    body = ctx.json
    _check_schema(ctx, body)
    record = {"id": ctx.tenant.ids.uuid(), "created_at": ctx.state.clock.iso(), "insight_type": "custom", "name": body["name"],
              "instructions": body["instructions"], "webhook": body.get("webhook") or ""}
    if body.get("json_schema") not in (None, ""):
        record["json_schema"] = body["json_schema"]
    _store(ctx).insights[record["id"]] = record
    return {"data": copy.deepcopy(record)}


def _insight(ctx: RequestContext) -> dict[str, Any]:
    found = _store(ctx).insights.get(str(ctx.path["insight_id"]))
    if found is None:
        raise NotFound(f"Insight {ctx.path['insight_id']} not found")
    return found


@operation("get_all_insights")
async def list_insights(ctx: RequestContext) -> Any:
    return _page(ctx, [copy.deepcopy(i) for i in _store(ctx).insights.values()])


@operation("get_insight_by_id")
async def get_insight(ctx: RequestContext) -> Any:
    return {"data": copy.deepcopy(_insight(ctx))}


@operation("update_insight_by_id")
async def update_insight(ctx: RequestContext) -> Any:
    insight = _insight(ctx)
    body = {k: v for k, v in ctx.json.items() if k in ("name", "instructions", "json_schema", "webhook") and v is not None}
    _check_schema(ctx, body)
    insight.update(body)
    return {"data": copy.deepcopy(insight)}


@operation("delete_insight_by_id")
async def delete_insight(ctx: RequestContext) -> Any:
    insight = _insight(ctx)
    store = _store(ctx)
    del store.insights[insight["id"]]
    for ids in store.members.values():
        if insight["id"] in ids:
            ids.remove(insight["id"])
    return Reply(None, 200)


# -- groups -----------------------------------------------------------------------------------

@operation("create_insight_group")
async def create_group(ctx: RequestContext) -> Any:
    body = ctx.json
    record = {"id": ctx.tenant.ids.uuid(), "created_at": ctx.state.clock.iso(), "name": body["name"], "webhook": body.get("webhook") or ""}
    if body.get("description") is not None:
        record["description"] = body["description"]
    store = _store(ctx)
    store.groups[record["id"]] = record
    store.members[record["id"]] = []
    return {"data": store.group_view(record["id"])}


def _group_id(ctx: RequestContext) -> str:
    group_id = str(ctx.path["group_id"])
    if group_id not in _store(ctx).groups:
        raise NotFound(f"Insight group {group_id} not found")
    return group_id


@operation("get_all_insight_groups")
async def list_groups(ctx: RequestContext) -> Any:
    store = _store(ctx)
    return _page(ctx, [store.group_view(g) for g in store.groups])


@operation("get_insight_group_by_id")
async def get_group(ctx: RequestContext) -> Any:
    return {"data": _store(ctx).group_view(_group_id(ctx))}


@operation("update_insight_group_by_id")
async def update_group(ctx: RequestContext) -> Any:
    group_id = _group_id(ctx)
    store = _store(ctx)
    store.groups[group_id].update({k: v for k, v in ctx.json.items() if k in ("name", "description", "webhook") and v is not None})
    return {"data": store.group_view(group_id)}


@operation("delete_insight_group_by_id")
async def delete_group(ctx: RequestContext) -> Any:
    group_id = _group_id(ctx)
    store = _store(ctx)
    del store.groups[group_id]
    store.members.pop(group_id, None)
    return Reply(None, 200)


@operation("assign_insight_to_group")
async def assign(ctx: RequestContext) -> Any:
    group_id, insight = _group_id(ctx), _insight(ctx)
    members = _store(ctx).members.setdefault(group_id, [])
    if insight["id"] in members:
        raise Conflict(f"Insight {insight['id']} is already assigned to group {group_id}")
    members.append(insight["id"])
    return Reply(None, 200)


@operation("unassign_insight_from_group")
async def unassign(ctx: RequestContext) -> Any:
    group_id, insight = _group_id(ctx), _insight(ctx)
    members = _store(ctx).members.setdefault(group_id, [])
    if insight["id"] not in members:
        raise NotFound(f"Insight {insight['id']} is not assigned to group {group_id}")
    members.remove(insight["id"])
    return Reply(None, 200)


# -- runs -------------------------------------------------------------------------------------

def run_insights_for(emulator: Emulator, api_key: str, conversation_id: str, *, group_id: str | None = None,
                     extra_urls: list[str] | None = None, on_complete: OnInsights | None = None) -> list[dict[str, Any]]:
    """Start an insight run over a conversation; returns the (pending) run records started.

    The group is ``group_id`` or the one named by the conversation's assistant; no group, no run.
    ``extra_urls`` also receive the result webhook; ``on_complete`` is told the result (an AI
    call sends it as a call event, so it carries the call's ids and follows its other events).
    """
    tenant = emulator.state.tenant(api_key)
    insights = tenant.store(InsightStore)
    conv = tenant.store(ConversationStore).get(conversation_id)
    assistant = emulator.services.family(AssistantLinks).assistant_of(tenant, conv["metadata"].get("assistant_id", ""))
    if assistant is not None:
        group_id = group_id or (assistant.get("insight_settings") or {}).get("insight_group_id")
    if not group_id or group_id not in insights.groups:
        return []
    run: dict[str, Any] = {"id": tenant.ids.uuid(), "status": "pending", "created_at": emulator.state.clock.iso(), "conversation_insights": [],
                           "insight_group_id": group_id}
    insights.runs.setdefault(conversation_id, []).append(run)
    model = (assistant or {}).get("model", "")

    def start() -> None:
        run["status"] = "in_progress"

    def finish() -> None:
        store = tenant.store(ConversationStore)
        transcript = store.transcript(conversation_id) if store.exists(conversation_id) else ""
        results = []
        for insight_id in list(insights.members.get(group_id, [])):
            insight = insights.insights.get(insight_id)
            if insight is None:
                continue
            try:
                schema = _schema_of(insight)
            except ValidationFailed:
                schema = None
            output = OutputFormat("json_schema", schema=schema) if schema else None
            try:
                text = emulator.services.model.complete_text(api_key, model, insight["instructions"], [Message("user", transcript or "(empty conversation)")], output=output)
            except ApiError:  # e.g. a scripted model error: the run fails, as a real one would
                run["status"] = "failed"
                return
            results.append({"insight_id": insight_id, "result": text})
        run["conversation_insights"] = results
        run["status"] = "completed"
        group = insights.groups.get(group_id) or {}
        urls = [u for u in [group.get("webhook"), *(extra_urls or [])] if u]
        if urls:
            payload = {"conversation_id": conversation_id, "insight_group_id": group_id, "results": results,
                       **{k: conv["metadata"][k] for k in _CALL_FIELDS if k in conv["metadata"]}}
            webhooks: WebhookDispatcher = emulator.services.webhooks  # named type: readers follow the event
            webhooks.emit(tenant=api_key, event_type=EVENT_TYPE, payload=payload, urls=urls)
        if on_complete is not None:
            on_complete({"conversation_id": conversation_id, "insight_group_id": group_id, "results": copy.deepcopy(results)})

    emulator.services.lifecycles.begin(api_key, "insight_run", run["id"], [start, finish], labels=["in_progress", "completed"])
    return [copy.deepcopy(run)]


def record_default_insights(emulator: Emulator, api_key: str, conversation_id: str, summary: str) -> dict[str, Any]:
    """The run of the tenant's default group over a conversation whose assistant names none
    (what an AI call's end produces): completed at once with ``summary`` as its one result, and
    kept like any other run, so ``conversations-insights``, the group and the aggregates show
    what the call's webhook carried. Returns that result (``on_complete``'s argument)."""
    tenant = emulator.state.tenant(api_key)
    insights = tenant.store(InsightStore)
    group_id, insight_id = insights.default_group(tenant.ids.uuid, emulator.state.clock.iso())
    results = [{"insight_id": insight_id, "result": summary}]
    run = {"id": tenant.ids.uuid(), "status": "completed", "created_at": emulator.state.clock.iso(),
           "conversation_insights": results, "insight_group_id": group_id}
    insights.runs.setdefault(conversation_id, []).append(run)
    return {"conversation_id": conversation_id, "insight_group_id": group_id, "results": copy.deepcopy(results)}


@operation("get_conversations_public__conversation_id__insights_get")
async def conversation_insights(ctx: RequestContext) -> Any:
    conversation_id = ctx.tenant.store(ConversationStore).get(str(ctx.path["conversation_id"]))["id"]  # an alias names its uuid
    rows = [{k: copy.deepcopy(r[k]) for k in ("id", "status", "created_at", "conversation_insights")}
            for r in reversed(_store(ctx).runs.get(conversation_id, []))]
    return _page(ctx, rows)


@operation("aggregate_conversation_insights")
async def aggregates(ctx: RequestContext) -> Any:
    """Counts of completed insight results, grouped by ``group_by`` fields (default insight_id);
    filters: ``insight_id``, ``metadata.assistant_id``, ``created_at`` (``gte.``/``lte.`` etc.)."""

    store, convs = _store(ctx), ctx.tenant.store(ConversationStore)
    rows: list[dict[str, Any]] = []
    for conversation_id, runs in store.runs.items():
        meta = convs.get(conversation_id)["metadata"] if convs.exists(conversation_id) else {}
        for run in runs:
            if run["status"] != "completed":
                continue
            for res in run["conversation_insights"]:
                rows.append({"insight_id": res["insight_id"], "result": res["result"], "conversation_id": conversation_id,
                             "assistant_id": meta.get("assistant_id"), "created_at": run["created_at"]})
    q = ctx.query
    params = [(k, v) for k, v in (("insight_id", q.get("insight_id")), ("created_at", q.get("created_at"))) if v]
    raw = ctx.request.query_params
    assistant = q.get("metadata.assistant_id") or raw.get("metadata[assistant_id]") or raw.get("metadata.assistant_id")
    if assistant:
        params.append(("assistant_id", str(assistant)))
    params = [(k, v if "." in v and v.split(".", 1)[0] in (*postgrest.OPERATORS, "not") else f"eq.{v}") for k, v in params]
    rows = postgrest.apply(rows, postgrest.parse(params, {"insight_id", "created_at", "assistant_id", "result", "conversation_id"}, set()))
    group_by = []
    for g in (g for raw in (q.get("group_by") or ["insight_id"]) for g in str(raw).split(",") if g):
        if g not in GROUP_BY:
            ctx.business_rule(AGGREGATE_GROUP_BY, ValidationFailed(items=[ErrorItem(
                f"cannot group by {g!r}; use insight_id, assistant_id, conversation_id or result", parameter="group_by", location="query")]))
        elif g not in group_by:
            group_by.append(g)
    group_by = group_by or ["insight_id"]
    counts = Counter(tuple(r[g] for g in group_by) for r in rows)
    return {"data": [{**dict(zip(group_by, key, strict=True)), "record_count": n} for key, n in counts.items()]}  # a key holds one value per group_by field
