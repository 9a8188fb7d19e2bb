"""Simulated calls: state machines on the emulator clock, driven by call-control commands and by
a scriptable other party, reporting through signed webhooks; and TeXML AI calls.

The modules, in layers (each imports only layers above it in this list):

- ``model``: what a call is (state, running activities, the other party's script);
  ``errors``: the call-control error codes, one named type each; ``rules``: the business rules
  (checks beyond the document) and what the lenient mode does instead.
- ``store``: a tenant's calls (``CallStore``) and their snapshot form.
- ``events``: payloads and where they go, and ``Env`` (what call logic runs with);
  ``event_fills``/``event_shapes``: what a payload takes from its call, and from its schema;
  ``implicit``: the call an unknown call_control_id names in the lenient mode.
- ``lifecycle``: dial → answer/busy/... → hangup, AMD, the other party's steps;
  ``commands``: the shared command prelude (lookup, command_id, client_state, state checks).
- ``gather``/``media``/``relay``/``ai``/``queue``: the activities that run on a call and their
  commands, one concern each (``ai_conversations``/``ai_params``: what AI sessions record and ask;
  ``supervisor``: a dialled leg joined to a call as its supervisor, and who hears it).
- ``service``: the shared scripts, snapshots of them, and re-arming timers after a restore.
- ``actions``/``texml``/``triggers``/``control``: dial and the call-wide commands, TeXML AI calls,
  events on demand, and the control API.

The places a lower layer has to reach a higher one go through ``events.CallHooks``, which
this manifest builds once per emulator: what the activities do when a call is answered or ends,
which listener takes an input step scripted while it was waiting, and the re-arming of a
restored store on its first use.
"""

from emulator.families.calls import actions, ai, control, gather, media, pay, queue, recordings, relay, service, supervisor, texml
from emulator.families.calls.ai_conversations import CallConversations
from emulator.families.calls.event_shapes import EventShapes
from emulator.families.calls.events import CallHooks
from emulator.families.calls.implicit import ID_KINDS
from emulator.families.calls.rules import RULES
from emulator.families.calls.service import CallsService
from emulator.families.calls.store import CallStore
from emulator.runtime.emulator import Emulator
from emulator.runtime.family import Family


def call_hooks(_emulator: Emulator) -> CallHooks:
    """In the order their events go out (a gather's end before the media's, before the queue's)."""
    return CallHooks(
        answered=(media.start_on_answer,),
        hanging_up=(gather.end_on_hangup, media.end_on_hangup, queue.end_on_hangup),
        hung_up=(media.after_hangup, ai.after_hangup, supervisor.after_hangup),
        offered=(gather.offered, ai.offered),
        restored=(service.rearm,),
    )


FAMILY = Family(
    name="calls",
    handler_modules=(actions, gather, media, ai, queue, relay, texml, pay),
    services=(call_hooks, EventShapes, CallsService),
    control=control.CONTROL + recordings.CONTROL,
    stores=(CallStore, CallConversations, recordings.CallRecordings),
    id_kinds=ID_KINDS,
    business_rules=RULES + texml.RULES,
    paths=(
        "/calls$",
        "/calls/{call_control_id}",
        "/texml/ai_calls/{connection_id}$",
        "/call_control_applications$",
        "/call_control_applications/{id}$",
    ),
    webhooks=("call*", "transcription"),  # call.transcription is filed without the prefix
)
