"""telnyx-emulator: a local, offline, spec-driven emulator of the Telnyx API v2."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.version import VERSION as __version__

__all__ = ["__version__", "create_app"]

if TYPE_CHECKING:
    from emulator.app import create_app


def __getattr__(name: str) -> Any:
    """``create_app`` is imported on first use (PEP 562): ``import emulator`` (and every
    ``emulator.*`` module that needs only a light part of the package) does not build the app."""
    if name == "create_app":
        from emulator.app import create_app  # noqa: PLC0415 - lazy on purpose, see above

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
