"""The API families, each a folder declaring one ``FAMILY`` manifest (``runtime/family.py``).

``FAMILIES`` is the only list: the app, the control API, fixtures, lifecycles and the document
derivation read it through ``emulator/app.py`` and ``emulator/cli.py``. Order matters where one
family's services plug into another's: conversations before assistants. Adding a family = one
folder + one line here.
"""

from emulator.families import (
    assistants,
    calls,
    chat,
    collections,
    conversations,
    embeddings,
    fine_tuning,
    messaging,
    missions,
    speech,
)
from emulator.runtime.family import Family

FAMILIES: tuple[Family, ...] = (
    calls.FAMILY,
    conversations.FAMILY,
    assistants.FAMILY,
    chat.FAMILY,
    speech.FAMILY,
    embeddings.FAMILY,
    fine_tuning.FAMILY,
    missions.FAMILY,
    collections.FAMILY,
    messaging.FAMILY,
)
