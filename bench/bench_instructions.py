"""Instructions per request, server side, over HTTP: the emulator beside the bare app, exactly.

    python bench/bench_instructions.py [--requests 400] [--spec ../shared/openapi/telnyx-spec3.yml] [--only NAME]

wrk's req/s on a shared machine drift by tens of percent within minutes (``bench_http.py``
interleaves and pairs its runs against that, and still moves by about ±0.1 between runs).
Instruction counts do not drift: this runs each server under ``valgrind --tool=callgrind``
with instrumentation off, and for each of ``bench_http.py``'s cases sends a warm-up, then
switches instrumentation on around ``--requests`` keep-alive requests from one client
connection, off, and dumps the count. What is counted is everything the server process runs
per request: uvicorn, httptools, the event loop and the app, the same for the bare app.

What the count does not see: cache and TLB misses (a 97 MB process misses more than a 34 MB
one), the kernel's socket work, and queueing under concurrency; so ``bare Ir ÷ emulator Ir``
is the throughput ratio the CPU work alone predicts, an upper bound for wrk's. Needs valgrind
(Debian package ``valgrind``, which brings ``callgrind_control``); without it the script says so
and stops. Under valgrind a start takes ~20–60 s and a case a few seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_http import CASES, MARKER, Case, prepare_call
from servers import BARE_APP, HEADERS, REPO, Server, free_port, request, stop, wait_answer

WARM_UP = 100


def start(label: str, command: list[str], workdir: str, cwd: str, prefix: str = "/v2") -> tuple[Server, Path]:
    """``command`` under callgrind, instrumentation off until a case switches it on; the server,
    and the path its dumps are numbered after."""
    port = free_port()
    out = Path(workdir, f"callgrind.{abs(hash(label))}.out")
    vg = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    proc = subprocess.Popen([*vg, *command, "--port", str(port)], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(label, proc, port, prefix=prefix)
    wait_answer(server.url("/v2/ai/assistants"), proc, timeout=600)
    return server, out


def bodies(case: Case) -> tuple[bytes, bytes] | None:
    """The body split around the varying turn (``vary``), as bench_http's wrk script does."""
    if case.body is None:
        return None
    if not case.vary:
        return json.dumps(case.body).encode(), b""
    varied = json.loads(json.dumps(case.body))
    varied["messages"][-1]["content"] += MARKER
    head, _, tail = json.dumps(varied).partition(json.dumps(MARKER)[1:-1])
    return head.encode(), tail.encode()


def send(client: http.client.HTTPConnection, server: Server, case: Case, parts: tuple[bytes, bytes] | None, n: int, start_at: int) -> int:
    """``n`` requests on one connection; the status of the last."""
    path = server.url(case.path).split(str(server.port), 1)[1]
    status = 0
    for i in range(start_at, start_at + n):
        body = None if parts is None else parts[0] + (f" (turn {i})".encode() + parts[1] if case.vary else b"")
        client.request(case.method, path, body=body, headers=HEADERS)
        response = client.getresponse()
        response.read()
        status = response.status
    return status


def counted(server: Server, out: Path) -> int:
    """Instructions since the last dump (callgrind_control -d writes them and zeroes the counters)."""
    subprocess.run(["callgrind_control", "-d", str(server.proc.pid)], check=True, capture_output=True)
    dumps = sorted(out.parent.glob(out.name + ".*"), key=lambda p: p.stat().st_mtime)
    text = dumps[-1].read_text(errors="replace") if dumps else ""
    m = re.search(r"^totals: (\d+)", text, re.M)
    if not m:
        raise RuntimeError(f"{server.label}: no instruction total in {dumps[-1] if dumps else 'any dump'}")
    return int(m.group(1))


def settle(server: Server, out: Path, quiet: int = 2_000_000, limit: float = 180.0) -> float:
    """Wait until the call's AI gather has ended and the idle server runs fewer than ``quiet``
    instructions a second: the gather the set-up checks goes on for a few seconds of simulated
    conversation (transcripts, results, the conversation record: ~200M instructions), which
    would be counted against the next case. Returns the seconds waited."""
    pid = str(server.proc.pid)
    waited = 0.0
    control = f"http://127.0.0.1:{server.port}/_emulator/calls/{server.call_id}"
    while waited < limit and json.loads(request(control)[1]).get("data", {}).get("ai") is not None:
        time.sleep(0.5)
        waited += 0.5
    while waited < limit:
        counted(server, out)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        time.sleep(1.0)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        waited += 1.0
        if counted(server, out) < quiet:
            break
    return waited


def measure(server: Server, out: Path, case: Case, n: int) -> tuple[float, int]:
    """(instructions per request, status) for ``n`` requests of ``case``."""
    parts = bodies(case)
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        send(client, server, case, parts, WARM_UP, 10**6)
        pid = str(server.proc.pid)
        counted(server, out)  # drop anything counted since the last case
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        status = send(client, server, case, parts, n, 0)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        return counted(server, out) / n, status
    finally:
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="counted requests per case and server")
    parser.add_argument("--spec", type=Path, default=None, help="also count the emulator with this document")
    parser.add_argument("--only", default=None, help="run only cases whose name contains this")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (Debian/Ubuntu: apt-get install valgrind); this benchmark needs it — nothing measured.")
        return 0
    cases = [c for c in CASES if not args.only or args.only in c.name]
    print(f"callgrind, {args.requests} keep-alive requests per case after {WARM_UP} warm-up ones; one client connection", flush=True)
    results: dict[str, dict[str, tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        uvicorn_bare = [sys.executable, "-m", "uvicorn", "bare_app:app", "--log-level", "warning", "--no-access-log", "--http", "httptools", "--loop", "uvloop"]
        emulator = [sys.executable, "-m", "emulator", "--log-level", "warning"]
        plans = [("bare Starlette", uvicorn_bare, tmp), ("emulator, embedded document", [*emulator, "--state-dir", str(Path(tmp, "s1"))], str(REPO))]
        if args.spec is not None and args.spec.is_file():
            plans.append((f"emulator, --spec {args.spec.name}", [*emulator, "--state-dir", str(Path(tmp, "s2")), "--spec", str(args.spec.resolve())], str(REPO)))
        for label, command, cwd in plans:
            server, out = start(label, command, tmp, cwd)
            try:
                if not label.startswith("bare"):
                    prepare_call(server)
                    print(f"  {label}: settled {settle(server, out):.0f} s after the call's set-up", flush=True)
                results[label] = {}
                for case in cases:
                    results[label][case.name] = measure(server, out, case, args.requests)
                    print(f"  {label}, {case.name}: {results[label][case.name][0]:,.0f} Ir/request", flush=True)
            finally:
                stop(server)
    report(cases, results)
    return 0


def report(cases: list[Case], results: dict[str, dict[str, tuple[float, int]]]) -> None:
    bare = results["bare Starlette"]
    print()
    print("| case | bare Ir/request | " + " | ".join(f"{label} Ir/request | bare ÷ it" for label in results if label != "bare Starlette") + " |")
    print("|" + "---|" * (2 + 2 * (len(results) - 1)))
    for case in cases:
        line = f"| {case.name} | {bare[case.name][0]:,.0f} |"
        for label, per_case in results.items():
            if label == "bare Starlette":
                continue
            ir, status = per_case[case.name]
            note = "" if status == case.status else f" (answered {status})"
            line += f" {ir:,.0f}{note} | {bare[case.name][0] / ir:.2f} |"
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
