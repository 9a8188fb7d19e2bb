"""`python -m emulator` is the same as the `telnyx-emulator` console script."""

from emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
