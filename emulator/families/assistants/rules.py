"""The assistants family's business rules: the checks it makes beyond what the document states.

Each is declared once here and listed in the family's manifest; the handler that finds one broken
calls ``ctx.business_rule(RULE, error)``, which raises today's strict error in the ``enforce`` mode
and, in the ``warn`` mode, returns so the handler applies the substitute named here
(``core/rules.py``). None is marked ``real_api``: the hosted API's answers to these cases are not
published, so each is the emulator's own guard.
"""

from __future__ import annotations

from emulator.core.rules import BusinessRule

KNOWN_MODEL = BusinessRule(
    name="assistants.known_model",
    checks="an assistant's model names a chat model the emulator serves (GET /v2/ai/models, scripted rules, your fine-tuned models)",
    substitute="the assistant is stored with the default model (meta-llama/Meta-Llama-3.1-8B-Instruct)",
)

KNOWN_SHARED_TOOL = BusinessRule(
    name="assistants.known_shared_tool",
    checks="tool_ids and an attached tool_id name shared tools you created with POST /v2/ai/tools",
    substitute="the id is attached as given; testing it reports an unsuccessful test (nothing is called)",
)

WEBHOOK_TOOL_TEST = BusinessRule(
    name="assistants.webhook_tool_test",
    checks="a tested tool is a webhook tool with a url",
    substitute="the test answers success=false, status_code 0, naming the missing url; nothing is called",
)

IMPORT_KEY_REF = BusinessRule(
    name="assistants.import_key_ref",
    checks="an import's api_key_ref names an integration secret (is not blank)",
    substitute="the import goes on with the blank reference",
)

NONEMPTY_TAG = BusinessRule(
    name="assistants.nonempty_tag",
    checks="a tag added to an assistant is not blank",
    substitute="nothing is added; the answer lists the assistant's tags",
)

KEEP_MAIN_VERSION = BusinessRule(
    name="assistants.keep_main_version",
    checks="the main version of an assistant cannot be deleted",
    substitute="the newest other version becomes main and the version is deleted; an assistant's only version is kept",
)

EVENT_DATETIME = BusinessRule(
    name="assistants.event_datetime",
    checks="scheduled-event date-times (scheduled_at_fixed_datetime, from_date, to_date) are ISO 8601 with a time zone",
    substitute="a date-time without a zone is read as UTC; one that does not parse as now",
)

SMS_EVENT_TEXT = BusinessRule(
    name="assistants.sms_event_text",
    checks="an sms_chat scheduled event has a text",
    substitute="the event sends the assistant's greeting (or an empty message)",
)

ONE_CANARY = BusinessRule(
    name="assistants.one_canary",
    checks="an assistant has at most one canary deploy (POST when one exists is a 409)",
    substitute="the new rules replace the existing deploy, as PUT would",
)

CANARY_VERSIONS = BusinessRule(
    name="assistants.canary_versions",
    checks="a canary deploy's rules serve versions of the assistant",
    substitute="the rules are kept as given; a rule naming no version of the assistant serves the main version",
)

CANARY_WEIGHTS = BusinessRule(
    name="assistants.canary_weights",
    checks="a canary rollout's weights add up to 100",
    substitute="the weights are kept as given; the share they leave goes to the main version",
)

CHAT_CONVERSATION_UUID = BusinessRule(
    name="assistants.chat_conversation_uuid",
    checks="an assistant chat's new conversation_id is a UUID",
    substitute="the conversation is opened under a UUID derived from the given id (the same id reaches it again)",
)

TOOL_DEFINITION = BusinessRule(
    name="assistants.tool_definition",
    checks="a new shared tool of a type carries its definition under that type's key (type: webhook needs webhook: {...})",
    substitute="the tool is created with an empty definition of its type",
)

RULES = (
    KNOWN_MODEL, KNOWN_SHARED_TOOL, WEBHOOK_TOOL_TEST, IMPORT_KEY_REF, NONEMPTY_TAG, KEEP_MAIN_VERSION,
    EVENT_DATETIME, SMS_EVENT_TEXT, ONE_CANARY, CANARY_VERSIONS, CANARY_WEIGHTS, CHAT_CONVERSATION_UUID,
    TOOL_DEFINITION,
)
