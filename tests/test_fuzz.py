"""Bounded fuzzing of every operation of the embedded document (schemathesis + hypothesis).

Schema-valid requests (positive) and schema-breaking ones (negative) go through the real app,
all on one emulator so that what one request stores is read by the next. Whatever comes in:
never a 5xx, every 2xx body conforms to the document's response schema, and afterwards the
whole state still serializes (a snapshot works, every tenant still lists). Bounded by
``FUZZ_EXAMPLES`` per operation and mode so the suite stays within minutes; set the env var
``TELNYX_EMULATOR_FUZZ_EXAMPLES`` higher for a long local run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.openapi.loader import load_document
from tests.conftest import make_settings
from tests.support.walk import check

FUZZ_EXAMPLES = int(os.environ.get("TELNYX_EMULATOR_FUZZ_EXAMPLES", "6"))
_DROP_HEADERS = {"user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid"}


def _send(client: TestClient, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver/v2")
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items() if k.lower() not in _DROP_HEADERS}
    headers.setdefault("Authorization", "Bearer fuzz")
    if not headers["Authorization"].strip() or headers["Authorization"] == "Bearer ":
        headers["Authorization"] = "Bearer fuzz"
    send: dict[str, Any] = {"headers": headers, "params": kwargs.get("params") or None}
    if "json" in kwargs:
        send["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, (bytes, str)):
        send["content"] = data
    elif data is not None:
        send["data"] = data
    if kwargs.get("content") is not None:
        send["content"] = kwargs["content"]
    if kwargs.get("files"):
        send["files"] = [_file_part(part) for part in kwargs["files"]]
    return client.request(kwargs["method"], kwargs["url"], **send)


def _file_part(part: Any) -> Any:
    """A negative case may make a file's content a number; a real client sends bytes, so the
    HTTP client must too (else it fails while streaming the body, inside the app)."""
    name, value = part
    if isinstance(value, tuple):
        filename, content, *rest = value
        if not isinstance(content, (bytes, str)):
            content = str(content).encode()
        return name, (filename, content, *rest)
    return name, value if isinstance(value, (bytes, str)) else str(value).encode()


def _fuzz(client: TestClient, emulator: Any, op: Any, mode: GenerationMode, problems: list[str]) -> None:
    """``FUZZ_EXAMPLES`` requests for one operation; what goes wrong is added to ``problems``."""
    ours, _ = emulator.index.match(op.method.upper(), op.path)
    label = f"{op.method.upper()} {op.path}"

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = _send(client, case)
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code} {response.text[:200]}")
        elif 200 <= response.status_code < 300:
            ok, why = check(emulator, ours, response, valid=True)
            if not ok:
                problems.append(f"{label}: {why[:200]}")

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_fuzzing_every_operation_never_breaks_the_emulator(tmp_path: Path, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_dict(load_document().raw)
    app = create_app(make_settings(tmp_path, lenient=mode == GenerationMode.POSITIVE))
    emulator = app.state.emulator
    problems: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for result in schema.get_all_operations():
            _fuzz(client, emulator, result.ok(), mode, problems)
        # Nothing a request stored may stop the state from serializing (snapshots, persistence).
        assert client.get("/_emulator/snapshot").status_code == 200
        assert client.get("/_emulator/state").status_code == 200
    unique = sorted(set(problems))
    assert not unique, f"{len(unique)} problems:\n" + "\n".join(unique[:60])
