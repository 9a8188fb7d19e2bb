"""``/ai/assistants``: CRUD, list filters, clone, import, tags and versions.

Every assistant operation is bound here or in ``assistants_tools.py`` so one store
(:class:`~emulator.families.assistants.store.AssistantStore`) owns assistants — the generic CRUD never sees
them. Tools, canary deploys, scheduled events, chat, TeXML and instruction enhancement live in
:mod:`emulator.families.assistants.tools`.
"""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, NotFound, ValidationFailed
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.families.assistants.common import ASSISTANT_SCHEMA, assistants, check_model, keep_valid, now_iso
from emulator.families.assistants.rules import IMPORT_KEY_REF, KEEP_MAIN_VERSION, KNOWN_SHARED_TOOL, NONEMPTY_TAG
from emulator.families.assistants.store import AssistantEntry
from emulator.families.assistants.tools import fetch_dynamic_variables, shared_tool
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

# Request fields that are not part of the stored record (handled separately).
_NOT_RECORD = {"tool_ids", "promote_to_main", "id", "version_id", "created_at", "version_created_at", "import_metadata"}
_LIST_DEFAULTS: dict[str, Any] = {"tags": [], "integrations": [], "mcp_servers": [], "related_mission_ids": [], "tools": []}


def _new_version_id(ctx: RequestContext) -> str:
    return ctx.tenant.ids.uuid()


def _record(ctx: RequestContext, fields: dict[str, Any], *, assistant_id: str, base: dict[str, Any] | None) -> dict[str, Any]:
    """A full assistant record: ``base`` (the version it derives from) overlaid with ``fields``."""
    now = now_iso(ctx)
    record: dict[str, Any] = copy.deepcopy(base) if base else {"created_at": now, "model": DEFAULT_CHAT_MODEL, **copy.deepcopy(_LIST_DEFAULTS)}
    record.update({k: copy.deepcopy(v) for k, v in fields.items() if k not in _NOT_RECORD})
    if "model" in fields:
        record["model"] = check_model(ctx, str(fields["model"]))
    record["id"] = assistant_id
    record["version_id"] = _new_version_id(ctx)
    record["version_created_at"] = now
    tags = record.get("tags") or []
    record["tags"] = list(dict.fromkeys(tags))  # a tag appears once
    return keep_valid(ctx.emulator, ASSISTANT_SCHEMA, record)


def _check_tool_ids(ctx: RequestContext, tool_ids: Any) -> list[str]:
    """The ids, each naming a shared tool (:data:`KNOWN_SHARED_TOOL`; warned: kept as given)."""
    ids = [str(t) for t in tool_ids or []]
    for i, tool_id in enumerate(ids):
        if shared_tool(ctx, tool_id) is None:
            ctx.business_rule(KNOWN_SHARED_TOOL, ValidationFailed(items=[ErrorItem(f"No shared tool with id {tool_id!r}.", pointer=f"/tool_ids/{i}")]))
    return ids


