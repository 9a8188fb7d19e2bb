"""The checks the conversations family makes beyond the document, each with what the ``warn`` mode
does instead (``core/rules.py``). None is known to be enforced the same way by the real API, so
all are the emulator's own guards (``real_api=False``)."""

from __future__ import annotations

from emulator.core.rules import BusinessRule

MESSAGE_ROLE = BusinessRule(
    name="conversations.message_role",
    checks="a message's role is one of user, assistant, tool",
    substitute="the message is stored as a user message",
)
TOOL_CALL_FUNCTION = BusinessRule(
    name="conversations.tool_call_function",
    checks="every tool call of a message names function.name",
    substitute="tool calls without a function name are dropped",
)
TOOL_CALL_ID = BusinessRule(
    name="conversations.tool_call_id",
    checks="a tool message carries tool_call_id",
    substitute="the tool message is stored without one",
)
FILTER_SYNTAX = BusinessRule(
    name="conversations.filter_syntax",
    checks="list filters use PostgREST syntax (column=operator.value, order=column.desc, or=(...), limit >= 1)",
    substitute="a bare filter value means eq.<value>; any other malformed filter, order, or or limit is ignored",
)
INSIGHT_JSON_SCHEMA = BusinessRule(
    name="conversations.insight_json_schema",
    checks="an insight's json_schema is a JSON Schema object (or a string holding one)",
    substitute="the value is stored as given and the insight answers in free text",
)
AGGREGATE_GROUP_BY = BusinessRule(
    name="conversations.aggregate_group_by",
    checks="aggregates group_by names insight_id, assistant_id, conversation_id or result",
    substitute="unknown group_by fields are ignored (insight_id when none is left)",
)

RULES: tuple[BusinessRule, ...] = (MESSAGE_ROLE, TOOL_CALL_FUNCTION, TOOL_CALL_ID, FILTER_SYNTAX, INSIGHT_JSON_SCHEMA, AGGREGATE_GROUP_BY)
