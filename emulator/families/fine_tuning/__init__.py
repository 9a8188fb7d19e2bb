"""Fine-tuning jobs over bucket files; a finished job's model joins the tenant's model list and
is answered by the chat endpoints as its base model."""

from emulator.families.fine_tuning import handlers
from emulator.families.fine_tuning.implicit import ID_KINDS
from emulator.families.fine_tuning.rules import RULES
from emulator.families.fine_tuning.service import TunedModels
from emulator.families.fine_tuning.store import FineTunedModels, FineTuningJobs
from emulator.runtime.family import Family

FAMILY = Family(
    name="fine_tuning",
    handler_modules=(handlers,),
    services=(TunedModels,),
    lifecycle_kinds=("fine_tuning_job",),
    stores=(FineTuningJobs, FineTunedModels),
    id_kinds=ID_KINDS,
    business_rules=RULES,
    paths=("/ai/fine_tuning",),
)
