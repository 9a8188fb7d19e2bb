"""Signed webhook deliveries per second, and dispatch latency (emit → received), to a local receiver.

    python bench/bench_webhooks.py [--events 5000] [--calls 100] [--rate 1000] [--duration 3]

The receiver is a separate uvicorn process (httptools + uvloop) that answers 200 and records when
each event id arrived. The dispatcher runs in this process on uvloop, as under uvicorn.

1. Throughput: ``--events`` events spread over ``--calls`` ordering keys (calls), emitted at once;
   deliveries/s = events / (first emit → last delivery finished).
2. Latency: events emitted at a steady ``--rate`` per second for ``--duration`` seconds (below
   saturation, like a busy emulator); p50/p99 of emit → receiver got the body.
Targets: ≥ 1,000 deliveries/s and p99 ≤ 50 ms.

``--under-load SECONDS``: both at once. The emulator also serves HTTP in this process (uvicorn on
the same loop, as ``telnyx-emulator`` runs it) while ``wrk`` sends it the voice agent's chat body
with tools (``bench_http.py``'s) for that long; phases 1 and 2 run inside that window, and the
API's req/s and p99 over the window are printed beside the deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import orjson
import uvicorn
import uvloop

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from emulator.app import create_app  # noqa: E402
from emulator.core.settings import Settings  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import bench_http  # noqa: E402

RECEIVER_APP = textwrap.dedent(
    """
    import time, orjson
    seen = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["path"] == "/stats":
            out = orjson.dumps(seen)
            seen.clear()
        else:
            seen.append((orjson.loads(body)["data"]["id"], time.time()))
            out = b"ok"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(out)).encode())]})
        await send({"type": "http.response.body", "body": out})
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    (workdir / "bench_receiver.py").write_text(RECEIVER_APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_receiver:app", "--port", str(port), "--loop", "uvloop",
         "--http", "httptools", "--no-access-log", "--log-level", "warning"],
        cwd=workdir,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(url + "/stats", timeout=1).read()
            return proc, url
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("receiver did not start") from None
            time.sleep(0.05)


def stats(url: str) -> list[tuple[str, float]]:
    return [tuple(x) for x in orjson.loads(urllib.request.urlopen(url + "/stats", timeout=10).read())]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def run(args: argparse.Namespace, receiver: str, state_dir: Path) -> None:
    app = create_app(Settings(state_dir=state_dir, webhook_log_limit=max(10_000, args.events * 2)))
    d = app.state.emulator.services.webhooks
    server = load = None
    if args.under_load:
        server, load = await serve_under_load(app, args.under_load, state_dir)  # the lifespan starts the dispatcher
    else:
        await d.start()
    hook = receiver + "/hook"

    # warm-up: connections, code paths
    for i in range(200):
        d.emit(tenant="bench", event_type="call.initiated", payload={"i": i}, urls=[hook], ordering_key=f"w{i % 20}")
    await d.drain(30)
    stats(receiver)

    # 1. throughput
    payload = {"call_control_id": "v3:" + "x" * 40, "connection_id": "1234567890", "from": "+15550001111",
               "to": "+15550002222", "direction": "outgoing", "state": "bridging", "client_state": None}
    started = time.perf_counter()
    for i in range(args.events):
        d.emit(tenant="bench", event_type="call.answered", payload=payload, urls=[hook], ordering_key=f"call-{i % args.calls}")
    emitted = time.perf_counter()
    await d.drain(120)
    elapsed = time.perf_counter() - started
    got = stats(receiver)
    failed = sum(1 for ev in d.events(tenant="bench") if ev.status != "delivered")
    print(f"throughput: {args.events} signed deliveries over {args.calls} calls in {elapsed:.3f} s "
          f"= {args.events / elapsed:,.0f} deliveries/s  (emit loop {1e6 * (emitted - started) / args.events:.1f} µs/event; "
          f"received {len(got)}, not delivered {failed})")

    # 2. latency at a steady rate
    d.log.clear()
    sent: dict[str, float] = {}
    tick = 0.005
    per_tick = max(1, round(args.rate * tick))
    deadline = time.perf_counter() + args.duration
    n = 0
    next_tick = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(per_tick):
            ev = d.emit(tenant="bench", event_type="call.answered", payload=payload, urls=[hook], ordering_key=f"call-{n % args.calls}")
            sent[ev.id] = time.time()
            n += 1
        next_tick += tick
        await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
    await d.drain(60)
    latencies = [(t - sent[eid]) * 1000 for eid, t in stats(receiver) if eid in sent]
    rate = n / args.duration
    print(f"latency at {rate:,.0f} events/s for {args.duration:g} s ({len(latencies)} received): "
          f"p50 {statistics.median(latencies):.2f} ms, p99 {pct(latencies, 99):.2f} ms, max {max(latencies):.2f} ms")
    if server is not None and load is not None:
        if load.returncode is not None:
            print("(the API load ended before both phases did: raise --under-load)")
        out, _ = await load.communicate()
        m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out.decode())
        if m:
            requests, duration_us, p50, p99, errors = m.groups()
            print(f"API under load meanwhile (wrk -t2 -c32, chat with tools): {int(requests) / (int(duration_us) / 1e6):,.0f} req/s, "
                  f"p50 {float(p50):.1f} ms, p99 {float(p99):.1f} ms, errors {errors}")
        server.should_exit = True
        await asyncio.sleep(0.5)
    else:
        await d.stop()


async def serve_under_load(app: object, seconds: float, workdir: Path) -> tuple[uvicorn.Server, asyncio.subprocess.Process]:
    """Serve ``app`` on this loop and start wrk against it; returns once the load is running."""
    if shutil.which("wrk") is None:
        raise SystemExit("--under-load needs wrk (apt-get install wrk)")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http="httptools", loop="none",  # type: ignore[arg-type]
                                           log_level="warning", access_log=False, lifespan="on"))
    asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "under_load.lua"
    script.write_text(bench_http.WRK_LUA.format(method="POST", head=orjson.dumps(bench_http.CHAT_TOOLS).decode(), tail="", request="wrk.body = head"))
    load = await asyncio.create_subprocess_exec(
        "wrk", "-t2", "-c32", f"-d{seconds:g}s", "-s", str(script), f"http://127.0.0.1:{port}/v2/ai/chat/completions",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # the load is on before the first event is emitted
    return server, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=100, help="distinct ordering keys")
    parser.add_argument("--rate", type=float, default=1000, help="events/s in the latency phase")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--under-load", type=float, default=0, metavar="SECONDS",
                        help="serve the API in this process under wrk load for SECONDS while both phases run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        proc, receiver = start_receiver(Path(tmp))
        try:
            print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, receiver {receiver} (uvicorn, separate process)")
            uvloop.run(run(args, receiver, Path(tmp) / "state"))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
