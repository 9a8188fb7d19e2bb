"""The emulator runtime: the loaded document and its compiled services, plus the one state object.

Built once by ``create_app``; reachable from every handler as ``ctx.emulator``. Two calls to
``create_app`` build two runtimes that share nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.resources.registry import Handler
from emulator.settings import Settings
from emulator.spec.index import Operation, OperationIndex
from emulator.spec.loader import SpecDocument
from emulator.spec.synth import Synthesizer
from emulator.spec.validate import RequestValidator
from emulator.store.state import EmulatorState


@dataclass
class Emulator:
    settings: Settings
    doc: SpecDocument
    index: OperationIndex
    validator: RequestValidator
    synthesizer: Synthesizer
    handlers: dict[str, Handler]
    state: EmulatorState
    services: dict[str, Any] = field(default_factory=dict)
    """Long-lived services other families add (webhook dispatcher, fault rules, ...), by name."""

    def kind_of(self, operation: Operation) -> str:
        """How an operation is served: ``handler``, ``generic`` (stateful CRUD) or ``synthesized``."""
        if operation.operation_id in self.handlers:
            return "handler"
        generic = self.services.get("generic")
        if generic is not None and generic.serves(operation):
            return "generic"
        return "synthesized"
