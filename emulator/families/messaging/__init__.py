"""Messaging: sending an SMS/MMS (``POST /messages``) with its delivery webhooks. Only the send
operation is kept from the published document; profiles, numbers and the rest are not emulated."""

from emulator.families.messaging import handlers
from emulator.runtime.family import Family

FAMILY = Family(
    name="messaging",
    handler_modules=(handlers,),
    business_rules=handlers.RULES,
    paths=("/messages$",),
)
