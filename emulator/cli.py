"""Command line: ``telnyx-emulator [serve] [flags]`` and ``telnyx-emulator keygen``.

Flags override ``TELNYX_EMULATOR_*`` env vars, which override the defaults in :class:`Settings`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from emulator.core.settings import Settings
from emulator.core.version import VERSION as __version__
from emulator.http.server import http_protocol
from emulator.openapi.derive.build import DeriveError, derive_file
from emulator.openapi.loader import SpecLoadError
from emulator.runtime.family import document_selection
from emulator.webhooks.keys import SigningKey


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the emulator (the default command)")
    _add_serve_flags(p)


def _add_serve_flags(p: argparse.ArgumentParser) -> None:
    """One flag per :class:`Settings` field, generated so flags, env vars and settings never drift.

    ``--some-field`` sets ``some_field`` (env ``TELNYX_EMULATOR_SOME_FIELD``); booleans are
    switches; ``Literal`` fields get ``choices``; help is the field's docstring.
    """
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        kind, choices = _flag_type(field.annotation)
        doc = (field.description or "").split(". ")[0].rstrip(".")
        default = field.default if not callable(field.default_factory) else "computed"
        help_text = f"{doc} (env TELNYX_EMULATOR_{name.upper()}; default {default})".lstrip()
        if kind is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif choices:
            p.add_argument(flag, choices=choices, default=None, help=help_text)
        else:
            p.add_argument(flag, type=kind, default=None, help=help_text)


def _flag_type(annotation: Any) -> tuple[Any, list[str] | None]:
    """(argparse type, choices) for a settings annotation such as ``Path | None``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return str, [str(a) for a in typing.get_args(annotation)]
    if args and typing.get_origin(annotation) is not typing.Literal:
        return _flag_type(args[0])
    if annotation in (bool, int, float, Path):
        return annotation, None
    return str, None


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
    # The families (what the embedded document keeps) load every handler module: only here, so
    # `keygen` and `--help` stay instant.
    from emulator.families import FAMILIES  # noqa: PLC0415

    if args.check and args.out is None:
        print("telnyx-emulator: --check needs --out (the file to compare)", file=sys.stderr)
        return 2
    try:
        derived = derive_file(args.source, document_selection(FAMILIES), None if args.check else args.out)
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


def settings_from_args(args: argparse.Namespace) -> Settings:
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
            f"  webhooks:   public key {emulator.services.webhooks.signing_key.public_key_b64}",
            f"  control:    {base}/_emulator",
            f"  mode:       {emulator.state.modes.default.name}   (per API key: PUT /_emulator/modes/{{api_key}})",
            f"  ready in {time.perf_counter() - started:.2f}s",
        ]
    )


def serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    # The app (document layer, every family) loads here, so the banner's "ready in" counts it and
    # `keygen` / `--help` do not pay for it.
    from emulator.app import create_app  # noqa: PLC0415

    try:
        settings = settings_from_args(args)
    except ValueError as exc:  # pydantic's ValidationError (and pydantic-settings' SettingsError) is a ValueError: show it plainly, no traceback
        print(f"telnyx-emulator: invalid settings: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(settings)
    except (SpecLoadError, ValueError, OSError) as exc:
        print(f"telnyx-emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    print(banner(settings, app.state.emulator, started), flush=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.admin_token:
        print(
            f"WARNING: listening on {settings.host} with no --admin-token: anyone who can reach this port can read every "
            "API key's state, journal and snapshot through /_emulator and reset it. Set --admin-token "
            "(TELNYX_EMULATOR_ADMIN_TOKEN) unless the network is yours alone.",
            file=sys.stderr,
            flush=True,
        )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,  # our own middleware logs requests when --access-log is on
        lifespan="on",
        http=http_protocol(settings.header_timeout),  # slow-header clients get 408 (http/server.py)
    )
    return 0


def keygen(args: argparse.Namespace) -> int:
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
