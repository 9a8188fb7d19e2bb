"""The missions family's business rules: the checks it makes beyond what the document states.

Each is declared once here and listed in the family's manifest; the handler that finds one broken
calls ``ctx.business_rule(RULE, error)``, which raises today's strict error in the ``enforce`` mode
and, in the ``warn`` mode, returns so the handler applies the substitute named here
(``core/rules.py``). None is marked ``real_api``: the hosted API's answers to these cases are not
published, so each is the emulator's own guard.
"""

from __future__ import annotations

from emulator.core.rules import BusinessRule

RUN_TRANSITION = BusinessRule(
    name="missions.run_transition",
    checks=(
        "a run moves only along its lifecycle: pause a pending or running run, resume a paused one, "
        "cancel an unfinished one, and no new status once it is succeeded, failed or cancelled"
    ),
    substitute="the run keeps its status; the answer is the run (a PATCH still applies its other fields)",
)

RUN_STATUS_BY_PATCH = BusinessRule(
    name="missions.run_status_by_patch",
    checks="PATCH cannot set a run's status to paused (use the pause endpoint) or back to pending",
    substitute="the status is left as it is; the PATCH's other fields apply",
)

UNIQUE_STEP_IDS = BusinessRule(
    name="missions.unique_step_ids",
    checks="a plan's step_id values are unique",
    substitute="a later step with the same step_id replaces the earlier one",
)

KNOWN_PARENT_STEP = BusinessRule(
    name="missions.known_parent_step",
    checks="a plan step's parent_step_id names a step of the same plan",
    substitute="the step is stored without a parent",
)

RULES = (RUN_TRANSITION, RUN_STATUS_BY_PATCH, UNIQUE_STEP_IDS, KNOWN_PARENT_STEP)
