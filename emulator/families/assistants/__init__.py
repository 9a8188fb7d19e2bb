"""AI assistants: versions, tags, clone/import, canary deploys, scheduled events, tools (shared
and per assistant, with test calls to your URL), MCP servers and integrations; assistant chat."""

from emulator.families.assistants import handlers, scheduled_events, shared_tools, tools
from emulator.families.assistants.implicit import ID_KINDS
from emulator.families.assistants.rules import RULES
from emulator.families.assistants.seeds import parse_assistants
from emulator.families.assistants.service import ConversationsLink
from emulator.families.assistants.store import AssistantStore
from emulator.runtime.family import Family

FAMILY = Family(
    name="assistants",
    handler_modules=(handlers, scheduled_events, tools, shared_tools),
    services=(ConversationsLink,),
    fixture_kinds={"assistants": parse_assistants},
    stores=(AssistantStore,),
    id_kinds=ID_KINDS,
    business_rules=RULES,
    paths=("/ai/assistants", "/ai/tools", "/ai/mcp_servers", "/ai/integrations"),
)
