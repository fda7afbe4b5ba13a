"""The previous suppression report: the one a publication with other suppressed cells replaced, or
the one ``forget_suppressions`` set aside; on DuckDB and PostgreSQL (a table renamed in a
transaction), for a plain name and one long enough to be hashed."""

from __future__ import annotations

import pytest

from territoria import ledger
from territoria.engines.base import Engine
from territoria.ledger.suppressions import MAX_IDENTIFIER_BYTES, previous_table

from .conftest import cells_of


def _codes(cells: list[dict[str, object]]) -> list[object]:
    return sorted(c["cell"]["code"] for c in cells)


@pytest.mark.parametrize("dataset", ["energie", "consommation-" + "x" * 60])
def test_the_previous_report_is_the_last_one_with_other_cells(store: Engine, dataset: str) -> None:
    assert len(previous_table(dataset).encode()) <= MAX_IDENTIFIER_BYTES
    ledger.write_suppressions(store, dataset, "r", ["code"], ["m"], cells_of([1, 2]))
    assert ledger.previous_cells(store, dataset) == [] and ledger.previous_report(store, dataset) is None
    ledger.write_suppressions(store, dataset, "r", ["code"], ["m"], cells_of([1, 2]))  # the same cells again
    assert ledger.previous_cells(store, dataset) == []
    ledger.write_suppressions(store, dataset, "r", ["code"], ["m"], cells_of([1, 2, 3]))
    assert _codes(ledger.previous_cells(store, dataset)) == [1, 2]
    ledger.write_suppressions(store, dataset, "r", ["code"], ["m"], cells_of([3, 2, 1]))  # same set, other order
    assert _codes(ledger.previous_cells(store, dataset)) == [1, 2]
    assert _codes(ledger.suppressed_cells(store, dataset)) == [1, 2, 3]

    assert ledger.forget_suppressions(store, dataset)
    assert ledger.suppressed_cells(store, dataset) == []  # nothing remembered
    assert _codes(ledger.previous_cells(store, dataset)) == [1, 2, 3]
    assert ledger.previous_report(store, dataset) is not None
    assert not ledger.forget_suppressions(store, dataset)  # nothing left to forget
    ledger.write_suppressions(store, dataset, "r", ["code"], ["m"], cells_of([4]))
    assert _codes(ledger.previous_cells(store, dataset)) == [1, 2, 3]  # no report was replaced
    assert ledger.suppression_counts(store) == {(dataset, "primary"): 1}


def test_forget_steps_makes_the_next_run_run_them(engine: Engine) -> None:
    ledger.write_state(
        engine, [], [("publish:a", "k1", "r1", ledger.now()), ("publish:b", "k2", "r1", ledger.now())], []
    )
    ledger.forget_steps(engine, ["publish:a"])
    assert ledger.step_keys(engine) == {"publish:b": "k2"}
