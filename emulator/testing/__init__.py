"""Test ergonomics: the pytest plugin (``pytest11`` entry point ``telnyx_emulator``) and what it
hands to tests — an emulator per session (in-process on a free port, or attached to
``TELNYX_EMULATOR_URL``), a fresh API key per test, ready SDK clients, a webhook receiver that
verifies every signature, and thin helpers over the control API (faults, clock, journal, calls).

Nothing here is imported by the emulator itself; importing this package pulls in no SDK (the
client fixtures import ``telnyx`` / ``openai`` when a test asks for them).
"""

from emulator.testing.control import Control, ControlError
from emulator.testing.receiver import BadSignature, Webhook, WebhookReceiver, Webhooks
from emulator.testing.server import EmulatorServer
from emulator.testing.session import Emulator

__all__ = ["BadSignature", "Control", "ControlError", "Emulator", "EmulatorServer", "Webhook", "WebhookReceiver", "Webhooks"]
