"""The embedded OpenAPI document: valid, complete, prose-free, and faithful to Telnyx's facts.

The first group of tests needs only the committed ``fixtures/openapi/telnyx-ai.json``. The second
group compares it with the published document when ``<repo>/../shared/openapi/telnyx-spec3.yml``
is present (it is never committed): every fact we declare must be Telnyx's, except the recorded
corrections, and re-deriving must reproduce the committed bytes (so a stale file is noticed).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openapi_spec_validator
import pytest

from emulator.cli import main as cli_main
from emulator.core.paths import embedded_spec_path
from emulator.families import FAMILIES
from emulator.openapi.derive.additions import ADDITION_KEY
from emulator.openapi.derive.build import FACT_EXTENSIONS, GENERIC_RESPONSE_TEXT, STATUS_TEXT, Derived, derive, dump_document
from emulator.openapi.derive.corrections import CORRECTION_KEY, OPENAI_WIDENINGS, SSE, WHY_DUPLICATE_ID, WHY_NULLABLE, WHY_OPENAI, WHY_OPTIONAL_BODY, WHY_STREAM, WHY_URL_LISTS
from emulator.openapi.derive.summaries import summarize
from emulator.openapi.loader import HTTP_METHODS, load_document
from emulator.runtime.family import document_selection

SELECTION = document_selection(FAMILIES)
REPO = Path(__file__).resolve().parents[3]
SHARED_SPEC = REPO.parent / "shared" / "openapi" / "telnyx-spec3.yml"
EXPECTED_OPERATIONS = 219  # 203 published + 16 additions (openapi/derive/additions.py)
CALL_EVENTS = (
    "callInitiated", "callAnswered", "callHangup", "callGatherEnded", "CallAIGatherEnded",
    "callConversationEnded", "callConversationInsightsGenerated", "callMachineDetectionEnded",
    "callReferStarted", "callSiprecStarted", "callPlaybackStarted", "callSpeakEnded",
    "callDtmfReceived", "callRecordingSaved", "callBridged", "callStreamingStarted", "callForkStarted",
)
# Maps whose keys are names chosen by the API (a property may be called "description").
NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "paths",
                       "webhooks", "schemas", "responses", "requestBodies", "headers", "content", "parameters",
                       "securitySchemes", "examples", "encoding", "mapping"})
DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "value"})


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load_document().raw


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if isinstance(item.get(method), dict)
    ]


def walk(node: Any, pointer: tuple[str, ...] = (), names: bool = False) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Yield (pointer, dict) for every object that is not a value of API data."""
    if isinstance(node, dict):
        if not names:
            yield pointer, node
        for key, value in node.items():
            if key in DATA_KEYS and not names and not (key == "examples" and isinstance(value, dict) and len(pointer) >= 1):
                continue
            yield from walk(value, (*pointer, key), names=not names and key in NAME_MAPS)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*pointer, str(i)))


# -- always -----------------------------------------------------------------------------------
def test_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    openapi_spec_validator.validate(doc)


def test_document_has_the_ai_and_voice_ai_operations(doc: dict[str, Any]) -> None:
    ops = operations(doc)
    assert len(ops) == EXPECTED_OPERATIONS
    keys = {(m, p) for p, m, _ in ops}
    for expected in [("post", "/calls"), ("get", "/ai/assistants"), ("post", "/ai/chat/completions"),
                     ("post", "/calls/{call_control_id}/actions/gather_using_ai"), ("post", "/texml/ai_calls/{connection_id}"),
                     ("get", "/call_control_applications/{id}"), ("post", "/text-to-speech/speech"),
                     ("get", "/legacy/reporting/usage_reports/speech_to_text")]:
        assert expected in keys
    assert all(p.startswith(("/ai/", "/text-to-speech/", "/calls", "/texml/ai_calls/", "/legacy/reporting/", "/call_control_applications", "/messages")) for p, _, _ in ops)
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids))
    assert doc["servers"] == [{"url": "/v2"}]


