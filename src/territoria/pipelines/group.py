"""Group commit: several consecutive steps made durable by one transaction.

A durable commit costs the same whether it carries one small step or twenty, and most steps of
a territory's pipeline are small SQL models. So the runner keeps one transaction open across
consecutive model, indicator and publication steps and commits it once the group has worked
for ``GROUP_SECONDS`` (or before an ingest step, or at the end of the run). Each step's tables,
fingerprints, dataset state, step state and lineage go into that transaction; nothing of a
group is visible in the store file before its commit.

What this keeps of the per-step guarantees:

- A kill at any point leaves every step of the open group undone and everything committed
  before intact: at most ``GROUP_SECONDS`` of finished work is redone by the next run.
- Fingerprints of the tables a group rebuilt are computed in one query, when a later step needs
  one to decide whether to run, or at the commit: a step's content hash is the same, computed a
  little later in the same transaction (no other step writes its tables).
- A failed step publishes nothing: the group is rolled back (DuckDB has no savepoints, and an
  execution error aborts the whole transaction), the steps that had succeeded in it are run
  again one transaction each, and the rest of the run commits step by step.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from territoria.core.hashing import stable_hash
from territoria.engines.base import Engine
from territoria.ledger import DatasetRow, StepRecord, StepStateRow, write_state
from territoria.pipelines.spec import DatasetInfo, Step

#: a group is committed once it has worked this long: the most finished work a kill can undo
GROUP_SECONDS = 0.5


@dataclass
class Group:
    """The open transaction and what it will make durable."""

    stack: ExitStack
    started: float
    #: (hashes, keys, tables) of the runner when the group opened, restored on rollback
    saved: tuple[dict[str, str], dict[str, str], set[tuple[str, str]]]
    members: list[tuple[Step, StepRecord]] = field(default_factory=list)
    datasets: list[DatasetRow] = field(default_factory=list)
    states: dict[str, tuple[StepRecord, datetime]] = field(default_factory=dict)
    #: ``LineageRow``-shaped edges
    lineage: list[list[Any]] = field(default_factory=list)
    #: datasets rebuilt in the group whose fingerprint is still to compute -> (producer, record, at)
    unprinted: dict[str, tuple[Step, StepRecord, datetime]] = field(default_factory=dict)
    #: forced steps whose input key waits for those fingerprints
    unkeyed: list[tuple[Step, StepRecord]] = field(default_factory=list)

    def waits_for(self, step: Step) -> bool:
        return any(i in self.unprinted for i in step.inputs)

    def resolve(
        self, engine: Engine, datasets: dict[str, DatasetInfo], hashes: dict[str, str], keys: dict[str, str]
    ) -> None:
        """Fingerprint every table rebuilt so far (one query), then finish the input keys that waited."""
        if self.unprinted:
            names = list(self.unprinted)
            union = " UNION ALL ".join(fingerprint_sql(k, datasets[n].qualified) for k, n in enumerate(names))
            for k, rows, digest in engine.fetch_all(union):
                name = names[k]
                step, rec, at = self.unprinted[name]
                digest = hashes[name] = rec.outputs[name] = print_of(rows, digest)
                info = datasets[name]
                self.datasets.append(
                    DatasetRow(name, info.layer, info.schema, info.name, digest, rows, at, rec.run_id, step.id)
                )
            self.unprinted.clear()
        for step, rec in self.unkeyed:
            input_key(step, rec, hashes)
            keys[step.id] = rec.input_key
        self.unkeyed.clear()

    def write_state(self, engine: Engine) -> None:
        """Dataset state, step state and lineage of every member: three Arrow appends, not three
        statements per step."""
        latest = {r.name: r for r in self.datasets}.values()
        states = [StepStateRow(step, rec.input_key, rec.run_id, at) for step, (rec, at) in self.states.items()]
        write_state(engine, latest, states, self.lineage)


def fingerprint_sql(k: int, qualified: str) -> str:
    """``k``, row count and the sum of the row hashes of a table (its content, in any order)."""
    return f"SELECT {k} AS k, count(*), sum(hash(t)::HUGEINT) FROM {qualified} t"


def print_of(rows: Any, digest: Any) -> str:
    """A table's content fingerprint: row count and the sum of its row hashes (order-independent)."""
    return f"{int(rows)}:{digest}"


def input_key(step: Step, rec: StepRecord, hashes: dict[str, str]) -> None:
    """What a step's last success is compared with: its definition and its inputs' content."""
    rec.inputs = {i: hashes.get(i) for i in step.inputs}
    rec.input_key = stable_hash([rec.definition_hash, [rec.inputs[i] for i in step.inputs]])


__all__ = ["GROUP_SECONDS", "Group", "fingerprint_sql", "input_key", "print_of"]
