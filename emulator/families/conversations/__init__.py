"""AI conversations and their messages, conversation histories (similarity search over past
conversations), and insights: groups of LLM-answered questions run when a conversation ends."""

from emulator.families.conversations import control, handlers, histories, insights
from emulator.families.conversations.implicit import ID_KINDS
from emulator.families.conversations.insight_store import InsightStore
from emulator.families.conversations.links import AssistantLinks
from emulator.families.conversations.rules import RULES
from emulator.families.conversations.store import ConversationStore
from emulator.runtime.family import Family

FAMILY = Family(
    name="conversations",
    handler_modules=(handlers, histories, insights),
    services=(AssistantLinks,),
    control=control.CONTROL,
    lifecycle_kinds=("insight_run",),
    stores=(ConversationStore, InsightStore),
    id_kinds=ID_KINDS,
    business_rules=RULES,
    paths=("/ai/conversations", "/ai/conversation_histories"),
)
