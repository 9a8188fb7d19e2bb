"""Command line: ``telnyx-emulator [serve] [flags]`` and ``telnyx-emulator keygen``.

Flags override ``TELNYX_EMULATOR_*`` env vars, which override the defaults in :class:`Settings`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import logging
import socket
import sys
import time
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from pydantic import ValidationError

from emulator.core.settings import Settings, field_docs
from emulator.core.version import VERSION as __version__
from emulator.http.server import http_protocol
from emulator.openapi.loader import SpecLoadError, load_document
from emulator.runtime.family import document_selection
from emulator.webhooks.keys import SigningKey

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the emulator (the default command)")
    _add_serve_flags(p)


def _add_serve_flags(p: argparse.ArgumentParser) -> None:
    """One flag per :class:`Settings` field, generated so flags, env vars and settings never drift.

    ``--some-field`` sets ``some_field`` (env ``TELNYX_EMULATOR_SOME_FIELD``); booleans are
    switches; ``Literal`` fields get ``choices``; help is the field's docstring.
    """
    docs = field_docs()
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        kind, choices = _flag_type(field.annotation)
        doc = docs.get(name, "").split(". ")[0].rstrip(".")
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
    from emulator.openapi.derive.build import DeriveError, derive_file  # noqa: PLC0415 - likewise

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


class SettingsError(ValueError):
    """A setting has a value its type refuses; the message is one line naming where it came from."""


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {
        key: value
        for key, value in vars(args).items()
        if key not in ("command", "quiet") and key in Settings.model_fields and value is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(settings_problem(exc, overrides)) from None


def settings_problem(exc: ValidationError, flags: dict[str, Any]) -> str:
    """One line per bad value, naming the flag or env var it came from — not pydantic's dump
    (flags are parsed by argparse, so a bad value that reaches here mostly came from the env)."""
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        source = "--" + name.replace("_", "-") if name in flags else f"TELNYX_EMULATOR_{name.upper()}"
        problems.append(f"{source}={error.get('input')!r}: {error['msg']}")
    return "; ".join(problems)


def banner(settings: Settings, emulator: Emulator, app: Any = None) -> str:
    """What this instance is; printed before the port is bound (``ready_line`` follows once it is)."""
    base = f"http://{settings.host}:{settings.port}"
    document = "embedded" if settings.spec is None else str(settings.spec)
    clock = emulator.state.clock
    if clock.frozen:
        clock_mode = f"frozen at {clock.iso()}   (POST /_emulator/clock to move it)"
    elif settings.clock_start is not None:
        clock_mode = f"running, started at {settings.clock_start}"
    else:
        clock_mode = "wall time"
    mode = emulator.state.modes.default
    routes = [str(getattr(r, "path", "")) for r in (app.routes if app is not None else ())]
    lines = [
        f"telnyx-emulator {__version__} — Telnyx API emulator",
        f"  API:        {base}/v2   (also served without the /v2 prefix)",
        f"  document:   {document} ({len(emulator.index.operations)} operations)",
        f"  webhooks:   {settings.webhook_url or 'no default URL (--webhook-url)'}; public key {emulator.services.webhooks.signing_key.public_key_b64}",
        f"  control:    {base}/_emulator" + ("   (admin token required)" if settings.admin_token else ""),
        *([f"  dashboard:  {base}/_emulator/ui"] if any(r.startswith("/_emulator/ui") for r in routes) else []),
        f"  mode:       {mode.name} (unknown ids: {mode.unknown_ids}, business rules: {mode.business_rules})   (per API key: PUT /_emulator/modes/{{api_key}})",
        f"  state dir:  {settings.state_dir}" + ("   (state persisted)" if settings.persist else ""),
        f"  seed:       {settings.seed}",
        f"  clock:      {clock_mode}",
        f"  audio:      {audio_formats()}",
        f"  self-check: {'on (responses and webhooks validated with openapi-core)' if settings.self_check else 'off (--self-check)'}",
    ]
    return "\n".join(lines)


def audio_formats() -> str:
    # Whether PyAV is installed, not imported: importing it (FFmpeg's libraries) was ~0.1 s of
    # start-up, paid before the first answer though only text-to-speech in MP3/OGG needs it.
    # Its wheels carry LAME and libopus; a build without them still serves WAV, saying so in
    # the x-emulator-audio-format header (fakes/audio.py).
    if importlib.util.find_spec("av") is not None:
        return "mp3, ogg/opus, wav, pcm, mulaw, alaw"
    return "wav, pcm, mulaw, alaw (mp3/ogg served as WAV: pip install 'telnyx-emulator[audio]')"


def ready_line(url: str, started: float) -> str:
    return f"ready in {time.perf_counter() - started:.2f}s — listening on {url}"


class _Server(uvicorn.Server):
    """uvicorn's server, saying "ready" only once its sockets are bound and listening (a failed
    bind exits in ``startup`` before this line, so "ready" is never printed for a dead port)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[str], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            bound = [s.getsockname() for server in self.servers for s in (server.sockets or ())]
            host, port = (bound[0][0], bound[0][1]) if bound else (self.config.host, self.config.port)
            host = f"[{host}]" if ":" in str(host) else host
            self.on_ready(f"http://{host}:{port}")


def serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    # The app (document layer, every family) loads here, so the "ready in" counts it and
    # `keygen` / `--help` do not pay for it.
    from emulator.app import create_app  # noqa: PLC0415

    try:
        settings = settings_from_args(args)
    except ValueError as exc:  # SettingsError, or pydantic-settings' own SettingsError (a ValueError): one line, no traceback
        print(f"telnyx-emulator: invalid settings: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def progress(message: str) -> None:
        print(f"telnyx-emulator: {message}", file=sys.stderr, flush=True)

    try:
        doc = load_document(settings.spec, cache_dir=settings.state_dir / "spec-cache", on_parse=progress)
        app = create_app(settings, doc=doc)
    except (SpecLoadError, ValueError, OSError) as exc:
        print(f"telnyx-emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    print(banner(settings, app.state.emulator, app), flush=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.admin_token:
        print(
            f"WARNING: listening on {settings.host} with no --admin-token: anyone who can reach this port can read every "
            "API key's state, journal and snapshot through /_emulator and reset it. Set --admin-token "
            "(TELNYX_EMULATOR_ADMIN_TOKEN) unless the network is yours alone.",
            file=sys.stderr,
            flush=True,
        )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,  # our own middleware logs requests when --access-log is on
        lifespan="on",
        http=http_protocol(settings.header_timeout),  # slow-header clients get 408 (http/server.py)
    )
    server = _Server(config, lambda url: print(ready_line(url, started), flush=True))
    server.run()
    return 0 if server.started else 1


def keygen(args: argparse.Namespace) -> int:
    key = SigningKey.generate()
    if args.quiet:
        print(key.seed_b64)
    else:
        print(f"seed (TELNYX_EMULATOR_SIGNING_KEY): {key.seed_b64}")
        print(f"public key (for your app):          {key.public_key_b64}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    if (argv := list(sys.argv[1:] if argv is None else argv))[:1] == ["ctl"]:  # = telnyx-emulator-ctl (emulator/ctl)
        from emulator.ctl.main import app  # noqa: PLC0415 (typer loads only for the control CLI)
        gc.enable()
        app(argv[1:], prog_name="telnyx-emulator ctl")  # exits
    args = build_parser().parse_args(argv)
    if args.command not in (None, "serve"):
        gc.enable()  # off only while the server loads (``__main__.run``); the app turns it back on
    if args.command == "keygen":
        return keygen(args)
    if args.command == "derive-spec":
        return derive_spec(args)
    return serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
