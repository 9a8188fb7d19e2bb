"""The one place the version lives: the package metadata (pyproject.toml reads it from here),
``emulator.__version__``, the health endpoint and the control API's document."""

VERSION = "0.1.0"