def test_every_reference_resolves_and_every_component_is_used(doc: dict[str, Any]) -> None:
    refs = {node["$ref"] for _, node in walk(doc) if isinstance(node.get("$ref"), str)}
    loaded = load_document()
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        assert loaded.resolve(ref) is not None
    declared = {f"#/components/{kind}/{name}" for kind, items in doc["components"].items()
                if kind != "securitySchemes" for name in items}
    assert declared == refs, f"unreferenced components: {sorted(declared - refs)[:5]}"
    assert set(doc["components"]["securitySchemes"]) == {name for req in doc["security"] for name in req}


def _response_object(pointer: tuple[str, ...]) -> bool:
    return len(pointer) >= 3 and pointer[-2] == "responses" and (pointer[-3] in HTTP_METHODS or pointer[-3] == "components")


def test_no_telnyx_prose(doc: dict[str, Any]) -> None:
    ours = set(STATUS_TEXT.values()) | {GENERIC_RESPONSE_TEXT}
    for pointer, node in walk(doc):
        where = "/".join(pointer)
        assert "externalDocs" not in node, where
        assert "$comment" not in node, where
        for key in node:
            if key.startswith("x-"):
                assert key in FACT_EXTENSIONS or key in (CORRECTION_KEY, ADDITION_KEY), f"{where}: {key}"
        if "description" in node:
            if pointer == ("info",):
                assert "telnyx-emulator" in node["description"]
            else:
                assert _response_object(pointer), f"{where} has a description"
                assert node["description"] in ours, where
        if "summary" in node:
            assert len(pointer) >= 2 and pointer[-1] in HTTP_METHODS and pointer[0] in ("paths", "webhooks"), where
    for path, method, op in operations(doc):
        assert op["summary"] == summarize(method, path)
    assert all(set(tag) == {"name"} for tag in doc["tags"])
    # A property *named* description is a field of the API and stays.
    assert "description" in doc["components"]["schemas"]["PayToolParams"]["properties"]


def test_corrections_are_marked(doc: dict[str, Any]) -> None:
    marked = {"/".join(p): node[CORRECTION_KEY] for p, node in walk(doc) if CORRECTION_KEY in node}
    assert marked, "the published document needs corrections; none are marked"
    for where, why in marked.items():
        assert any(w in why for w in (WHY_STREAM, WHY_NULLABLE, WHY_DUPLICATE_ID, WHY_OPENAI, WHY_OPTIONAL_BODY, WHY_URL_LISTS)), where
    schemas = doc["components"]["schemas"]
    assert "json_schema" in schemas["ChatCompletionResponseFormatParam"]["properties"]["type"]["enum"]
    assert "developer" in schemas["ChatCompletionSystemMessageParam"]["properties"]["role"]["enum"]
    for path in ("/ai/chat/completions", "/ai/openai/chat/completions"):
        ok = doc["paths"][path]["post"]["responses"]["200"]
        assert ok["content"][SSE] == {"schema": {"type": "string"}}
        assert ok[CORRECTION_KEY] == WHY_STREAM
        assert "application/json" in ok["content"]
    inbound = doc["components"]["schemas"]["CallControlApplicationInbound"]["properties"]["channel_limit"]
    assert inbound["type"] == ["integer", "null"] and inbound[CORRECTION_KEY] == WHY_NULLABLE
    # No schema is left with a default its type forbids (what openapi-spec-validator rejects).
    for pointer, node in walk(doc):
        if node.get("default", 0) is None and isinstance(node.get("type"), (str, list)):
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if all(isinstance(t, str) for t in types):
                assert "null" in types, "/".join(pointer)


def test_webhooks_hold_the_call_events(doc: dict[str, Any]) -> None:
    webhooks = doc["webhooks"]
    for event in CALL_EVENTS:
        assert event in webhooks, event
        assert "post" in webhooks[event] and "requestBody" in webhooks[event]["post"]
    assert all(SELECTION.webhook(name) for name in webhooks)
    assert "transcription" in webhooks  # call.transcription, filed without the "call" prefix


