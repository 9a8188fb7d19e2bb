"""telnyx-emulator: a local, offline, spec-driven emulator of the Telnyx API v2."""

__version__ = "0.1.0"

from emulator.app import create_app  # noqa: E402  (re-exported for users)

__all__ = ["__version__", "create_app"]
