"""Command line: ``telnyx-emulator [serve] [flags]`` and ``telnyx-emulator keygen``.

Flags override ``TELNYX_EMULATOR_*`` env vars, which override the defaults in :class:`Settings`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emulator import __version__


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the emulator (the default command)")
    _add_serve_flags(p)


def _add_serve_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="interface to bind (default 127.0.0.1; 0.0.0.0 in Docker)")
    p.add_argument("--port", type=int, help="port (default 4010)")
    p.add_argument("--spec", type=Path, help="another OpenAPI 3.0/3.1 document (YAML or JSON)")
    p.add_argument("--fixtures", type=Path, help="extra fixtures folder, loaded at start and reset")
    p.add_argument("--state-dir", type=Path, help="where the signing key and caches live")
    p.add_argument("--signing-key", help="Ed25519 seed (base64) or a file holding it")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", default=None, help="log every request")
    p.add_argument("--api-keys", help="comma-separated accepted API keys (default: any)")
    p.add_argument("--admin-token", help="require this bearer token on /_emulator")
    p.add_argument("--seed", type=int, help="seed for ids, fake data and replies (default 0)")
    p.add_argument("--max-body-bytes", type=int, help="request body limit (default 10 MB)")
    p.add_argument("--webhook-url", help="default webhook URL for events with no other URL")
    # scenarios and state control (emulator/scenarios/, emulator/store/)
    p.add_argument("--clock-start", help="start the emulator clock here (ISO 8601 or Unix seconds)")
    p.add_argument("--clock-frozen", action="store_true", default=None, help="freeze the emulator clock")
    p.add_argument("--latency", action="store_true", default=None, help="simulate latency per x-latency-category")
    p.add_argument("--latency-scale", type=float, help="multiply simulated latency (default 1.0)")
    p.add_argument("--rate-limit", action="store_true", default=None, help="enforce per-key rate limits (429)")
    p.add_argument("--rate-limit-rps", type=float, help="requests per second per key (default 20)")
    p.add_argument("--rate-limit-burst", type=int, help="burst size per key (default 40)")
    p.add_argument("--dial-cps", type=float, help="outbound dials per second per key (default 1)")
    p.add_argument("--journal-size", type=int, help="requests kept by GET /_emulator/journal (default 1000)")
    p.add_argument("--persist", action="store_true", default=None, help="keep state across restarts (SQLite in --state-dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="telnyx-emulator", description="Local emulator of the Telnyx API v2")
    parser.add_argument("--version", action="version", version=f"telnyx-emulator {__version__}")
    _add_serve_flags(parser)
    sub = parser.add_subparsers(dest="command")
    _serve_parser(sub)
    keygen = sub.add_parser("keygen", help="print a new base64 Ed25519 seed and its public key")
    keygen.add_argument("--quiet", action="store_true", help="print only the seed")
    _derive_spec_parser(sub)
    return parser


def _derive_spec_parser(sub: Any) -> None:
    p = sub.add_parser("derive-spec", help="derive the embedded OpenAPI document from a published Telnyx document")
    p.add_argument("--from", dest="source", type=Path, required=True, help="published Telnyx OpenAPI document (YAML or JSON)")
    p.add_argument("--out", type=Path, help="where to write the derived JSON (default: only report)")
    p.add_argument("--report", action="store_true", help="print every correction applied")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out differs from the derived document")


def derive_spec(args: argparse.Namespace) -> int:
    from emulator.spec.derive import DeriveError, derive_file
    from emulator.spec.loader import SpecLoadError

    if args.check and args.out is None:
        print("telnyx-emulator: --check needs --out (the file to compare)", file=sys.stderr)
        return 2
    try:
        derived = derive_file(args.source, None if args.check else args.out)
    except (SpecLoadError, DeriveError, OSError) as exc:
        print(f"telnyx-emulator: cannot derive: {exc}", file=sys.stderr)
        return 2
    paths = derived.document["paths"]
    count = sum(1 for item in paths.values() for key in item if key != "parameters")
    print(f"{count} operations, {len(derived.document.get('webhooks') or {})} webhooks, {len(derived.corrections)} corrections")
    if args.report:
        for correction in derived.corrections:
            print(f"  correction {correction}")
    if args.check:
        current = args.out.read_bytes() if args.out and args.out.is_file() else b""
        if current != derived.to_bytes():
            print(f"{args.out} is stale: run without --check to rewrite it", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
    elif args.out:
        print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


def settings_from_args(args: argparse.Namespace) -> Any:
    from emulator.settings import Settings

    overrides = {
        key: value
        for key, value in vars(args).items()
        if key not in ("command", "quiet") and value is not None
    }
    return Settings(**overrides)


def banner(settings: Any, emulator: Any, started: float) -> str:
    base = f"http://{settings.host}:{settings.port}"
    document = "embedded" if settings.spec is None else str(settings.spec)
    return "\n".join(
        [
            f"telnyx-emulator {__version__} — Telnyx API emulator",
            f"  API:        {base}/v2   (also served without the /v2 prefix)",
            f"  document:   {document} ({len(emulator.index.operations)} operations)",
            f"  webhooks:   public key {emulator.state.signing_key.public_key_b64}",
            f"  control:    {base}/_emulator",
            f"  ready in {time.perf_counter() - started:.2f}s",
        ]
    )


def serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    import uvicorn

    from emulator.app import create_app
    from emulator.spec.loader import SpecLoadError

    try:
        settings = settings_from_args(args)
    except Exception as exc:  # pydantic's ValidationError: show it plainly, no traceback
        print(f"telnyx-emulator: invalid settings: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(settings)
    except (SpecLoadError, ValueError, OSError) as exc:
        print(f"telnyx-emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    print(banner(settings, app.state.emulator, started), flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,  # our own middleware logs requests when --access-log is on
        lifespan="on",
    )
    return 0


def keygen(args: argparse.Namespace) -> int:
    from emulator.webhooks.keys import SigningKey

    key = SigningKey.generate()
    if args.quiet:
        print(key.seed_b64)
    else:
        print(f"seed (TELNYX_EMULATOR_SIGNING_KEY): {key.seed_b64}")
        print(f"public key (for your app):          {key.public_key_b64}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "keygen":
        return keygen(args)
    if args.command == "derive-spec":
        return derive_spec(args)
    return serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
