"""Simulated calls: state machines on the emulator clock, driven by call-control commands and by
a scriptable other party, reporting through signed webhooks.

- ``model``: what a call is (state, running activities, the other party's script).
- ``events``: payloads and where they go; ``lifecycle``: dial → answer/busy/... → hangup, AMD.
- ``commands``: the shared command prelude (lookup, command_id, client_state, state checks).
- ``actions``/``gather``/``media``/``ai``/``queue``/``relay``: the handlers, one concern each.
- ``persist``: snapshots of the calls family and re-arming timers after a restore.
- ``triggers``: events on demand for the control API (``emulator/admin/calls.py``).
"""
