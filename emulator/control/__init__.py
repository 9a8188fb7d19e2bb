"""The cross-family control API under ``/_emulator``: reset, state, snapshots, clock, journal,
fixtures, faults, webhook outbox, lifecycles. Families add their own routes through their
manifest's ``control`` table; ``emulator/app.py`` joins them (``control/table.py``)."""