def create_assistant(ctx: RequestContext, fields: dict[str, Any], *, import_metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create and store an assistant; all checks happen before the one write."""
    tool_ids = _check_tool_ids(ctx, fields.get("tool_ids"))
    assistant_id = f"assistant-{ctx.tenant.ids.uuid()}"
    record = _record(ctx, fields, assistant_id=assistant_id, base=None)
    if import_metadata:
        record["import_metadata"] = import_metadata
    assistants(ctx).add(AssistantEntry(id=assistant_id, main=record["version_id"], versions={record["version_id"]: record}, tool_ids=tool_ids))
    return copy.deepcopy(record)


@operation("create_new_assistant_public_assistants_post")
async def create(ctx: RequestContext) -> Any:
    return create_assistant(ctx, ctx.json)


@operation("get_assistants_public_assistants_get")
async def list_assistants(ctx: RequestContext) -> Any:
    """All assistants; optional ``name`` (substring, case-insensitive), ``tags``/``tag`` and
    ``model`` query filters narrow the list."""
    params = ctx.request.query_params
    name = (params.get("name") or "").lower()
    wanted_tags = [t for raw in params.getlist("tags") + params.getlist("tag") for t in raw.split(",") if t]
    model = params.get("model")
    out = []
    for record in assistants(ctx).all():
        if name and name not in str(record.get("name", "")).lower():
            continue
        if wanted_tags and not set(wanted_tags) <= set(record.get("tags", [])):
            continue
        if model and record.get("model") != model:
            continue
        out.append(record)
    return {"data": out}


@operation("get_assistant_public_assistants__assistant_id__get")
async def get(ctx: RequestContext) -> Any:
    """With ``fetch_dynamic_variables_from_webhook``, the assistant's dynamic-variables webhook is
    called (as at the start of a conversation) and the values it returns are laid over the
    stored defaults in the answer — never stored."""
    record = assistants(ctx).get(str(ctx.path["assistant_id"]))
    if ctx.query.get("fetch_dynamic_variables_from_webhook") and record.get("dynamic_variables_webhook_url"):
        fetched = await fetch_dynamic_variables(ctx, record, {k: ctx.query[k] for k in ("from", "to", "call_control_id") if ctx.query.get(k)})
        record["dynamic_variables"] = {**(record.get("dynamic_variables") or {}), **fetched}
    return record


@operation("update_assistant_public_assistants__assistant_id__post")
async def update(ctx: RequestContext) -> Any:
    """Every update writes a new version; ``promote_to_main`` (default true) makes it the main one."""
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    body = ctx.json
    tool_ids = _check_tool_ids(ctx, body["tool_ids"]) if "tool_ids" in body else None
    record = _record(ctx, body, assistant_id=entry.id, base=entry.record)
    entry.versions[record["version_id"]] = record
    if body.get("promote_to_main", True) is not False:
        entry.main = record["version_id"]
    if tool_ids is not None:
        entry.tool_ids = tool_ids
    return copy.deepcopy(record)


@operation("delete_assistant_public_assistants__assistant_id__delete")
async def delete(ctx: RequestContext) -> Any:
    assistant_id = str(ctx.path["assistant_id"])
    assistants(ctx).delete(assistant_id)
    return {"id": assistant_id, "object": "assistant", "deleted": True}


@operation("clone_assistant_public_assistants__assistant_id__clone_post")
async def clone(ctx: RequestContext) -> Any:
    """A new assistant (new id, one version) with the source's main version's settings."""
    source = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    fields = {k: v for k, v in source.record.items() if k not in _NOT_RECORD}
    fields["name"] = f"{source.record.get('name', '')} (copy)"
    return create_assistant(ctx, {**fields, "tool_ids": list(source.tool_ids)})


@operation("import_assistants_public_assistants_import_post")
async def import_assistants(ctx: RequestContext) -> Any:
    """Import from a voice-AI provider. The emulator has no provider to call, so each import id
    becomes an assistant named after it (re-importing an id updates it instead of duplicating);
    without ids, the provider account behind ``api_key_ref`` yields one assistant."""
    body = ctx.json
    provider, ref = str(body["provider"]), str(body["api_key_ref"])
    if not ref.strip():
        ctx.business_rule(IMPORT_KEY_REF, ValidationFailed(items=[ErrorItem("api_key_ref must name a stored integration secret.", pointer="/api_key_ref")]))
    ids = [str(i) for i in body.get("import_ids") or []] or [hashlib.sha256(f"{provider}:{ref}".encode()).hexdigest()[:16]]
    out = []
    for import_id in ids:
        fields = {
            "name": f"{provider} assistant {import_id}",
            "instructions": f"You are the assistant imported from {provider} ({import_id}).",
        }
        meta = {"import_provider": provider, "import_id": import_id}
        existing = assistants(ctx).find_import(provider, import_id)
        if existing is not None:
            record = _record(ctx, fields, assistant_id=existing.id, base=existing.record)
            existing.versions[record["version_id"]] = record
            existing.main = record["version_id"]
            out.append(copy.deepcopy(record))
        else:
            out.append(create_assistant(ctx, fields, import_metadata=meta))
    return {"data": out}


# -- tags -------------------------------------------------------------------------------------

@operation("get_all_assistant_tags")
async def all_tags(ctx: RequestContext) -> Any:
    return {"tags": assistants(ctx).tags()}


@operation("add_assistant_tag")
async def add_tag(ctx: RequestContext) -> Any:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    tag = str(ctx.json["tag"]).strip()
    tags = entry.record.setdefault("tags", [])
    if not tag:
        ctx.business_rule(NONEMPTY_TAG, ValidationFailed(items=[ErrorItem("tag must not be empty.", pointer="/tag")]))
        return {"tags": list(tags)}
    if tag not in tags:
        tags.append(tag)
    return {"tags": list(tags)}


@operation("remove_assistant_tag")
async def remove_tag(ctx: RequestContext) -> Any:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    tag = str(ctx.path["tag"])
    tags = entry.record.setdefault("tags", [])
    if tag not in tags:
        raise NotFound(f"Assistant {entry.id} has no tag {tag!r}")
    tags.remove(tag)
    return {"tags": list(tags)}


# -- versions ---------------------------------------------------------------------------------

def _version(ctx: RequestContext) -> tuple[AssistantEntry, str]:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    version_id = str(ctx.path["version_id"])
    if version_id in entry.deleted_versions:
        raise NotFound(f"Version {version_id} of assistant {entry.id} was deleted")
    if version_id not in entry.versions:
        raise NotFound(f"Assistant {entry.id} has no version {version_id}")
    return entry, version_id


@operation("get_assistant_versions_public_assistants__assistant_id__versions_get")
async def list_versions(ctx: RequestContext) -> Any:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    return {"data": [copy.deepcopy(v) for v in reversed(list(entry.versions.values()))]}


@operation("get_assistant_version_public_assistants__assistant_id__versions__version_id__get")
async def get_version(ctx: RequestContext) -> Any:
    entry, version_id = _version(ctx)
    return copy.deepcopy(entry.versions[version_id])


@operation("update_assistant_version_public_assistants__assistant_id__versions__version_id__post")
async def update_version(ctx: RequestContext) -> Any:
    """Edit one version in place (it keeps its id; the main version changes only if it is it)."""
    entry, version_id = _version(ctx)
    current = entry.versions[version_id]
    record = _record(ctx, ctx.json, assistant_id=entry.id, base=current)
    record["version_id"] = version_id
    record["version_created_at"] = current.get("version_created_at", record["version_created_at"])
    entry.versions[version_id] = record
    return copy.deepcopy(record)


@operation("delete_assistant_version_public_assistants__assistant_id__versions__version_id__delete")
async def delete_version(ctx: RequestContext) -> Any:
    entry, version_id = _version(ctx)
    if version_id == entry.main:
        ctx.business_rule(KEEP_MAIN_VERSION, ValidationFailed(items=[ErrorItem("The main version cannot be deleted; promote another version first.", parameter="version_id", location="path")]))
        others = [v for v in entry.versions if v != version_id]
        if not others:
            return Reply(None, 204)  # an assistant's only version is kept
        entry.main = others[-1]
    del entry.versions[version_id]
    entry.deleted_versions.append(version_id)
    return Reply(None, 204)


@operation("promote_assistant_version_public_assistants__assistant_id__versions__version_id__promote_post")
async def promote_version(ctx: RequestContext) -> Any:
    entry, version_id = _version(ctx)
    entry.main = version_id
    return copy.deepcopy(entry.versions[version_id])
