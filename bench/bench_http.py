"""Throughput and latency of the emulator beside a bare Starlette app (and Prism), in one run.

    python bench/bench_http.py [--duration 10] [--connections 32] [--repeat 2]
                               [--spec ../shared/openapi/telnyx-spec3.yml] [--prism PATH]

Each server is a separate process: the bare app (uvicorn, httptools + uvloop, no access log:
the ceiling), the emulator with its embedded document, the emulator with ``--spec`` (when given
and present), and Prism (``@stoplight/prism-cli``) on the embedded document when ``--prism``
names its executable or ``prism`` is on PATH. They start one at a time (start-up is timed
alone), then stay up; wrk loads one at a time. ``--repeat`` rounds each run every case on every
server back to back, so a drift of the shared machine's speed hits all servers alike; the
table gives each server's best req/s and best p99 per case, their ratios to the bare app's
best, and the median over rounds of the same round's ratio ("paired"; the load average before
each round is printed). ``bench_instructions.py`` counts the CPU work of the same cases exactly.

Cases: GET /v2/ai/assistants; chat completions with a voice agent's body (four messages, one
with content parts, two function tools and a retrieval tool, ``tool_choice: auto``,
``max_tokens: 256``) as is, streamed, and with a new user turn on every request (nothing
repeats); structured output (``response_format`` json_schema) and guided decoding
(``guided_json``); an invalid POST (422); and a command on a live call: the call is dialled
with POST /v2/calls and answered, one ``gather_using_ai`` is checked, then ``speak`` is sent
repeatedly (an AI gather cannot be started again while one is running: 90061).

The bare app answers every request with the same small JSON body; the ratio shows what routing,
auth, validation, handling and rendering cost. Needs ``wrk`` (Debian package ``wrk``); without
it the script says so and stops. Also prints start-up time to the first answer (the median of ``--starts`` fresh starts) and RSS.
Start-up is timed as installed: ``pip install .`` (and the Docker image) leaves compiled
bytecode, so before any server starts the emulator package is compiled once (``compileall``);
where PYTHONDONTWRITEBYTECODE is set, every start would otherwise compile ~200 modules from
source (~0.3 s) first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# This module holds the cases, their bodies, the wrk scripts and the run; the server processes
# (start, probe, stop, the bare app's source) are in the sibling servers.py, importable as a
# top-level module because bench/ is on sys.path when this runs as a script (or is imported
# with bench/ inserted, as bench_webhooks.py does). BARE_APP and HEADERS are re-exported:
# other scripts read them as bench_http.BARE_APP and bench_http.HEADERS.
from servers import BARE_APP as BARE_APP
from servers import HEADERS as HEADERS
from servers import REPO, Server, compile_bytecode, find_prism, load_average, request, rss_mb, start_bare, start_emulator, start_prism, stop

EMBEDDED = REPO / "fixtures" / "openapi" / "telnyx-ai.json"

BOOKING_SCHEMA = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": ["book", "reschedule", "cancel", "question"]},
        "treatment": {"type": "string", "enum": ["cleaning", "checkup", "filling"]},
        "date": {"type": "string", "format": "date"},
        "time_window": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$"},
        "patient": {"type": "object", "properties": {"name": {"type": "string"}, "phone": {"type": "string"}}, "required": ["name"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["intent", "treatment", "patient"],
    "additionalProperties": False,
}
MESSAGES = [
    {"role": "system", "content": "You are Ava, the voice receptionist of Bright Smile Dental. Keep answers short; use tools to check and book appointments."},
    {"role": "user", "content": [{"type": "text", "text": "Hi, I'd like to book a cleaning next Tuesday afternoon."}, {"type": "text", "text": "My name is Dana Fox."}]},
    {"role": "assistant", "content": "Sure, Dana. Let me check what we have on Tuesday afternoon."},
    {"role": "user", "content": "Anything after 2 pm works, in Berlin Mitte if possible."},
]
TOOLS = [
    {"type": "function", "function": {
        "name": "check_availability", "description": "List free slots for a treatment on a day.",
        "parameters": {"type": "object", "properties": {
            "treatment": {"type": "string", "enum": ["cleaning", "checkup", "filling"]},
            "date": {"type": "string", "format": "date"},
            "after": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "location": {"type": "string"}},
            "required": ["treatment", "date"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "book_appointment", "description": "Book a slot for a patient.",
        "parameters": {"type": "object", "properties": {
            "patient_name": {"type": "string", "minLength": 1}, "slot_id": {"type": "string"},
            "phone": {"type": "string"}, "notes": {"type": "string", "maxLength": 200}},
            "required": ["patient_name", "slot_id"]}}},
    {"type": "retrieval", "retrieval": {"bucket_ids": ["clinic-faq"]}},
]
MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct"
CHAT_TOOLS = {"model": MODEL, "messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto", "max_tokens": 256}
CHAT_STRUCTURED = {"model": MODEL, "messages": MESSAGES, "max_tokens": 256,
                   "response_format": {"type": "json_schema", "json_schema": {"name": "booking", "schema": BOOKING_SCHEMA}}}
CHAT_GUIDED = {"model": MODEL, "messages": MESSAGES, "max_tokens": 256, "guided_json": BOOKING_SCHEMA}
INVALID = {"model": MODEL, "messages": "not-a-list"}
GATHER = {"parameters": {"type": "object", "properties": {"name": {"type": "string"}, "date": {"type": "string", "format": "date"}},
                         "required": ["name"]}, "greeting": "Hi, what name is the booking under?"}
SPEAK = {"payload": "Your cleaning is booked for Tuesday at 3 pm.", "voice": "female", "language": "en-US"}


@dataclass
class Case:
    name: str
    method: str
    path: str  # {call} = the live call's id
    body: dict[str, Any] | None
    status: int  # what the emulator must answer
    vary: bool = False  # a new last user turn on every request (defeats any answer cache)
    stream: bool = False


CASES = [
    Case("GET /v2/ai/assistants", "GET", "/v2/ai/assistants", None, 200),
    Case("chat, tools", "POST", "/v2/ai/chat/completions", CHAT_TOOLS, 200),
    Case("chat, tools, stream", "POST", "/v2/ai/chat/completions", {**CHAT_TOOLS, "stream": True}, 200, stream=True),
    Case("chat, tools, new turn each", "POST", "/v2/ai/chat/completions", CHAT_TOOLS, 200, vary=True),
    Case("chat, response_format", "POST", "/v2/ai/chat/completions", CHAT_STRUCTURED, 200),
    Case("chat, guided_json", "POST", "/v2/ai/chat/completions", CHAT_GUIDED, 200),
    Case("invalid POST (422)", "POST", "/v2/ai/chat/completions", INVALID, 422),
    Case("live call: speak", "POST", "/v2/calls/{call}/actions/speak", SPEAK, 200),
]

# A wrk script per case. ``vary`` rewrites the last user turn per request (the body is split
# around a marker once; the per-request cost on wrk's side is one string concatenation).
WRK_LUA = """
wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
local head, tail = [==[{head}]==], [==[{tail}]==]
{request}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
VARY_LUA = """local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, head .. " (turn " .. n .. ")" .. tail)
end"""
MARKER = "\x00turn\x00"


