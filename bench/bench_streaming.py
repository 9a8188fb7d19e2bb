"""Streamed chat completions: time-to-first-chunk and chunks/s with concurrent streams.

    python bench/bench_streaming.py [--streams 32] [--rounds 10] [--tokens 400] [--delay 0]

The emulator runs as a separate uvicorn process (one worker, no access log); the client is a
raw asyncio socket load generator in this process. A repeating scripted rule makes every stream
answer a fixed ``--tokens``-token text, so each stream is exactly ``tokens + 2`` SSE chunks
(role chunk, one per token, finish chunk) plus ``[DONE]``.

Figures: time to first chunk (request sent → first ``data:`` line) p50/p99 over all streams, and
for new streams opened by a separate probe process while the 32 run (the target's figure: the
load generator itself parses ~10^4 chunks/s, so its own timings include its queueing),
aggregate chunks/s, per-stream chunks/s (min/median/max), and the worst gap between two chunks
of one stream. "No stream starves" = every stream completes, and the slowest stream's rate is
within a factor of the median (streams interleave instead of running one after another).
Targets (no simulated delay): first chunk p99 <= 10 ms; no stream starves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]

SERVER = textwrap.dedent(
    """
    import sys, uvicorn
    from pathlib import Path
    from emulator.app import create_app
    from emulator.core.settings import Settings
    settings = Settings(state_dir=Path(sys.argv[2]), stream_token_delay=float(sys.argv[3]))
    uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def one_stream(port: int, payload: bytes) -> tuple[float, int, float, float]:
    """(time to first chunk, chunks, duration, worst inter-chunk gap) of one streamed request.

    A raw asyncio socket client (not httpx): a Python HTTP client parsing 10^4 SSE lines a
    second shares the CPU with the server and would measure its own queueing, not ours.
    """
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /v2/ai/openai/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer bench\r\n"
        f"content-type: application/json\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    first = None
    last = started
    gap = 0.0
    count = 0
    tail = b""
    while True:
        data = await reader.read(65536)
        if not data:
            break
        now = time.perf_counter()
        window = tail + data
        found = window.count(b"data: ") - tail.count(b"data: ")
        if found:
            if first is None:
                first = now - started
            else:
                gap = max(gap, now - last)
            last = now
            count += found
        tail = window[-16:]
        if b"data: [DONE]" in window:
            break
    writer.close()
    return first or 0.0, count - 1, time.perf_counter() - started, gap  # minus [DONE]


async def first_chunk_only(port: int, payload: bytes) -> float:
    """Time to the first ``data:`` line of a new stream; the connection is then dropped."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /v2/ai/openai/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer bench\r\n"
        f"content-type: application/json\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    window = b""
    while b"data: " not in window:
        data = await reader.read(65536)
        if not data:
            break
        window += data
    elapsed = time.perf_counter() - started
    writer.close()
    return elapsed


async def probe(port: int, seconds: float, payload: bytes) -> list[float]:
    """New streams opened one at a time every ~5 ms for ``seconds`` (run in its own process)."""
    out = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        out.append(await first_chunk_only(port, payload))
        await asyncio.sleep(0.005)
    return out


def report(label: str, results: list[tuple[float, int, float, float]], elapsed: float, tokens: int) -> None:
    ttfc = [r[0] for r in results]
    rates = [r[1] / r[2] for r in results]
    assert all(r[1] == tokens + 2 for r in results), "a stream ended early"
    total = sum(r[1] for r in results)
    median_rate = statistics.median(rates)
    print(f"[{label}] {len(results)} streams, {tokens + 2} chunks each")
    print(f"  time to first chunk: p50 {percentile(ttfc, 50) * 1000:.2f} ms, p99 {percentile(ttfc, 99) * 1000:.2f} ms, max {max(ttfc) * 1000:.2f} ms")
    print(f"  aggregate: {total / elapsed:,.0f} chunks/s ({total} chunks in {elapsed:.2f} s)")
    print(f"  per stream: min {min(rates):,.0f} / median {median_rate:,.0f} / max {max(rates):,.0f} chunks/s; "
          f"worst gap between chunks {max(r[3] for r in results) * 1000:.1f} ms")
    print(f"  starvation: {'none' if min(rates) >= median_rate / 4 else 'YES (slowest stream < 1/4 of the median rate)'}")


async def run(base: str, port: int, streams: int, rounds: int, tokens: int, delay: float) -> float:
    text = " ".join(f"word{i % 50}" for i in range(tokens))
    async with httpx.AsyncClient(base_url=base) as admin:
        (await admin.post("/_emulator/rules", json={"reply": {"content": text}, "repeat": True})).raise_for_status()
    body = {"model": "zai-org/GLM-5.2", "messages": [{"role": "user", "content": "stream please"}], "stream": True}
    payload = json.dumps(body).encode()
    await one_stream(port, payload)  # warm-up
    solo = min([(await one_stream(port, payload))[2] for _ in range(3)])

    # Steady state: `streams` clients, each opening its next stream as soon as the last ends,
    # with starts spread over one stream's duration under load so that new streams arrive
    # spread out rather than in lock-step. Without a token delay a stream is CPU-bound and
    # under load lasts ~streams x its solo duration; with a delay it lasts about its solo time.
    step = solo if delay == 0 else solo / streams

    async def worker(i: int) -> list[tuple[float, int, float, float]]:
        await asyncio.sleep(i * step)
        return [await one_stream(port, payload) for _ in range(rounds)]

    # The probe: a separate light process opening one new stream at a time while the 32 run,
    # so its timing is not queued behind this process parsing 10^4 chunks a second.
    expected = rounds * (solo * streams if delay == 0 else solo)
    probe_proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--probe", str(port), str(round(expected * 0.7, 3)), payload.decode(),
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    started = time.perf_counter()
    steady = [r for batch in await asyncio.gather(*(worker(i) for i in range(streams))) for r in batch]
    elapsed = time.perf_counter() - started
    probe_out, _ = await probe_proc.communicate()
    probes = json.loads(probe_out)
    report(f"steady: {streams} concurrent streams", steady, elapsed, tokens)
    print(f"  new stream opened while {streams} streams run: time to first chunk p50 {percentile(probes, 50) * 1000:.2f} ms, "
          f"p99 {percentile(probes, 99) * 1000:.2f} ms, max {max(probes) * 1000:.2f} ms ({len(probes)} probes, separate process)")

    # Burst: all streams requested at the same instant (the last one queues behind the others).
    started = time.perf_counter()
    burst = await asyncio.gather(*(one_stream(port, payload) for _ in range(streams)))
    report(f"burst: {streams} streams opened at once", list(burst), time.perf_counter() - started, tokens)
    return percentile(probes, 99)


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--probe":  # the probe process (see run())
        print(json.dumps(asyncio.run(probe(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].encode()))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.0, help="stream_token_delay of the server (seconds)")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), state, str(args.delay)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/_emulator/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("server did not start")
                time.sleep(0.05)
            try:  # the client's own loop overhead is part of what it measures: use the fast loop
                import uvloop  # noqa: PLC0415 - optional

                p99 = uvloop.run(run(base, port, args.streams, args.rounds, args.tokens, args.delay))
            except ImportError:
                p99 = asyncio.run(run(base, port, args.streams, args.rounds, args.tokens, args.delay))
            print(f"target: first chunk of a new stream p99 <= 10 ms while {args.streams} streams run: "
                  f"{'met' if p99 <= 0.010 else 'MISSED'} ({p99 * 1000:.2f} ms; token delay {args.delay * 1000:g} ms)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
