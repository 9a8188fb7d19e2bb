"""Additions: operations the official Telnyx SDK calls that the published document lacks.

The ``telnyx`` SDK (generated from Telnyx's newer, unpublished document) calls AI collections
(``client.ai.collections.*``, ``client.ai.knowledge.collections.retrieve_documents``) and the
call-control ``pay`` command, with webhooks ``call.payment.progress`` / ``call.payment.completed``;
the published document has none of them, so an emulator derived from it alone would 404 them.
The facts below are written out from the SDK's request TypedDicts and response models (names,
types, enums, what is required) — stored here, never read from the SDK at run time (the SDK is
a test dependency only; ``tests/openapi/derive/test_additions.py`` checks we still agree with
the installed one).

Applied by the derivation (``build.py``) after selection: a path is added only when a family
owns it (``Family.paths``) and the published document does not already have it (a newer
published document then wins). Every added path item, webhook and component schema is marked
``x-emulator-addition: "<why>"`` (on each operation, webhook operation and component schema) and
listed in :attr:`Derived.additions`.
"""

from __future__ import annotations

import copy
from typing import Any

from emulator.openapi.derive.summaries import summarize

ADDITION_KEY = "x-emulator-addition"
WHY_SDK = "the official SDK calls it, the published document lacks it"

_S = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _S + name}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        out["required"] = required
    return out


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


_STR = {"type": "string"}
_INT = {"type": "integer"}
_TIME = {"type": "string", "format": "date-time"}
_STRS = {"type": "array", "items": _STR}
_CARD_TYPES = ["visa", "mastercard", "amex", "maestro", "discover", "optima", "jcb", "diners-club", "enroute"]
_PAY_METHODS = ["credit-card", "ach-debit"]
_PAY_RESULTS = ["success", "payment-connector-error", "internal-error", "too-many-failed-attempts", "cancelled"]
_NSTR = {"type": ["string", "null"]}
_CALL_IDS = {k: _STR for k in ("call_control_id", "call_leg_id", "call_session_id", "client_state", "connection_id", "from", "to")}
_CARD_STEPS = ["payment-card-number", "expiration-date", "postal-code", "security-code"]
_BANK_STEPS = ["bank-routing-number", "bank-account-number"]
_PROMPT_ERRORS = ["timeout", "invalid-card-number", "invalid-card-type", "invalid-date", "invalid-security-code",
                  "invalid-postal-code", "invalid-bank-routing-number", "invalid-bank-account-number", "input-matching-failed"]

