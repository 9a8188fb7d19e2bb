"""The server processes ``bench_http.py`` measures, and how it starts, probes and stops them.

The bare Starlette app (its source, ``BARE_APP``), the emulator and Prism each run as a
separate process behind a ``Server``; ``start_*`` time each start-up to the first answer and
read RSS once it answers. Also: a plain HTTP client for set-up requests (``request``), the
one-off bytecode compilation of the emulator package before any start (``compile_bytecode``)
and the machine's load average.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench"}

STREAM_EVENTS = 38  # what the emulator streams for CHAT_TOOLS with "stream": true (role, 35 pieces, finish, [DONE])
BARE_APP = textwrap.dedent(
    f"""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    EVENT = (b'data: {{"id":"chatcmpl-6096d707370b5c68e849fbf6a9034","object":"chat.completion.chunk","created":1796125845,'
             b'"model":"meta-llama/Meta-Llama-3.1-8B-Instruct","system_fingerprint":"fp_telnyx_emulator",'
             b'"choices":[{{"index":0,"delta":{{"content":" word"}},"logprobs":null,"finish_reason":null}}]}}\\n\\n')

    async def events():
        for _ in range({STREAM_EVENTS}):
            yield EVENT

    async def ok(request):
        body = await request.body()
        if b'"stream": true' in body:  # the streaming ceiling: as many events as the emulator sends
            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse({{"data": [], "meta": {{"total_pages": 0}}}})

    app = Starlette(routes=[Route("/{{path:path}}", ok, methods=["GET", "POST"])])
    """
)


@dataclass
class Server:
    label: str
    proc: subprocess.Popen[bytes]
    port: int
    prefix: str = ""  # Prism serves the document's paths without the /v2 server prefix
    started_s: float = float("nan")  # this process's start-up to its first answer
    starts: list[float] = field(default_factory=list)  # every timed start of this server kind (see bench_http's --starts)
    rss_loaded_mb: float = float("nan")
    results: dict[str, dict[str, float]] = field(default_factory=dict)  # case → best req/s, p50, p99 over the rounds
    rounds: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # case → each round's run, in order
    notes: dict[str, str] = field(default_factory=dict)  # case → how this server answered it, when not as expected
    call_id: str = "v3:bench-call"

    def url(self, path: str) -> str:
        if self.prefix == "" and path.startswith("/v2/"):
            path = path[3:]
        return f"http://127.0.0.1:{self.port}{path.replace('{call}', self.call_id)}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers if headers is not None else HEADERS)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_answer(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> float:
    """Seconds until ``url`` answers at all (any status): the first answer, as a client sees it."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            request(url, timeout=1)
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} did not come up")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def compile_bytecode() -> str:
    """Compile the emulator package's bytecode once, before any server starts; says what it did.

    Start-up is timed as installed: ``pip install .`` (and so the Docker image) leaves .pyc
    files, but the emulator here runs from the source tree, and where PYTHONDONTWRITEBYTECODE
    is set (as on the shared benchmark machine) nothing ever writes them, so every start would
    compile ~200 modules from source (~0.3 s) first. The environment variable only stops
    writing; the started processes still read what compileall writes."""
    package = REPO / "emulator"
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=False)
    if done.returncode != 0:
        return f"compileall {package} failed ({done.returncode}): start-up includes compiling from source"
    return f"compiled {package} to bytecode (start-up is timed as installed, with .pyc files)"


def start_emulator(label: str, state_dir: str, spec: Path | None = None) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "emulator", "--port", str(port), "--state-dir", state_dir, "--log-level", "warning"]
    if spec is not None:
        cmd += ["--spec", str(spec)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(label, proc, port, prefix="/v2")
    wait_answer(server.url("/v2/ai/assistants"), proc)
    server.started_s = time.perf_counter() - t0
    server.rss_loaded_mb = rss_mb(proc.pid)
    return server


def start_bare(workdir: str) -> Server:
    Path(workdir, "bare_app.py").write_text(BARE_APP)
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning", "--no-access-log",
           "--http", "httptools", "--loop", "uvloop"]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("bare Starlette", proc, port, prefix="/v2")
    server.started_s = wait_answer(server.url("/health"), proc)
    server.rss_loaded_mb = rss_mb(proc.pid)
    return server


def find_prism(given: str | None) -> str | None:
    if given:
        return given if Path(given).exists() or shutil.which(given) else None
    return shutil.which("prism")


def start_prism(prism: str, document: Path) -> Server:
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([prism, "mock", "-h", "127.0.0.1", "-p", str(port), str(document)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("Prism (embedded document)", proc, port)
    wait_answer(server.url("/v2/ai/assistants"), proc)
    server.started_s = time.perf_counter() - t0
    server.rss_loaded_mb = rss_mb(proc.pid)
    return server


def stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