def prepare_call(server: Server) -> None:
    """Dial a call, have the other party answer (auto-answer by default), and check one AI gather."""
    status, raw = request(server.url("/v2/calls"), "POST", {"connection_id": "conn-bench", "from": "+13125550001", "to": "+13125550100"})
    if status >= 300:
        raise RuntimeError(f"{server.label}: POST /v2/calls answered {status}: {raw[:200]!r}")
    data = json.loads(raw).get("data", {})
    server.call_id = str(data.get("call_control_id") or server.call_id)
    if server.prefix:  # the emulator: make sure the call is answered before commanding it
        request(f"http://127.0.0.1:{server.port}/_emulator/calls/{server.call_id}/answer", "POST", {})
        for _ in range(100):
            _, call = request(f"http://127.0.0.1:{server.port}/_emulator/calls/{server.call_id}")
            if json.loads(call).get("data", {}).get("state") == "answered":
                break
            time.sleep(0.05)
    status, raw = request(server.url("/v2/calls/{call}/actions/gather_using_ai"), "POST", GATHER)
    if status >= 300:
        raise RuntimeError(f"{server.label}: gather_using_ai answered {status}: {raw[:200]!r}")


def check(server: Server, case: Case) -> str:
    """One request first: the status the case expects (the bare app answers 200 to everything).

    A different 4xx is noted, not fatal: the published document forbids some of what the
    embedded one (corrected) accepts, e.g. ``response_format`` json_schema; Prism answers from
    the document's examples."""
    status, raw = request(server.url(case.path), case.method, case.body)
    expected = 200 if server.label.startswith("bare") else case.status
    if status == expected:
        return ""
    if 400 <= status < 500 and not server.label.startswith("bare"):
        return f"answers {status}"
    raise RuntimeError(f"{server.label} {case.name}: expected {expected}, got {status}: {raw[:300]!r}")


