"""Tables the store keeps for datasets the plan no longer produces.

A source file removed from ``sources/``, a pack disabled in ``territory.yaml`` or a model taken
out of a pack leaves its tables in the store: nothing reads or publishes them any more (the
snapshot holds only the plan's datasets), but the rows stay, personal ones included, out of reach
of ``territoria retention`` (which follows the plan) and of ``territoria status``. ``orphans``
finds them; ``drop_orphans`` drops them in one transaction.

The ledger keeps their records: the runs that built them, their lineage and, for a published
table under statistical secrecy, what its publications hid. Enabling the dataset again rebuilds
its tables (the runner re-runs a step whose outputs are missing) and its next publication still
hides what the earlier ones hid.
"""

from __future__ import annotations

from dataclasses import dataclass

from territoria.engines.base import Engine, quote_ident
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import LAYER_SCHEMAS
from territoria.validation.tableschema import STAGED_PREFIX


@dataclass(frozen=True)
class Orphan:
    """One table no dataset of the plan produces."""

    schema: str
    name: str
    rows: int

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"


def _produced(plan: Plan) -> set[tuple[str, str]]:
    """(schema, name) of every table the plan writes: its datasets, their staged copies and the
    quarantine of each source."""
    out: set[tuple[str, str]] = set()
    for info in plan.datasets.values():
        out.add((info.schema, info.name))
        out.add((info.schema, STAGED_PREFIX + info.name))
        if info.layer == "staging":
            out.add((LAYER_SCHEMAS["quarantine"], info.name))
    return out


def orphans(engine: Engine, plan: Plan) -> list[Orphan]:
    """The tables of the dataset layers' schemas that no dataset of ``plan`` produces, by schema
    and name. Other schemas (the ledger's ``_territoria*``, a PostgreSQL database's own) are
    never looked at."""
    layers = set(LAYER_SCHEMAS.values())
    produced = _produced(plan)
    found = sorted((s, n) for s, n in engine.tables() if s in layers and (s, n) not in produced)
    return [
        Orphan(s, n, int(engine.fetch_all(f"SELECT count(*) FROM {quote_ident(s)}.{quote_ident(n)}")[0][0]))
        for s, n in found
    ]


def drop_orphans(engine: Engine, found: list[Orphan]) -> None:
    """Drop ``found``, all or none."""
    with engine.transaction():
        for orphan in found:
            engine.execute(f"DROP TABLE IF EXISTS {orphan.qualified}")


__all__ = ["Orphan", "drop_orphans", "orphans"]
