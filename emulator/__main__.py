"""`python -m emulator` is the same as the `telnyx-emulator` console script (both call :func:`run`)."""

import gc


def run() -> int:
    """The command line, with the garbage collector off while the emulator loads.

    Start-up allocates about a million objects (modules, the document, validators) that all live
    as long as the process: the collector's ~170 passes over them freed almost nothing and were
    ~8 % of the time to the first answer. The app turns it back on when it starts serving, after
    freezing what was loaded (``app.py``'s lifespan); every other command turns it on at once
    (``cli.main``)."""
    gc.disable()
    from emulator.cli import main  # noqa: PLC0415 - imported with the collector off (the point)

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