def run_wrk(server: Server, case: Case, duration: int, connections: int, workdir: str) -> dict[str, float]:
    body = ""
    if case.body is not None:
        if case.vary:
            varied = json.loads(json.dumps(case.body))
            varied["messages"][-1]["content"] += MARKER
            body = json.dumps(varied)
        else:
            body = json.dumps(case.body)
    head, _, tail = body.partition(json.dumps(MARKER)[1:-1]) if case.vary else (body, "", "")
    script = Path(workdir, f"case_{abs(hash(case.name))}.lua")
    script.write_text(WRK_LUA.format(method=case.method, head=head, tail=tail, request=VARY_LUA if case.vary else "wrk.body = head"))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script), server.url(case.path)],
        capture_output=True, text=True, check=True,
    ).stdout
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not m:
        raise RuntimeError(out)
    requests, duration_us, p50, p99, errors = m.groups()
    return {"rps": int(requests) / (int(duration_us) / 1e6), "p50": float(p50), "p99": float(p99), "errors": int(errors), "requests": int(requests)}


def check_server(server: Server) -> None:
    """Before any measurement: a live call to command (emulators), and each case's status."""
    if not server.label.startswith("bare"):
        prepare_call(server)
    for case in CASES:
        note = check(server, case)
        if note:
            server.notes[case.name] = note


def bench_case(server: Server, case: Case, args: argparse.Namespace, workdir: str) -> None:
    """One wrk run of ``case``; the server keeps its best req/s, p50 and p99 over the rounds."""
    r = run_wrk(server, case, args.duration, args.connections, workdir)
    server.rounds.setdefault(case.name, []).append(r)
    best = server.results.get(case.name, {})
    server.results[case.name] = {**r, "rps": max(r["rps"], best.get("rps", 0.0)), "p99": min(r["p99"], best.get("p99", float("inf"))),
                                 "p50": min(r["p50"], best.get("p50", float("inf")))}
    expected_errors = (case.status >= 400 or case.name in server.notes) and not server.label.startswith("bare")
    if r["errors"] and not expected_errors:
        print(f"    ! {server.label}, {case.name}: {r['errors']} non-2xx/socket errors of {r['requests']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=2, help="wrk runs per case and server (best kept)")
    parser.add_argument("--spec", type=Path, default=None, help="also benchmark the emulator with this document (e.g. the published one)")
    parser.add_argument("--prism", default=None, help="Prism's executable (default: prism on PATH); e.g. node_modules/.bin/prism")
    parser.add_argument("--only", default=None, help="run only cases whose name contains this")
    parser.add_argument("--starts", type=int, default=5, help="timed starts per server (the median is reported; the last one is loaded)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian/Ubuntu: apt-get install wrk); this benchmark needs it — nothing measured.")
        return 0
    if args.only:
        CASES[:] = [c for c in CASES if args.only in c.name]
    prism = find_prism(args.prism)
    print(f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.repeat} interleaved rounds per case; {os.cpu_count()} CPUs; "
          f"load average at start {load_average()}")
    if prism is None:
        print("Prism not found (npm install @stoplight/prism-cli, then --prism node_modules/.bin/prism): its column is skipped")
    # Before any server starts: start-up is timed as installed, with compiled bytecode (see compile_bytecode).
    print(compile_bytecode(), flush=True)

    servers: list[Server] = []
    with tempfile.TemporaryDirectory() as tmp:
        starters = [lambda: start_bare(tmp), lambda: start_emulator("emulator, embedded document", str(Path(tmp, "s1")))]
        if args.spec is not None:
            if args.spec.is_file():
                # the first start parses the YAML and fills the spec cache; the measured one reads the cache
                first = start_emulator("warm-up", str(Path(tmp, "s2")), args.spec)
                print(f"  --spec {args.spec.name}: first start (parses, fills the cache) {first.started_s:.2f}s")
                stop(first)
                starters.append(lambda: start_emulator(f"emulator, --spec {args.spec.name}", str(Path(tmp, "s2")), args.spec))
            else:
                print(f"(--spec {args.spec} not found: skipped)")
        if prism is not None:
            starters.append(lambda: start_prism(prism, EMBEDDED))
        try:
            for start in starters:  # one at a time: start-up is timed with nothing else starting
                # Several starts, each a new process: one start's time moves by ±30 % on the
                # shared machine, so a single sample says little. All but the last are stopped.
                starts = []
                for _ in range(max(1, args.starts) - 1):
                    trial = start()
                    starts.append(trial.started_s)
                    stop(trial)
                server = start()
                server.starts = [*starts, server.started_s]
                try:
                    check_server(server)
                except Exception as exc:  # noqa: BLE001 - measure the others
                    print(f"  {server.label}: left out: {exc}")
                    stop(server)
                    continue
                servers.append(server)
            # Rounds, each running every case on every server back to back (the order reversed
            # every other round): the shared machine's speed drifts by tens of percent within
            # minutes, and a server measured minutes after the bare app was compared with a
            # different machine. Idle servers cost nothing while another is measured.
            for round_ in range(args.repeat):
                print(f"  round {round_ + 1}/{args.repeat}: load average {load_average()}", flush=True)
                for case in CASES:
                    for server in servers if round_ % 2 == 0 else servers[::-1]:
                        bench_case(server, case, args, tmp)
            for server in servers:
                server.rss_after_mb = rss_mb(server.proc.pid)  # type: ignore[attr-defined]
                print(f"  {server.label}:")
                for name, r in server.results.items():
                    print(f"    {name}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms", flush=True)
        finally:
            for server in servers:
                stop(server)
    report(servers)
    return 0


