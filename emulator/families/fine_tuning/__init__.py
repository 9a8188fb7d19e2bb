"""Fine-tuning jobs over bucket files; a finished job's model joins the tenant's model list and
is answered by the chat endpoints as its base model."""

from emulator.families.fine_tuning import handlers
from emulator.families.fine_tuning.service import TunedModels
from emulator.families.fine_tuning.store import FineTunedModels, FineTuningJobs
from emulator.runtime.family import Family

FAMILY = Family(
    name="fine_tuning",
    handler_modules=(handlers,),
    services=(TunedModels,),
    lifecycle_kinds=("fine_tuning_job",),
    stores=(FineTuningJobs, FineTunedModels),
    paths=("/ai/fine_tuning",),
)
