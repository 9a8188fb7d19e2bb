"""One Settings object, from ``TELNYX_EMULATOR_*`` env vars overlaid by CLI flags."""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that changes how an emulator instance behaves.

    Env vars use the ``TELNYX_EMULATOR_`` prefix (e.g. ``TELNYX_EMULATOR_PORT=4011``); list values
    are comma separated (``TELNYX_EMULATOR_API_KEYS=k1,k2``).
    """

    # Each field's docstring is its documentation (``--help``, :func:`field_docs`). pydantic's
    # use_attribute_docstrings would read them at class creation, walking frames and ``inspect``
    # for ~50 ms of every start-up; field_docs parses this file once with ``ast`` (~2 ms) when
    # the command line's parser is built.
    model_config = SettingsConfigDict(env_prefix="TELNYX_EMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    """Interface to bind (the Docker image uses 0.0.0.0)."""
    port: int = 4010
    """Port to listen on."""
    spec: Path | None = None
    """Path to another OpenAPI 3.0/3.1 document (YAML or JSON); None = the embedded one."""
    fixtures: Path | None = None
    """Extra fixtures folder loaded at start and at every reset (on top of the shipped one)."""
    state_dir: Path = Path.home() / ".telnyx-emulator"
    """Holds the generated signing key and the parsed-spec cache."""
    signing_key: str | None = None
    """Ed25519 private key: base64 of the 32-byte seed, or a path to a file holding it."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Log level of the emulator and uvicorn."""
    access_log: bool = False
    """Log one line per request (method, path, status, latency, request id)."""
    api_keys: str = ""
    """Comma-separated accepted API keys; empty = any non-empty bearer token is accepted."""
    admin_token: str | None = None
    """When set, the control API requires ``Authorization: Bearer <admin_token>``."""
    seed: int = 0
    """Seed for ids, fake data and default replies: same seed + same requests = same bytes."""
    max_body_bytes: int = 10 * 1024 * 1024
    """Largest request body accepted; larger ones get 413."""
    body_timeout: float = Field(default=30.0, gt=0)
    """Seconds a client has to send a request body (a byte-at-a-time sender gets 408)."""
    header_timeout: float = Field(default=30.0, gt=0)
    """Seconds a client has to send a request's headers before the connection is closed."""
    webhook_url: str | None = None
    """Global default webhook URL for events with no call/connection-specific URL."""
    webhook_timeout: float = 2.0
    """Seconds a webhook receiver has to answer 2xx before the attempt counts as failed."""
    webhook_attempts: int = 3
    """Attempts per URL in all, the first try included (3 = a try and 2 retries); then the failover URL gets as many."""
    webhook_backoff: float = 0.2
    """Base of the exponential backoff between webhook attempts, in seconds."""
    webhook_concurrency: int = Field(default=100, ge=1)
    """Most webhook HTTP requests in flight at once (shared connection pool size)."""
    webhook_log_limit: int = Field(default=10_000, ge=1)
    """Events kept in the delivery log; the oldest finished ones are evicted beyond this."""
    webhook_disorder: Literal["none", "shuffle", "duplicate"] = "none"
    """Robustness testing: reorder same-call events in small windows, or send some twice (seeded)."""
    webhook_disorder_rate: float = Field(default=0.3, ge=0, le=1)
    """Share of events the "duplicate" disorder mode sends twice."""
    webhook_timestamp: Literal["emulator", "wall"] = "wall"
    """Clock behind ``telnyx-timestamp``: wall time (default — the SDKs reject signatures whose
    timestamp is > 300 s from real time, so tests that jump the emulator clock keep verifying),
    or the emulator clock (for byte-identical replays with a frozen clock)."""
    answer_delay: float = Field(default=0.0, ge=0)
    """Seconds of emulator clock before a dialled callee answers (scripts can override)."""
    stream_token_delay: float = Field(default=0.0, ge=0)
    """Wall-clock seconds between streamed model tokens (0 = as fast as possible)."""

    # -- strict or lenient (emulator/core/modes.py) -----------------------------------------
    unknown_ids: Literal["404", "create"] = "404"
    """An id the caller's tenant does not have: ``404`` (strict), or ``create`` an implicit
    resource synthesized from the document, which then behaves statefully."""
    business_rules: Literal["enforce", "warn"] = "enforce"
    """Checks the emulator makes beyond the document: ``enforce`` (422), or ``warn`` (go on with
    the rule's substitute and name it in ``x-emulator-warning``)."""
    lenient: bool = False
    """Both of the above lenient: ``unknown_ids=create`` and ``business_rules=warn``."""

    # -- scenarios and state control (emulator/faults/, emulator/core/snapshot.py) ----------
    clock_start: str | None = None
    """Start the emulator clock here (ISO 8601 or Unix seconds) instead of at wall time."""
    clock_frozen: bool = False
    """Freeze the emulator clock (at ``clock_start`` or start-up): with a fixed seed, the same
    requests then give byte-identical responses, timestamps included."""
    latency: bool = False
    """Simulate latency from each operation's ``x-latency-category`` (off by default)."""
    latency_scale: float = Field(default=1.0, ge=0)
    """Multiplier applied to simulated latency profiles (0.1 = ten times faster)."""
    rate_limit: bool = False
    """Enforce per-API-key token buckets, answering 429 like Telnyx (off by default)."""
    rate_limit_rps: float = Field(default=20.0, gt=0)
    """Sustained requests per second per API key when ``rate_limit`` is on."""
    rate_limit_burst: int = Field(default=40, ge=1)
    """Bucket size: requests a key may send at once before being limited."""
    dial_cps: float = Field(default=1.0, gt=0)
    """Outbound dials (``POST /calls``) per second per API key when ``rate_limit`` is on."""
    journal_size: int = Field(default=1000, ge=0)
    """How many recent API requests ``GET /_emulator/journal`` remembers."""
    persist: bool = False
    """Keep state across restarts in ``<state_dir>/state.sqlite3`` (each write saved before it is acknowledged)."""
    persist_debounce: float = Field(default=0.0, ge=0)
    """0 = save each write before its response (durable). Opt-in faster mode: batch saves this many
    seconds apart; a crash may then lose the writes of the last ``persist_debounce`` seconds."""
    tts_engine: Literal["auto", "builtin", "espeak"] = "auto"
    """Text-to-speech voice: ``espeak`` (espeak-ng on PATH, intelligible), ``builtin`` (a
    dependency-free synthesized waveform) or ``auto`` (espeak-ng when present, else builtin)."""

    self_check: bool = False
    """Validate every API response and webhook body the emulator emits against the loaded document
    (openapi-core); violations are logged and counted in the ``x-emulator-self-check`` header."""

    # -- robustness (issue 12) ----------------------------------------------------------------
    webhook_allow: str = ""
    """Comma-separated hosts webhooks may be sent to (``host``, ``host:port``, ``*.example.com``;
    empty = any host). A delivery to another host is not sent: it is logged as ``blocked``."""

    def accepted_api_keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())


@functools.cache
def field_docs() -> dict[str, str]:
    """Each :class:`Settings` field's docstring (the string literal under it), read from this
    module's source; empty where the source is not shipped."""
    try:
        tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    except OSError:
        return {}
    body = next(node.body for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Settings")
    docs: dict[str, str] = {}
    for field, doc in zip(body, body[1:], strict=False):
        if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name) and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)):
            docs[field.target.id] = " ".join(doc.value.value.split())
    return docs
