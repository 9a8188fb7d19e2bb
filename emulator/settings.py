"""One Settings object, from ``TELNYX_EMULATOR_*`` env vars overlaid by CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that changes how an emulator instance behaves.

    Env vars use the ``TELNYX_EMULATOR_`` prefix (e.g. ``TELNYX_EMULATOR_PORT=4011``); list values
    are comma separated (``TELNYX_EMULATOR_API_KEYS=k1,k2``).
    """

    model_config = SettingsConfigDict(env_prefix="TELNYX_EMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 4010
    spec: Path | None = None
    """Path to another OpenAPI 3.0/3.1 document (YAML or JSON); None = the embedded one."""
    fixtures: Path | None = None
    """Extra fixtures folder loaded at start and at every reset (on top of the shipped one)."""
    state_dir: Path = Path.home() / ".telnyx-emulator"
    """Holds the generated signing key and the parsed-spec cache."""
    signing_key: str | None = None
    """Ed25519 private key: base64 of the 32-byte seed, or a path to a file holding it."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = False
    api_keys: str = ""
    """Comma-separated accepted API keys; empty = any non-empty bearer token is accepted."""
    admin_token: str | None = None
    """When set, the control API requires ``Authorization: Bearer <admin_token>``."""
    seed: int = 0
    """Seed for ids, fake data and default replies: same seed + same requests = same bytes."""
    max_body_bytes: int = 10 * 1024 * 1024
    webhook_url: str | None = None
    """Global default webhook URL for events with no call/connection-specific URL."""
    webhook_timeout: float = 2.0
    webhook_attempts: int = 3
    webhook_backoff: float = 0.2
    """Base of the exponential backoff between webhook attempts, in seconds."""
    answer_delay: float = Field(default=0.0, ge=0)
    """Seconds of emulator clock before a dialled callee answers (scripts can override)."""

    def accepted_api_keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())
