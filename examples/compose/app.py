"""A tiny webhook receiver for docker-compose.yml: verifies each telnyx-emulator webhook's
Ed25519 signature and prints one line per event.

It runs in the emulator's own image (which already has PyNaCl), so the example needs no second
build. Environment: ``TELNYX_EMULATOR_URL`` (where to fetch the public key), ``TELNYX_EMULATOR_ADMIN_TOKEN``
(if the emulator has one: the public-key endpoint is part of the control API), ``PORT`` (8000).
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

EMULATOR = os.environ.get("TELNYX_EMULATOR_URL", "http://telnyx:4010")
TOLERANCE = 300  # seconds, as the Telnyx SDKs allow


def public_key() -> VerifyKey:
    request = urllib.request.Request(f"{EMULATOR}/_emulator/public-key")  # noqa: S310 - an http URL from the environment
    if token := os.environ.get("TELNYX_EMULATOR_ADMIN_TOKEN"):
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - the emulator's http URL, from the environment
        return VerifyKey(base64.b64decode(json.load(response)["public_key"]))


class Receiver(BaseHTTPRequestHandler):
    key: VerifyKey

    def do_GET(self) -> None:  # a health endpoint for compose
        self._answer(200 if self.path == "/healthz" else 404)

    def do_POST(self) -> None:
        if self.path != "/webhooks":
            self._answer(404)
            return
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        timestamp = self.headers.get("telnyx-timestamp", "")
        signature = self.headers.get("telnyx-signature-ed25519", "")
        try:
            self.key.verify(f"{timestamp}|".encode() + body, base64.b64decode(signature))
            fresh = abs(time.time() - int(timestamp)) <= TOLERANCE
        except (BadSignatureError, ValueError):
            fresh = False
        if not fresh:
            print("rejected: bad or stale signature", flush=True)
            self._answer(400)
            return
        data = json.loads(body)["data"]
        print(f"verified {data['event_type']} {data['id']}", flush=True)
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per event (above) is enough


def main() -> None:
    Receiver.key = public_key()
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), Receiver)  # noqa: S104 - a container's service
    print(f"listening on :{server.server_port}, webhooks at /webhooks", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
