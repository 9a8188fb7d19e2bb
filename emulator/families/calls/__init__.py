"""Simulated calls: state machines on the emulator clock, driven by call-control commands and by
a scriptable other party, reporting through signed webhooks; and TeXML AI calls.

- ``model``: what a call is (state, running activities, the other party's script).
- ``events``: payloads and where they go; ``lifecycle``: dial → answer/busy/... → hangup, AMD.
- ``commands``: the shared command prelude (lookup, command_id, client_state, state checks).
- ``actions``/``gather``/``media``/``ai``/``queue``/``relay``/``texml``: the handlers, one concern each.
- ``service``: snapshots of the calls family and re-arming timers after a restore.
- ``triggers``: events on demand for the control API (``control.py``).
"""

from emulator.families.calls import actions, ai, control, gather, media, queue, relay, texml
from emulator.families.calls.ai_conversations import CallConversations
from emulator.families.calls.model import CallStore
from emulator.families.calls.service import CallsService
from emulator.runtime.family import Family

FAMILY = Family(
    name="calls",
    handler_modules=(actions, gather, media, ai, queue, relay, texml),
    services=(CallsService,),
    control=control.CONTROL,
    stores=(CallStore, CallConversations),
    paths=(
        "/calls$",
        "/calls/{call_control_id}",
        "/texml/ai_calls/{connection_id}$",
        "/call_control_applications$",
        "/call_control_applications/{id}$",
    ),
    webhooks=("call*", "transcription"),  # call.transcription is filed without the prefix
)
