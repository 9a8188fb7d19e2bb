"""The additions (``openapi/derive/additions.py``) agree with the installed official SDK: every
request field and query parameter it sends (names, required-ness) and every field of the models
it parses responses and webhooks into. A newer SDK that changes them fails here, not at a user's."""

from __future__ import annotations

import typing
from typing import Any

import pytest
import typing_extensions
from pydantic import BaseModel
from telnyx.types import call_payment_completed_webhook_event as completed
from telnyx.types import call_payment_progress_webhook_event as progress
from telnyx.types.ai import collection, collection_create_params, collection_list_params, collection_update_params
from telnyx.types.ai.collections import (
    collections_source,
    retrieval_settings,
    retrieval_settings_param,
    retrieval_settings_wrapper,
    setting_create_params,
    setting_patch_all_params,
    source_create_params,
    source_replace_params,
    source_replace_response,
)
from telnyx.types.ai.knowledge import collection_retrieve_documents_params as documents_params
from telnyx.types.ai.knowledge import collection_retrieve_documents_response as documents
from telnyx.types.calls import action_pay_params

from emulator.core.paths import embedded_spec_path
from emulator.openapi.derive.additions import ADDITION_KEY, PATHS, SCHEMAS, WEBHOOKS, WHY_SDK
from emulator.openapi.loader import load_document


def wire_keys(typed_dict: Any) -> tuple[set[str], set[str]]:
    """(every key, the required keys) as sent on the wire (``PropertyInfo(alias=...)`` applied)."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    alias = {name: next((m.alias for m in getattr(hint, "__metadata__", ()) if getattr(m, "alias", None)), name)
             for name, hint in hints.items()}
    required = {alias[k] for k, hint in hints.items() if _is_required(hint)}
    return set(alias.values()), required


def _is_required(hint: Any) -> bool:
    """``Required[...]`` (possibly inside ``Annotated``): the SDK's ``total=False`` dicts mark required keys so."""
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return typing.get_origin(hint) is typing_extensions.Required


def model_keys(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def props(name: str) -> dict[str, Any]:
    return SCHEMAS[name]["properties"]


def body_of(path: str, method: str) -> dict[str, Any]:
    return SCHEMAS[PATHS[path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]


REQUESTS = [
    ("/ai/collections", "post", collection_create_params.CollectionCreateParams),
    ("/ai/collections/{uuid}", "patch", collection_update_params.CollectionUpdateParams),
    ("/ai/collections/{uuid}/settings", "put", setting_create_params.SettingCreateParams),
    ("/ai/collections/{uuid}/settings", "patch", setting_patch_all_params.SettingPatchAllParams),
    ("/ai/collections/{uuid}/sources", "post", source_create_params.SourceCreateParams),
    ("/ai/collections/{uuid}/sources", "put", source_replace_params.SourceReplaceParams),
    ("/calls/{call_control_id}/actions/pay", "post", action_pay_params.ActionPayParams),
]


@pytest.mark.parametrize(("path", "method", "params"), REQUESTS, ids=[f"{m} {p}" for p, m, _ in REQUESTS])
def test_request_bodies_match_the_sdk_params(path: str, method: str, params: Any) -> None:
    keys, required = wire_keys(params)
    schema = body_of(path, method)
    assert set(schema["properties"]) == keys
    assert set(schema.get("required", [])) == required


QUERIES = [
    ("/ai/collections", "get", collection_list_params.CollectionListParams),
    ("/ai/knowledge/collections/{slug}/documents", "get", documents_params.CollectionRetrieveDocumentsParams),
]


@pytest.mark.parametrize(("path", "method", "params"), QUERIES, ids=[f"{m} {p}" for p, m, _ in QUERIES])
def test_query_parameters_match_the_sdk_params(path: str, method: str, params: Any) -> None:
    keys, required = wire_keys(params)
    query = {p["name"]: p for p in PATHS[path][method]["parameters"] if p["in"] == "query"}
    assert set(query) == keys and {n for n, p in query.items() if p["required"]} == required


MODELS = [
    ("Collection", collection.Collection),
    ("CollectionSource", collections_source.CollectionsSource),
    ("CollectionSettings", retrieval_settings_wrapper.RetrievalSettingsWrapper),
    ("CollectionRetrievalSettings", retrieval_settings.RetrievalSettings),
    ("CollectionSourceReplace", source_replace_response.SourceReplaceResponse),
    ("CollectionDocuments", documents.CollectionRetrieveDocumentsResponse),
    ("CollectionDocument", documents.Data),
]


@pytest.mark.parametrize(("name", "model"), MODELS, ids=[n for n, _ in MODELS])
def test_response_schemas_match_the_sdk_models(name: str, model: type[BaseModel]) -> None:
    assert set(props(name)) == model_keys(model)


def test_nested_shapes_and_enums_match_the_sdk() -> None:
    assert set(props("CollectionSourceReplace")["meta"]["properties"]) == model_keys(source_replace_response.Meta)
    assert set(props("CollectionDocuments")["meta"]["properties"]) == model_keys(documents.Meta)
    assert set(props("CollectionRetrievalSettings")) == wire_keys(retrieval_settings_param.RetrievalSettingsParam)[0]
    source_types = typing.get_args(typing.get_type_hints(source_create_params.SourceCreateParams)["source_type"])
    assert set(SCHEMAS["CollectionSourceType"]["enum"]) == set(source_types)
    for schema, module in (("CallPaymentProgressEvent", progress), ("CallPaymentCompletedEvent", completed)):
        data = props(schema)["data"]["properties"]
        assert set(data) == model_keys(module.Data)
        assert set(data["payload"]["properties"]) == model_keys(module.DataPayload)
    step = typing.get_args(typing.get_args(progress.DataPayload.model_fields["payment_step"].annotation)[0])
    assert set(props("CallPaymentProgressEvent")["data"]["properties"]["payload"]["properties"]["payment_step"]["enum"]) == set(step)


def test_the_embedded_document_carries_the_additions_marked() -> None:
    doc = load_document(embedded_spec_path()).raw
    for path, item in PATHS.items():
        for method in item:
            assert doc["paths"][path][method][ADDITION_KEY] == WHY_SDK, f"{method} {path}"
    for name in WEBHOOKS:
        assert doc["webhooks"][name]["post"][ADDITION_KEY] == WHY_SDK
    for name in SCHEMAS:
        assert doc["components"]["schemas"][name][ADDITION_KEY] == WHY_SDK
