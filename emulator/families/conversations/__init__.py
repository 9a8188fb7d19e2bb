"""AI conversations and their messages, conversation histories (similarity search over past
conversations), and insights: groups of LLM-answered questions run when a conversation ends."""

from emulator.families.conversations import control, handlers, histories, insights
from emulator.families.conversations.insight_store import InsightStore
from emulator.families.conversations.links import AssistantLinks
from emulator.families.conversations.store import ConversationStore
from emulator.runtime.family import Family

FAMILY = Family(
    name="conversations",
    handler_modules=(handlers, histories, insights),
    services=(AssistantLinks,),
    control=control.CONTROL,
    lifecycle_kinds=("insight_run",),
    stores=(ConversationStore, InsightStore),
    paths=("/ai/conversations", "/ai/conversation_histories"),
)
