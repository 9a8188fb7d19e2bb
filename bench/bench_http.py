"""Throughput and latency of the emulator against a bare Starlette app, in one run.

    python bench/bench_http.py [--duration 10] [--connections 32] [--full-spec PATH]

Both servers run as separate uvicorn processes (one worker, httptools + uvloop, no access log).
Requests: GET /v2/ai/assistants, POST /v2/ai/chat/completions with a realistic body, and an
invalid POST (422). The bare app answers the same paths with a fixed small JSON body, so the
ratio shows what routing + auth + validation + handling cost. Also prints start-up time with
the embedded document and with --full-spec, and each server's RSS after the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FULL_SPEC = REPO.parent / "shared" / "openapi" / "telnyx-spec3.yml"

CHAT_BODY = {
    "model": "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "messages": [
        {"role": "system", "content": "You are a helpful voice assistant for a dental clinic."},
        {"role": "user", "content": "Hi, I'd like to book a cleaning next Tuesday afternoon if possible."},
    ],
    "max_tokens": 64,
    "temperature": 0.2,
}
INVALID_BODY = {"model": "x", "messages": "not-a-list"}

BARE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def ok(request):
        await request.body()
        return JSONResponse({"data": [], "meta": {"total_pages": 0}})

    app = Starlette(routes=[Route("/{path:path}", ok, methods=["GET", "POST"])])
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 60) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            urllib.request.urlopen(url, timeout=1)
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not come up")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_emulator(port: int, state_dir: str, spec: Path | None = None) -> tuple[subprocess.Popen[bytes], float]:
    cmd = [sys.executable, "-m", "emulator", "--port", str(port), "--state-dir", state_dir, "--log-level", "warning"]
    if spec is not None:
        cmd += ["--spec", str(spec)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}/_emulator/health")
    return proc, time.perf_counter() - t0


def start_bare(port: int, workdir: str) -> subprocess.Popen[bytes]:
    Path(workdir, "bare_app.py").write_text(BARE_APP)
    cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}/health")
    return proc


WRK_LUA = """
wrk.method = "{method}"
wrk.body   = [[{body}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def run_wrk(url: str, method: str, body: dict | None, duration: int, connections: int, workdir: str) -> dict[str, float]:
    script = Path(workdir, f"{method.lower()}_{abs(hash(json.dumps(body)))}.lua")
    script.write_text(WRK_LUA.format(method=method, body=json.dumps(body) if body else ""))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out)
    assert m, out
    requests, duration_us, p50, p99, errors = m.groups()
    return {"rps": int(requests) / (int(duration_us) / 1e6), "p50_ms": float(p50), "p99_ms": float(p99), "non_2xx_or_errors": int(errors)}


def run_python_load(url: str, method: str, body: dict | None, duration: int, connections: int) -> dict[str, float]:
    async def main() -> dict[str, float]:
        latencies: list[float] = []
        deadline = time.perf_counter() + duration
        async with httpx.AsyncClient(headers={"Authorization": "Bearer bench"}, timeout=10) as client:
            async def worker() -> None:
                while time.perf_counter() < deadline:
                    t = time.perf_counter()
                    await client.request(method, url, json=body)
                    latencies.append(time.perf_counter() - t)
            await asyncio.gather(*(worker() for _ in range(connections)))
        latencies.sort()
        return {
            "rps": len(latencies) / duration,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
            "non_2xx_or_errors": 0,
        }

    return asyncio.run(main())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--full-spec", type=Path, default=DEFAULT_FULL_SPEC)
    args = parser.parse_args()
    load = "wrk" if shutil.which("wrk") else "python"
    print(f"load generator: {load}; {args.connections} connections; {args.duration}s per case")

    with tempfile.TemporaryDirectory() as tmp:
        emu_port, bare_port = free_port(), free_port()
        emu, start_embedded = start_emulator(emu_port, tmp)
        bare = start_bare(bare_port, tmp)
        cases = [
            ("GET /v2/ai/assistants", "GET", "/v2/ai/assistants", None),
            ("POST /v2/ai/chat/completions", "POST", "/v2/ai/chat/completions", CHAT_BODY),
            ("POST invalid (422)", "POST", "/v2/ai/chat/completions", INVALID_BODY),
        ]
        rows = []
        try:
            for name, method, path, body in cases:
                results = {}
                for label, port in (("bare", bare_port), ("emulator", emu_port)):
                    url = f"http://127.0.0.1:{port}{path}"
                    if load == "wrk":
                        results[label] = run_wrk(url, method, body, args.duration, args.connections, tmp)
                    else:
                        results[label] = run_python_load(url, method, body, args.duration, args.connections)
                rows.append((name, results))
            emu_rss, bare_rss = rss_mb(emu.pid), rss_mb(bare.pid)
        finally:
            emu.terminate()
            bare.terminate()
            emu.wait()
            bare.wait()

        print(f"\n{'case':32} {'bare rps':>10} {'emu rps':>10} {'ratio':>6} {'bare p50/p99 ms':>17} {'emu p50/p99 ms':>17}")
        for name, r in rows:
            b, e = r["bare"], r["emulator"]
            print(
                f"{name:32} {b['rps']:10.0f} {e['rps']:10.0f} {e['rps'] / b['rps']:6.2f} "
                f"{b['p50_ms']:8.2f}/{b['p99_ms']:<8.2f} {e['p50_ms']:8.2f}/{e['p99_ms']:<8.2f}"
            )
        print(f"\nRSS after load: emulator {emu_rss:.0f} MB, bare app {bare_rss:.0f} MB")
        print(f"start-up (process start → health answers), embedded document: {start_embedded:.2f}s")
        if args.full_spec.is_file():
            for attempt in ("first (parses YAML, fills cache)", "second (cached)"):
                port = free_port()
                proc, seconds = start_emulator(port, tmp, args.full_spec)
                rss = rss_mb(proc.pid)
                proc.terminate()
                proc.wait()
                print(f"start-up with --spec {args.full_spec.name}, {attempt}: {seconds:.2f}s, RSS {rss:.0f} MB")
        else:
            print(f"(full published document not found at {args.full_spec}; skipped --spec start-up)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
