"""Which published tables share cells, read from the rule sets' ``shares:`` declarations.

Light on purpose (rule sets only, no numpy or Arrow): the plan reads it for every publish step,
including in ``territoria status``; ``joint`` does the computing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from territoria.core.errors import ConfigError
from territoria.governance.secrecy.rules import Share, load_ruleset, sharing_ruleset_names
from territoria.workspace.policies import Policies as WorkspacePolicies

Policies = WorkspacePolicies | Mapping[str, Any]


def _declared(policies: Policies | None) -> list[tuple[str, Share]]:
    """Every ``shares:`` declaration of every known rule set, with the rule set declaring it."""
    found: list[tuple[str, Share]] = []
    for name in sharing_ruleset_names(policies):
        try:
            ruleset = load_ruleset(name, policies)
        except ConfigError:
            continue  # an invalid rule set fails the publication of its own tables
        found.extend((name, share) for share in ruleset.shares)
    return found


def group_shares(dataset: str, policies: Policies | None) -> tuple[dict[str, str], list[Share]]:
    """The datasets sharing cells with ``dataset``, directly or through another (dataset -> rule set),
    and the declarations linking them."""
    declared = _declared(policies)
    members: dict[str, str] = {}
    links: list[Share] = []
    todo = [dataset]
    while todo:
        current = todo.pop()
        for name, share in declared:
            if current not in (share.dataset, share.with_) or share in links:
                continue
            links.append(share)
            for ds, rs in ((share.dataset, name), (share.with_, share.ruleset)):
                if ds not in members:
                    members[ds] = rs
                    todo.append(ds)
    return members, links


def shared_datasets(dataset: str, policies: Policies | None) -> list[str]:
    """The other datasets whose cells the publication of ``dataset`` is decided with."""
    members, _ = group_shares(dataset, policies)
    return sorted(m for m in members if m != dataset)


def rules_fingerprint(dataset: str, secrecy: str | None, policies: Policies | None) -> str | None:
    """A hash of the rule sets that decide ``dataset``'s publication (its own and those of the
    tables sharing cells with it), as loaded with the workspace's overrides: part of the publish
    step's definition, so that a change of a rule (a threshold, ``protection_loop``, rounding) in
    ``policies.yaml`` or a pack publishes again. None for a dataset without a statistical rule set."""
    if not (secrecy or "").startswith("statistical."):
        return None
    own = (secrecy or "").split(".", 1)[1]
    members, _ = group_shares(dataset, policies)
    h = hashlib.blake2b(digest_size=16)
    for name in sorted({own, *members.values()}):
        try:
            h.update(name.encode() + b"=" + load_ruleset(name, policies).model_dump_json().encode() + b";")
        except ConfigError as err:  # an invalid rule set fails its publish step; the text keys it here
            h.update(name.encode() + b"!" + err.message.encode() + b";")
    return h.hexdigest()
