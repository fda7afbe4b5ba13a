"""Forget what a dataset's last publication hid: the operator's reset of the secrecy memory.

Every publication keeps hidden what the one before hid (``memory.py``), so a rule relaxed on
purpose (a lower threshold decided by the statistical officer) publishes nothing more. Forgetting
sets the dataset's suppression report aside (the ledger keeps it as the previous report, which
``territoria secrecy audit`` compares the next publication with) and clears the input keys of the
publish steps, so that the next run decides afresh. The datasets sharing cells with it (one
decision for the group, ``joint.py``) are forgotten with it: a member remembering alone would
force the others' cells back through the links.

The risk is differencing: the next publication may show a cell the previous one hid, and anyone
who kept that one gets back the cells it protected. So the reset is an audited operator action:
a reason is required, and who, when and why goes to the workspace's audit log (the tamper-evident
chain that ``territoria users audit --verify`` checks) before anything is forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from territoria.core.errors import UserError
from territoria.core.vocab import AccessLevel
from territoria.engines.base import Engine
from territoria.governance.access import Principal
from territoria.governance.audit import AuditLog
from territoria.ledger import forget_steps, forget_suppressions, suppression_counts

ACTION = "secrecy:forget"


@dataclass(frozen=True)
class Memory:
    """What a dataset's last publication hid, as the reset forgets it."""

    dataset: str
    primary: int
    secondary: int
    #: hidden because the publication before hid them (``memory``), whatever they were
    remembered: int = 0


def required_reason(dataset: str, reason: str | None) -> str:
    """The reason given, stripped; a clear error when there is none (nothing is forgotten)."""
    why = (reason or "").strip()
    if not why:
        raise UserError(
            f"forgetting what {dataset}'s last publication hid needs a reason",
            hint='say why with --reason "..." (recorded in the audit log), e.g. the decision that relaxed the rule',
        )
    return why


def remembered(engine: Engine, datasets: list[str]) -> list[Memory]:
    """The datasets among ``datasets`` whose last publication hid cells, with their counts."""
    counts = suppression_counts(engine)
    out = [
        Memory(d, counts.get((d, "primary"), 0), counts.get((d, "secondary"), 0), counts.get((d, "remembered"), 0))
        for d in sorted(datasets)
    ]
    return [m for m in out if m.primary or m.secondary or m.remembered]


def forget(
    engine: Engine,
    audit: AuditLog,
    who: Principal,
    dataset: str,
    access: AccessLevel,
    reason: str | None,
    publish_steps: Mapping[str, str],
) -> list[Memory]:
    """Forget the memory of ``dataset`` and of the datasets sharing cells with it
    (``publish_steps``: each of them -> its publish step), recorded first in ``audit``."""
    why = required_reason(dataset, reason)
    memories = remembered(engine, list(publish_steps))
    if not memories:
        raise UserError(
            f"{dataset} remembers no suppressed cell: nothing to forget",
            hint="it was not published with a rule set that hid cells yet, or it was forgotten already",
        )
    detail = {
        "datasets": {
            m.dataset: {"primary": m.primary, "secondary": m.secondary, "remembered": m.remembered} for m in memories
        },
        "steps": sorted(publish_steps.values()),
    }
    audit.record(who, ACTION, dataset, access, why, detail)  # the intent first: nothing forgotten unrecorded
    with engine.transaction():  # the whole group or none of it: a member left remembering forces the others back
        for m in memories:
            forget_suppressions(engine, m.dataset)
        forget_steps(engine, sorted(publish_steps.values()))  # the whole group decides again, together
    return memories


__all__ = ["ACTION", "Memory", "forget", "remembered", "required_reason"]