SCHEMAS: dict[str, dict[str, Any]] = {
    # -- AI collections (telnyx.types.ai.collection*, telnyx.types.ai.collections.*) --------------
    "CollectionSourceType": {"type": "string", "enum": ["voice", "meeting_bot", "message", "bucket"]},
    "CollectionSourceRequest": _obj({"source_type": _ref("CollectionSourceType"), "bucket_id": _STR}, ["source_type"]),
    "CollectionSource": _obj({
        "id": _STR, "bucket_id": {"type": ["string", "null"]}, "collection_id": _STR, "record_type": _STR,
        "source_type": _ref("CollectionSourceType"), "status": _STR,
    }),
    "CollectionRetrievalSettings": _obj({
        "retrieval_type": {"type": "string", "enum": ["vector", "hybrid"]},
        "top_k": {"type": "integer", "minimum": 1, "maximum": 50},
    }),
    "CollectionRetrievalSettingsRequest": _obj({"retrieval": _ref("CollectionRetrievalSettings")}),
    "CollectionSettings": _obj({"record_type": _STR, "retrieval": _ref("CollectionRetrievalSettings")}),
    "Collection": _obj({
        "uuid": _STR, "name": _STR, "slug": _STR, "description": {"type": ["string", "null"]}, "record_type": _STR,
        "status": _STR, "settings": _ref("CollectionSettings"),
        "sources": {"type": "array", "items": _ref("CollectionSource")}, "created_at": _TIME, "updated_at": _TIME,
    }),
    "CreateCollectionRequest": _obj({
        "name": _STR, "description": _STR, "slug": _STR, "settings": _ref("CollectionRetrievalSettingsRequest"),
        "sources": {"type": "array", "items": _ref("CollectionSourceRequest")},
    }, ["name"]),
    "UpdateCollectionRequest": _obj({"name": _STR, "description": _STR}),
    "ReplaceCollectionSourcesRequest": _obj({"sources": {"type": "array", "items": _ref("CollectionSourceRequest")}}, ["sources"]),
    "CollectionEnvelope": _obj({"data": _ref("Collection")}),
    "CollectionList": _obj({
        "data": {"type": "array", "items": _ref("Collection")},
        "meta": _obj({"page_number": _INT, "page_size": _INT, "total_pages": _INT, "total_results": _INT},
                     ["page_number", "total_pages"]),
    }, ["data"]),
    "CollectionSettingsEnvelope": _obj({"data": _ref("CollectionSettings")}),
    "CollectionSourceEnvelope": _obj({"data": _ref("CollectionSource")}),
    "CollectionSourceList": _obj({"data": {"type": "array", "items": _ref("CollectionSource")}}),
    "CollectionSourceReplace": _obj({
        "data": {"type": "array", "items": _ref("CollectionSource")},
        "meta": _obj({"added": _STRS, "retained": _STRS, "removed": _STRS}),
    }),
    "CollectionDocument": _obj({
        "id": _STR, "chunk_index": _INT, "chunk_total": _INT, "ingested_at": _TIME,
        "metadata": {"type": "object", "additionalProperties": True}, "organization_id": _STR,
        "record_created_at": _TIME, "record_id": _STR, "record_type": _STR, "region": _STR,
        "score": {"type": "number"}, "text": _STR, "user_id": _STR,
    }),
    "CollectionDocuments": _obj({
        "data": {"type": "array", "items": _ref("CollectionDocument")},
        "meta": _obj({
            "collection_slug": _STR, "page_number": _INT, "page_size": _INT, "retrieval_type": _STR,
            "searched_sources": _STRS, "top_k": _INT, "total_pages": _INT, "total_results": _INT,
        }),
    }),
    # -- call-control pay (telnyx.types.calls.action_pay_params, call_payment_*_webhook_event) ---
    "PayPromptValue": {"oneOf": [_STR, {"type": "array", "items": _obj({
        "text": _STR, "attempt": _STR, "card_type": {"type": "string", "enum": _CARD_TYPES},
        "error_type": {"type": "string", "enum": _PROMPT_ERRORS},
    }, ["text"])}]},
    "PayRequest": _obj({
        "amount": {"type": "number"}, "client_state": _STR, "command_id": _STR, "connector_name": _STR,
        "currency": {"type": "string", "enum": ["USD", "usd"]}, "description": _STR,
        "inter_digit_timeout_millis": _INT, "language": _STR, "max_attempts": _INT,
        "metadata": {"type": "object", "additionalProperties": True}, "min_postal_code_length": _INT,
        "parameters": {"type": "object", "additionalProperties": True},
        "payment_method": {"type": "string", "enum": _PAY_METHODS}, "payment_token": _STR,
        "postal_code": {"oneOf": [_STR, {"type": "boolean"}]},
        "prompts": _obj({step: _ref("PayPromptValue") for step in (
            "bank-account-number", "bank-routing-number", "expiration-date", "payment-card-number",
            "postal-code", "security-code")}),
        "service_level": _STR, "timeout_millis": _INT,
        "transaction_type": {"type": "string", "enum": ["charge", "tokenize"]},
        "valid_card_types": {"type": "array", "items": {"type": "string", "enum": _CARD_TYPES}},
        "voice": _STR,
    }),
    "CallPaymentProgressEvent": _obj({"data": _obj({
        "id": _STR, "event_type": {"type": "string", "enum": ["call.payment.progress"]}, "occurred_at": _TIME,
        "record_type": {"type": "string", "enum": ["event"]},
        "payload": _obj({
            **_CALL_IDS, "attempt": _INT, "bank_account_number": _STR, "bank_account_type": _STR, "bank_routing_number": _STR,
            "error_type": {"type": ["string", "null"], "enum": [*_PROMPT_ERRORS, None]}, "expiration_date": _STR,
            "payment_card_number": _STR, "payment_card_postal_code": _STR, "payment_card_type": {"type": "string", "enum": _CARD_TYPES},
            "payment_connector": _STR, "payment_method": {"type": "string", "enum": _PAY_METHODS},
            "payment_status": {"type": "string", "enum": ["completed", "failed", "processing"]},
            "payment_step": {"type": "string", "enum": [*_CARD_STEPS, *_BANK_STEPS, "payment-processing"]}, "security_code": _STR,
        }),
    })}),
    "CallPaymentCompletedEvent": _obj({"data": _obj({
        "id": _STR, "event_type": {"type": "string", "enum": ["call.payment.completed"]}, "occurred_at": _TIME,
        "record_type": {"type": "string", "enum": ["event"]},
        "payload": _obj({
            **_CALL_IDS, "bank_account_number": _STR, "bank_account_type": _STR, "bank_routing_number": _STR,
            "charge_id": _NSTR, "token_id": _NSTR, "connector_error": {"type": ["string", "object", "null"]},
            "expiration_date": _STR, "pay_error_code": _NSTR, "payment_card_number": _STR, "payment_card_postal_code": _STR,
            "payment_card_type": {"type": "string", "enum": _CARD_TYPES}, "payment_confirmation_code": _STR,
            "payment_connector": _STR, "payment_error": _NSTR, "payment_method": {"type": "string", "enum": _PAY_METHODS},
            "result": {"type": "string", "enum": _PAY_RESULTS}, "security_code": _STR,
        }),
    })}),
}