def paired(server: Server, bare: Server, case: str, key: str) -> float:
    """The median over rounds of ``key``'s ratio to the bare app's *in the same round*: the two
    runs are seconds apart, so the machine's drift (tens of percent within minutes) cancels, where
    best ÷ best can pair a fast minute of one server with a slow minute of the other."""
    ratios = [r[key] / b[key] for r, b in zip(server.rounds[case], bare.rounds[case], strict=True) if b[key] > 0]
    return statistics.median(ratios) if ratios else float("nan")


def report(servers: list[Server]) -> None:
    bare = servers[0]
    prism = next((s for s in servers if s.label.startswith("Prism")), None)
    print()
    print("× bare: best req/s over the rounds ÷ the bare app's best; paired: the median over rounds of the "
          "same round's ratio (see paired()). p99: the best (lowest) of the rounds.")
    print()
    for server in servers[1:]:
        cols = ("| case | bare req/s | req/s | × bare | paired | p99 ms (bare) | p99 × bare | paired |"
                + (" Prism req/s | × Prism |" if prism and server is not prism else ""))
        print(f"### {server.label}")
        print(cols)
        print("|" + "---|" * (cols.count("|") - 1))
        for case in CASES:
            b, r = bare.results[case.name], server.results[case.name]
            name = f"{case.name} ({server.notes[case.name]})" if case.name in server.notes else case.name
            line = (f"| {name} | {b['rps']:,.0f} | {r['rps']:,.0f} | {r['rps'] / b['rps']:.2f} | {paired(server, bare, case.name, 'rps'):.2f} | "
                    f"{r['p99']:.1f} ({b['p99']:.1f}) | {r['p99'] / b['p99']:.2f} | {paired(server, bare, case.name, 'p99'):.2f} |")
            if prism and server is not prism:
                p = prism.results[case.name]
                line += f" {p['rps']:,.0f} | {r['rps'] / p['rps']:.1f} |"
            print(line)
        print()
    for server in servers:
        rss_after = getattr(server, "rss_after_mb", float("nan"))
        times = server.starts or [server.started_s]
        print(f"{server.label}: start-up to first answer {statistics.median(times):.2f}s (median of {len(times)} starts, "
              f"{min(times):.2f}–{max(times):.2f}); RSS after load {server.rss_loaded_mb:.0f} MB, "
              f"after the benchmark {rss_after:.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
