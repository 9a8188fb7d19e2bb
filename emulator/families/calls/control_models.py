"""The bodies and answers of the simulated-calls control API (``control.py``): the pydantic
models its endpoints parse and reply with, from which ``/_emulator/openapi.json`` is generated."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, RootModel, model_validator

from emulator.control.requests import Body, Reply
from emulator.families.calls import lifecycle

OUTCOME_ACTIONS = (*lifecycle.OUTCOMES, "manual")
STEP_ACTIONS = (*OUTCOME_ACTIONS, "amd", "dtmf", "say", "silence", "wait", "hangup", "refer_fail", "siprec_fail")
ALIASES = {"press": "dtmf", "digits": "dtmf", "speak": "say", "machine": "voicemail", "no-answer": "no_answer"}


def _short_form(schema: dict[str, Any]) -> None:
    """The schema of a step says what the validator accepts: an object, or its short string."""
    whole = dict(schema)
    schema.clear()
    schema["anyOf"] = [whole, {"type": "string", "description": "short form: answer, busy, press 123#, say: hello, amd machine, ..."}]


class StepSpec(Body):
    """One action of the other party, as an object or a short string (``"press 123#"``)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_short_form)

    action: str = Field(description=f"one of {', '.join(STEP_ACTIONS)} (or an alias: {', '.join(ALIASES)})")
    after: float = Field(default=0, ge=0, description="seconds to wait before acting")
    digits: str | None = Field(default=None, description="dtmf: 0-9, *, #, A-D")
    text: str | None = Field(default=None, description="say: what the party says")
    result: str | None = Field(default=None, description="amd: human, machine, not_sure, ...")
    cause: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw
        head, _, rest = raw.strip().partition(" ")
        action = ALIASES.get(head.rstrip(":").lower(), head.rstrip(":").lower())
        rest = rest.strip()
        if action == "dtmf":
            return {"action": action, "digits": rest.replace(" ", "")}
        if action == "say":
            return {"action": action, "text": rest.lstrip(": ")}
        if action == "amd":
            return {"action": action, "result": rest}
        if action == "wait":  # "wait 2": the party pauses 2 s on the emulator clock
            try:
                return {"action": action, "after": float(rest or 0)}
            except ValueError:
                return {"action": action, "after": rest}  # strict float field: a 422 naming /after
        return {"action": action}


_TENANT = "the API key that owns the call (or ?api_key=); may be omitted when only one key is in use"


class InboundRequest(Body):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    connection_id: str = Field(min_length=1)
    api_key: str | None = Field(default=None, description=_TENANT)
    steps: list[StepSpec] | None = Field(default=None, description="the caller's script")
    client_state: Any = Field(default=None, description="base64 string echoed in the call's events")
    webhook_url: str | None = None
    custom_headers: list[dict[str, Any]] | None = None


class ScriptRequest(Body):
    to: str = Field(min_length=1, description="the number the script answers for")
    steps: list[StepSpec] | None = None
    auto: bool | None = Field(default=None, description="with nothing scripted left, a listener gets the default answer "
                              "(unset: only unscripted calls do; true: always; false: never)")
    api_key: str | None = Field(default=None, description="only for this API key's calls; omitted = any key")


class AnswerAction(Body):
    amd_result: str | None = None
    voicemail: bool | None = Field(default=None, description="a voicemail box answers")


class RejectAction(Body):
    cause: str = Field(default="reject", description=f"one of {', '.join(lifecycle.UNANSWERED)}")


class HangupAction(Body):
    pass


class DtmfAction(Body):
    digits: str = Field(description="0-9, *, #, A-D")


class SayAction(Body):
    text: str


class AmdAction(Body):
    result: str = Field(description="human, machine, not_sure, ...")
    greeting: str | None = None


class ScriptAction(Body):
    steps: list[StepSpec] | None = None
    auto: bool | None = None


VERBS: dict[str, type[Body]] = {
    "answer": AnswerAction, "reject": RejectAction, "hangup": HangupAction, "dtmf": DtmfAction,
    "say": SayAction, "amd": AmdAction, "script": ScriptAction,
}
"""The body each verb of ``POST /_emulator/calls/{id}/{verb}`` is parsed with."""


class OtherPartyAction(RootModel[AnswerAction | RejectAction | HangupAction | DtmfAction | SayAction | AmdAction | ScriptAction]):
    """The body of ``/_emulator/calls/{id}/{verb}``: the model of its verb (``VERBS``)."""


class EventFields(RootModel[dict[str, Any]]):
    """Fields of the event's ``data.payload`` to set (names from the document's schema of that
    event); call.dtmf.received takes ``digit``, call.answered and call.hangup take none."""


class CallData(Reply):
    data: dict[str, Any] = Field(description="the call as the emulator keeps it, with api_key")


class CallTotal(Reply):
    total: int


class CallList(Reply):
    data: list[dict[str, Any]]
    meta: CallTotal


class ScriptListing(Reply):
    data: dict[str, Any] = Field(description="shared: {to: [scripts]}, and per API key the same")


class ScriptsCleared(Reply):
    cleared: bool


class ActResult(Reply):
    data: dict[str, Any] = Field(description="call_control_id, state, and for say: outcome (and heard_by)")


class Triggered(Reply):
    event_type: str
    event_id: str | None
    state: str


class TriggerResult(Reply):
    data: Triggered