def _param(name: str, where: str, schema: dict[str, Any], *, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema, **extra}


_UUID = _param("uuid", "path", _STR)
_SLUG = _param("slug", "path", _STR)
_PAGE = [_param("page[number]", "query", {"type": "integer", "minimum": 1}), _param("page[size]", "query", {"type": "integer", "minimum": 1})]
# Telnyx's own error envelope (``{"errors": [...]}``), as the rest of API v2 answers.
_ERRORS = {"422": {"$ref": "#/components/responses/UnprocessableEntityResponse"}}


def _op(operation_id: str, tag: str, ok: str, schema: str | None, *, params: list[dict[str, Any]] | None = None,
        body: str | None = None, body_required: bool = True) -> dict[str, Any]:
    response: dict[str, Any] = {"description": {"200": "OK", "201": "Created", "204": "No content"}[ok]}
    if schema is not None:
        response["content"] = _json(_ref(schema))
    op: dict[str, Any] = {"operationId": operation_id, "tags": [tag], "responses": {ok: response, **copy.deepcopy(_ERRORS)}}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": _json(_ref(body))}
    return op


_C = "AI Collections"
PATHS: dict[str, dict[str, Any]] = {
    "/ai/collections": {
        "get": _op("ListCollections", _C, "200", "CollectionList", params=_PAGE),
        "post": _op("CreateCollection", _C, "201", "CollectionEnvelope", body="CreateCollectionRequest"),
    },
    "/ai/collections/slug/{slug}": {"get": _op("GetCollectionBySlug", _C, "200", "CollectionEnvelope", params=[_SLUG])},
    "/ai/collections/{uuid}": {
        "get": _op("GetCollection", _C, "200", "CollectionEnvelope", params=[_UUID]),
        "patch": _op("UpdateCollection", _C, "200", "CollectionEnvelope", params=[_UUID], body="UpdateCollectionRequest", body_required=False),
        "delete": _op("DeleteCollection", _C, "204", None, params=[_UUID]),
    },
    "/ai/collections/{uuid}/settings": {
        "get": _op("GetCollectionSettings", _C, "200", "CollectionSettingsEnvelope", params=[_UUID]),
        "put": _op("PutCollectionSettings", _C, "200", "CollectionSettingsEnvelope", params=[_UUID],
                   body="CollectionRetrievalSettingsRequest", body_required=False),
        "patch": _op("PatchCollectionSettings", _C, "200", "CollectionSettingsEnvelope", params=[_UUID],
                     body="CollectionRetrievalSettingsRequest", body_required=False),
    },
    "/ai/collections/{uuid}/sources": {
        "get": _op("ListCollectionSources", _C, "200", "CollectionSourceList", params=[_UUID]),
        "post": _op("AddCollectionSource", _C, "201", "CollectionSourceEnvelope", params=[_UUID], body="CollectionSourceRequest"),
        "put": _op("ReplaceCollectionSources", _C, "200", "CollectionSourceReplace", params=[_UUID], body="ReplaceCollectionSourcesRequest"),
    },
    "/ai/collections/{uuid}/sources/{source_id}": {
        "delete": _op("DeleteCollectionSource", _C, "204", None, params=[_UUID, _param("source_id", "path", _STR)]),
    },
    "/ai/knowledge/collections/{slug}/documents": {
        "get": _op("SearchCollectionDocuments", _C, "200", "CollectionDocuments", params=[
            _SLUG, *_PAGE, _param("filter", "query", {"type": "object", "additionalProperties": True}, style="deepObject", explode=True),
            _param("query", "query", _STR), _param("retrieval_type", "query", {"type": "string", "enum": ["vector", "hybrid", "keyword"]}),
            _param("sources", "query", _STR), _param("top_k", "query", {"type": "integer", "minimum": 1}),
        ]),
    },
    "/calls/{call_control_id}/actions/pay": {
        "post": {
            "operationId": "PayCall",
            "tags": ["Call Commands"],
            "parameters": [{"$ref": "#/components/parameters/CallControlId"}],
            "requestBody": {"required": False, "content": _json(_ref("PayRequest"))},
            "responses": {
                "200": {"description": "OK", "content": _json(_obj({"data": _ref("CallControlCommandResult")}))},
                "422": {"$ref": "#/components/responses/UnprocessableEntityResponse"},
                "default": {"$ref": "#/components/responses/call-control_GenericErrorResponse"},
            },
        },
    },
}


