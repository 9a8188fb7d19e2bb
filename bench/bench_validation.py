"""Per-request validation cost: our compiled validator vs openapi-core's stock validate_request.

    /work/venv/bin/python bench/bench_validation.py [--full PATH] [-n 2000]

Prints start-up (load + index + compile) time and, for a few representative requests on the
embedded and the full published document, the median and p99 cost in µs of one validation.
The openapi-core figure is ``OpenAPI.validate_request(MockRequest)`` as shipped (it includes its
own path finding, as ours excludes routing: our router is benchmarked elsewhere).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.validators import V31RequestValidator
from starlette.datastructures import Headers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.core.errors import ValidationFailed
from emulator.openapi.index import Operation, OperationIndex
from emulator.openapi.loader import SpecDocument, load_document
from emulator.openapi.validate import RequestValidator

HOST = "http://emulator.test"
AUTH = {"Authorization": "Bearer KEY_BENCH"}
UUID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"

# (label, method, path, query items, JSON body or None)
REQUESTS: list[tuple[str, str, str, list[tuple[str, str]], Any]] = [
    ("chat completion (valid)", "POST", "/ai/chat/completions", [],
     {"model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "temperature": 0.2,
      "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}]}),
    ("dial a call (valid)", "POST", "/calls", [],
     {"to": "+15551230000", "from": "+15559870000", "connection_id": "1494404757140276705",
      "timeout_secs": 30, "webhook_url": "https://example.com/hooks", "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d"}),
    ("list with deepObject page (valid)", "GET", "/ai/clusters", [("page[number]", "2"), ("page[size]", "20")], None),
    ("chat completion (2 violations)", "POST", "/ai/chat/completions", [],
     {"messages": [{"role": "robot", "content": "x"}], "temperature": "hot"}),
]


def timed(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    for _ in range(min(200, n)):
        fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def build(doc_path: Path | None) -> tuple[SpecDocument, OperationIndex, RequestValidator, float]:
    t0 = time.perf_counter()
    doc = load_document(doc_path, cache_dir=Path(tempfile.gettempdir()) / "telnyx-emulator-bench-cache")
    index = OperationIndex(doc)
    validator = RequestValidator(doc, index)
    return doc, index, validator, time.perf_counter() - t0


def core_api(doc: SpecDocument) -> Any:
    raw = copy.deepcopy(doc.raw)
    raw["servers"] = [{"url": HOST + "/v2"}]
    for item in raw["paths"].values():
        item.pop("servers", None)
        for op in item.values():
            if isinstance(op, dict):
                op.pop("servers", None)
    return OpenAPI.from_dict(raw, config=Config(spec_validator_cls=None, request_validator_cls=V31RequestValidator))


def run(name: str, doc_path: Path | None, n: int) -> None:
    build(doc_path)  # warm the parse cache, then measure a cached start
    doc, index, validator, startup = build(doc_path)
    print(f"\n== {name}: {len(index.operations)} operations; load+index+compile {startup * 1000:.0f} ms")
    api = core_api(doc)
    print(f"{'request':38} {'ours median':>12} {'p99':>8} {'openapi-core median':>20} {'p99':>9}")
    for label, method, path, query, body in REQUESTS:
        try:
            operation, path_params = index.match(method, path)
        except Exception:  # noqa: BLE001, S112 - a document without this operation
            continue
        om, op99, tm, tp99 = compare(validator, api, operation, path_params, method, path, query, body, n)
        print(f"{label:38} {om:10.1f}µs {op99:7.1f}µs {tm:18.0f}µs {tp99:8.0f}µs")


def compare(validator: RequestValidator, api: Any, operation: Operation, path_params: dict[str, str], method: str, path: str,
            query: list[tuple[str, str]], body: Any, n: int) -> tuple[float, float, float, float]:
    """(ours median, ours p99, openapi-core median, openapi-core p99) for one request."""
    headers = Headers(AUTH)

    # try/except rather than contextlib.suppress: nothing but the validation is timed.
    def ours() -> None:
        try:  # noqa: SIM105
            validator.validate(operation, path_params=path_params, query_items=query, headers=headers,
                               media_type="application/json" if body is not None else None, body=body)
        except ValidationFailed:
            pass

    data = orjson.dumps(body) if body is not None else None

    def theirs() -> None:
        request = MockRequest(HOST, method, "/v2" + path, args=query, headers=AUTH, data=data)
        try:  # noqa: SIM105
            api.validate_request(request)
        except Exception:  # noqa: BLE001, S110 - rejections are expected for the invalid sample
            pass

    return (*timed(ours, n), *timed(theirs, max(50, n // 20)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "openapi" / "telnyx-spec3.yml")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    run("embedded document", None, args.n)
    if args.full.is_file():
        run(f"full document ({args.full.name})", args.full, args.n)
    else:
        print(f"\n(full document not found at {args.full}; skipped)")


if __name__ == "__main__":
    main()
