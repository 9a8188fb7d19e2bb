"""The Ed25519 key that signs webhooks, exactly as Telnyx does.

``telnyx-signature-ed25519`` = base64(Ed25519 signature over ``"{telnyx-timestamp}|{raw body}"``).
The key comes from settings (base64 seed or a file holding one) or is generated once and kept in
the state dir, so the public key users configure in their app stays stable across restarts.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from nacl.signing import SigningKey as _NaclSigningKey


class SigningKey:
    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._key = _NaclSigningKey(seed)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(bytes(self._key.verify_key)).decode()

    @property
    def seed_b64(self) -> str:
        return base64.b64encode(bytes(self._key)).decode()

    def sign(self, timestamp: str, body: bytes) -> str:
        """Base64 signature over ``timestamp|body`` — the value of ``telnyx-signature-ed25519``."""
        signed = self._key.sign(timestamp.encode() + b"|" + body)
        return base64.b64encode(signed.signature).decode()

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(os.urandom(32))


def _decode_seed(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("signing key is not valid base64") from exc
    if len(raw) == 64:  # a libsodium secret key is seed || public key
        raw = raw[:32]
    if len(raw) != 32:
        raise ValueError(f"signing key decodes to {len(raw)} bytes; expected a 32-byte Ed25519 seed")
    return raw


def load_signing_key(configured: str | None, state_dir: Path) -> SigningKey:
    """From the setting (base64 seed, or path to a file with one), else the state dir's key,
    generating and saving it on first use."""
    if configured:
        candidate = Path(configured).expanduser()
        text = candidate.read_text() if candidate.is_file() else configured
        return SigningKey(_decode_seed(text))
    key_file = state_dir / "signing_key"
    if key_file.is_file():
        return SigningKey(_decode_seed(key_file.read_text()))
    key = SigningKey.generate()
    try:
        if not state_dir.exists():
            state_dir.mkdir(mode=0o700, parents=True)
            state_dir.chmod(0o700)  # the umask filters mkdir's mode; the dir holds secrets
        # Created 0600 from the start: no moment when another user could read the seed.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key.seed_b64 + "\n")
        key_file.chmod(0o600)
    except OSError:
        pass  # a read-only home still gets a working (per-process) key
    return key