def _webhook(event: str, schema: str) -> dict[str, Any]:
    return {"post": {"operationId": f"Webhook_{event}", "requestBody": {"content": _json(_ref(schema))},
                     "responses": {"200": {"description": "OK"}}}}


WEBHOOKS: dict[str, dict[str, Any]] = {
    "callPaymentProgress": _webhook("callPaymentProgress", "CallPaymentProgressEvent"),
    "callPaymentCompleted": _webhook("callPaymentCompleted", "CallPaymentCompletedEvent"),
}
WEBHOOK_PATHS = {"callPaymentProgress": "/calls/{call_control_id}/actions/pay", "callPaymentCompleted": "/calls/{call_control_id}/actions/pay"}
"""An added webhook comes with the operation that causes it."""


def _refs(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.add(node["$ref"])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)
    return out


def _builds_on(doc: dict[str, Any], item: dict[str, Any]) -> bool:
    """Whether every published component the addition refers to is in ``doc`` (an addition is
    made only where the document has what it builds on, e.g. the call-control parameters)."""
    components = doc.get("components") or {}
    for ref in _refs(item, set()):
        _, _, kind, name = ref.split("/", 3)
        if not (kind == "schemas" and name in SCHEMAS) and name not in (components.get(kind) or {}):
            return False
    return True


def apply_additions(doc: dict[str, Any], owned: Any, published: dict[str, Any]) -> list[str]:
    """Add the owned, still-missing paths (with their schemas) to ``doc``; the JSON pointers added.

    ``owned(path) -> bool`` is the selection; ``published`` the source document (what it already
    has is never replaced). Component schemas are added only when some addition uses them.
    """
    added: list[str] = []
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for path, item in PATHS.items():
        if not owned(path) or path in (published.get("paths") or {}):
            continue
        if not _builds_on(doc, item):
            continue
        entry = copy.deepcopy(item)
        for method, op in entry.items():
            op["summary"] = summarize(method, path)
            op[ADDITION_KEY] = WHY_SDK
        doc.setdefault("paths", {})[path] = entry
        added.append("#/paths/" + path.replace("~", "~0").replace("/", "~1"))
    added_paths = {p for p in PATHS if "#/paths/" + p.replace("~", "~0").replace("/", "~1") in added}
    for name, item in WEBHOOKS.items():
        if WEBHOOK_PATHS[name] in added_paths and name not in (published.get("webhooks") or {}):
            doc.setdefault("webhooks", {})[name] = copy.deepcopy(item)
            doc["webhooks"][name]["post"].update({"summary": f"Event: {name}", ADDITION_KEY: WHY_SDK})
            added.append(f"#/webhooks/{name}")
    if added:
        for name, schema in SCHEMAS.items():
            if name in schemas:
                continue  # a published schema of that name wins; prune drops ours if unused
            schemas[name] = {**copy.deepcopy(schema), ADDITION_KEY: WHY_SDK}
            added.append(f"#/components/schemas/{name}")
        doc["components"]["schemas"] = dict(sorted(schemas.items()))
    tags = {t["name"] for t in doc.get("tags") or []}
    for tag in sorted({op["tags"][0] for p in added_paths for op in PATHS[p].values()} - tags):
        doc.setdefault("tags", []).append({"name": tag})
    return added