def test_dump_is_deterministic_and_ordered() -> None:
    first = dump_document({"b": [1, {"z": 1, "a": "é"}], "a": None})
    assert first == dump_document({"a": None, "b": [1, {"a": "é", "z": 1}]})
    assert first.endswith(b"\n") and json.loads(first) == {"a": None, "b": [1, {"a": "é", "z": 1}]}


def test_derive_on_a_small_document_strips_prose_and_keeps_facts() -> None:
    source = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "9", "description": "prose"},
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "Calls", "description": "prose"}, {"name": "Unused"}],
        "paths": {
            "/calls": {"post": {
                "operationId": "DialCall", "summary": "Theirs", "description": "prose", "tags": ["Calls"],
                "x-codeSamples": [{"lang": "py"}], "x-latency-category": "responsive",
                "requestBody": {"description": "prose", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dial"}}}},
                "responses": {"200": {"description": "prose", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"n": {"type": "integer", "default": None}}},
                    "examples": {"one": {"summary": "prose", "value": {"description": "data stays"}}}}}}},
            }},
            "/numbers": {"get": {"operationId": "Other", "responses": {"200": {"$ref": "#/components/responses/Unused"}}}},
        },
        "components": {
            "schemas": {
                "Dial": {"type": "object", "description": "prose", "required": ["to"], "properties": {
                    "to": {"type": "string", "description": "prose", "pattern": "^\\+", "example": "+1"},
                    "description": {"type": "string", "enum": ["a", "b"]}}},
                "Unused": {"type": "string"},
            },
            "responses": {"Unused": {"description": "prose"}},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "prose"}},
        },
    }
    derived = derive(source, SELECTION)
    out = derived.document
    assert list(out["paths"]) == ["/calls"]
    op = out["paths"]["/calls"]["post"]
    assert op["summary"] == "Dial a call" and op["operationId"] == "DialCall" and op["x-latency-category"] == "responsive"
    assert "x-codeSamples" not in op and "description" not in op and "description" not in op["requestBody"]
    ok = op["responses"]["200"]
    assert ok["description"] == "OK"
    assert ok["content"]["application/json"]["examples"] == {"one": {"value": {"description": "data stays"}}}
    assert ok["content"]["application/json"]["schema"]["properties"]["n"]["type"] == ["integer", "null"]
    assert out["components"]["schemas"] == {"Dial": {"type": "object", "required": ["to"], "properties": {
        "to": {"type": "string", "pattern": "^\\+", "example": "+1"},
        "description": {"type": "string", "enum": ["a", "b"]}}}}
    assert "responses" not in out["components"]
    assert out["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    assert out["tags"] == [{"name": "Calls"}]
    assert [c.why for c in derived.corrections] == [WHY_NULLABLE]
    assert derived.to_bytes() == derive(copy.deepcopy(source), SELECTION).to_bytes()


# -- against the published document (optional) ------------------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not SHARED_SPEC.is_file():
        pytest.skip(reason="reference document ../shared/openapi/telnyx-spec3.yml not present (optional)")
    # The loader caches the parsed YAML as JSON: later loads in this session are fast.
    return load_document(SHARED_SPEC, cache_dir=tmp_path_factory.mktemp("spec-cache")).raw


@pytest.fixture(scope="module")
def rederived(published: dict[str, Any]) -> Derived:
    return derive(published, SELECTION)


def test_rederiving_reproduces_the_committed_document(rederived: Derived) -> None:
    committed = embedded_spec_path().read_bytes()
    assert rederived.to_bytes() == committed, (
        "fixtures/openapi/telnyx-ai.json is stale: run "
        "`telnyx-emulator derive-spec --from ../shared/openapi/telnyx-spec3.yml --out fixtures/openapi/telnyx-ai.json`"
    )


def test_published_has_the_expected_operation_count(published: dict[str, Any], rederived: Derived) -> None:
    assert len(operations(rederived.document)) == EXPECTED_OPERATIONS


def test_every_correction_is_recorded_and_marked(rederived: Derived, doc: dict[str, Any]) -> None:
    marked = {"#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer)
              for pointer, node in walk(doc) if CORRECTION_KEY in node}
    assert marked == {c.pointer for c in rederived.corrections}


FACT_KEYS = frozenset({
    "type", "enum", "const", "format", "required", "$ref", "default", "pattern", "nullable",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems", "uniqueItems", "multipleOf", "readOnly", "writeOnly", "deprecated",
    "operationId", "name", "in", "style", "explode", "allowEmptyValue", "security", "tags",
})


def _undo_corrections(node: Any) -> Any:
    """Our document with the recorded corrections reverted (each exactly as documented) and
    without the additions (``additions.py``: what the published document lacks)."""
    node = copy.deepcopy(node)
    if isinstance(node, dict) and "paths" in node:
        node["paths"] = {p: i for p, i in node["paths"].items() if not any(ADDITION_KEY in op for op in i.values() if isinstance(op, dict))}
        node["webhooks"] = {n: i for n, i in node.get("webhooks", {}).items() if ADDITION_KEY not in i.get("post", {})}
        schemas = node.get("components", {}).get("schemas", {})
        for name in [n for n, sch in schemas.items() if ADDITION_KEY in sch]:
            del schemas[name]
    for _, obj in walk(node):
        why = obj.pop(CORRECTION_KEY, None)
        if why is None:
            continue
        if WHY_NULLABLE in why:
            types = obj["type"]
            assert types[-1] == "null"
            obj["type"] = types[:-1]
            if "enum" in obj and obj["enum"] and obj["enum"][-1] is None:
                obj["enum"] = obj["enum"][:-1]
        if WHY_STREAM in why:
            assert obj["content"].pop(SSE) == {"schema": {"type": "string"}}
        if WHY_DUPLICATE_ID in why:
            obj["operationId"] = obj["operationId"].rsplit("_", 1)[0]
        if WHY_OPENAI in why:
            _undo_openai(obj, why)
        if WHY_OPTIONAL_BODY in why:
            assert obj["required"] is False
            obj["required"] = True
        if WHY_URL_LISTS in why:
            one, many = obj.pop("oneOf")
            assert many == {"type": "array", "items": one}
            obj.update(one)
    return node


def _undo_openai(obj: dict[str, Any], why: str) -> None:
    """Revert one OpenAI-compatibility widening, checking it only *added* something."""
    for _name, _pointer, how, addition in OPENAI_WIDENINGS:
        if f"({how})" not in why:
            continue
        if how == "enum+" and all(v in obj.get("enum", []) for v in addition):
            obj["enum"] = [v for v in obj["enum"] if v not in addition]
        elif how == "oneOf+" and obj.get("oneOf", [None])[-1] == addition:
            obj["oneOf"] = obj["oneOf"][:-1]
            if len(obj["oneOf"]) == 1 and set(obj) == {"oneOf"}:
                (single,) = obj.pop("oneOf")
                obj.update(single)
        elif how == "property+" and addition[0] in obj.get("properties", {}):
            del obj["properties"][addition[0]]
        elif how == "required-or" and obj.get("anyOf") == [{"required": [addition[0]]}, {"required": [addition[1]]}]:
            del obj["anyOf"]
            obj["required"] = [addition[0], *obj.get("required", [])]  # the published order: content, role


def facts(node: Any, pointer: str = "", names: bool = False, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every fact (type, enum, required, format, $ref target, bounds, keys of name maps...) by pointer.

    $refs are compared as facts rather than followed: every component we declare is compared
    too, so equal facts here mean equal *resolved* request and response schemas.
    """
    out = {} if out is None else out
    if isinstance(node, dict):
        if names:
            out[f"{pointer}#keys"] = sorted(node)
        for key, value in node.items():
            if names:
                facts(value, f"{pointer}/{key}", False, out)
                continue
            if key in FACT_KEYS or key in ("example", "value") or (key == "examples" and isinstance(value, list)):
                if key == "type":
                    value = sorted(value) if isinstance(value, list) else [value]
                out[f"{pointer}/{key}"] = value
            if key in DATA_KEYS or key.startswith("x-") or key in ("description", "summary", "externalDocs", "title"):
                continue
            facts(value, f"{pointer}/{key}", key in NAME_MAPS - {"examples"}, out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            facts(value, f"{pointer}/{i}", False, out)
    return out


def _diff(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    return [f"{k}: ours={ours.get(k)!r} published={theirs.get(k)!r}"
            for k in sorted(set(ours) | set(theirs)) if ours.get(k) != theirs.get(k)][:10]


def test_operations_match_the_published_facts(doc: dict[str, Any], published: dict[str, Any]) -> None:
    ours = _undo_corrections(doc)
    for path, method, op in operations(ours):
        theirs = published["paths"].get(path, {}).get(method)
        assert theirs is not None, f"{method.upper()} {path} is not in the published document"
        diff = _diff(facts(op), facts(theirs))
        assert not diff, f"{method.upper()} {path}: {diff}"
        assert facts(ours["paths"][path].get("parameters")) == facts(published["paths"][path].get("parameters"))


def test_webhooks_match_the_published_facts(doc: dict[str, Any], published: dict[str, Any]) -> None:
    ours = _undo_corrections(doc)
    expected = {name for name in published["webhooks"] if SELECTION.webhook(name)}
    assert set(ours["webhooks"]) == expected
    for name, item in ours["webhooks"].items():
        diff = _diff(facts(item), facts(published["webhooks"][name]))
        assert not diff, f"webhook {name}: {diff}"


def test_components_match_the_published_facts(doc: dict[str, Any], published: dict[str, Any]) -> None:
    ours = _undo_corrections(doc)
    for kind, items in ours["components"].items():
        for name, component in items.items():
            theirs = published["components"][kind][name]
            diff = _diff(facts(component), facts(theirs))
            assert not diff, f"components/{kind}/{name}: {diff}"


def test_required_request_body_fields_match(doc: dict[str, Any], published: dict[str, Any]) -> None:
    ours_doc, theirs_doc = load_document(), published
    for path, method, op in operations(doc):
        if "requestBody" not in op or ADDITION_KEY in op:
            continue
        theirs_op = theirs_doc["paths"][path][method]
        ours_body = _undo_corrections(ours_doc.deref(op["requestBody"]))
        theirs_body = _deref(theirs_doc, theirs_op["requestBody"])
        assert ours_body.get("required") == theirs_body.get("required"), f"{method} {path}"
        for media, spec in (theirs_body.get("content") or {}).items():
            ours_schema = ours_doc.deref((ours_body["content"][media]).get("schema") or {})
            theirs_schema = _deref(theirs_doc, spec.get("schema") or {})
            assert ours_schema.get("required") == theirs_schema.get("required"), f"{method} {path} {media}"


def _deref(document: dict[str, Any], obj: Any) -> Any:
    while isinstance(obj, dict) and "$ref" in obj:
        node: Any = document
        for part in obj["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def test_cli_check_reports_a_fresh_and_a_stale_file(published: dict[str, Any], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "published.json"
    source.write_text(json.dumps(published))
    out = tmp_path / "telnyx-ai.json"
    assert cli_main(["derive-spec", "--from", str(source), "--out", str(out), "--report"]) == 0
    printed = capsys.readouterr().out
    assert f"{EXPECTED_OPERATIONS} operations" in printed and "correction #/paths/~1ai~1chat~1completions" in printed
    assert out.read_bytes() == embedded_spec_path().read_bytes()
    assert cli_main(["derive-spec", "--from", str(source), "--out", str(out), "--check"]) == 0
    out.write_bytes(out.read_bytes().replace(b'"OK"', b'"Fine"', 1))
    assert cli_main(["derive-spec", "--from", str(source), "--out", str(out), "--check"]) == 1
