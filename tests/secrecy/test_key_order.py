"""One sort of cells serves the group's content hash and plans (a member's whole table) and the
suppression report's numbering (its suppressed rows): ``key_order`` gives Arrow's order (keys,
then the other columns, then position) from an integer sort of the keys' ranks."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria.governance.secrecy.joint import key_order

#: a column's values and its type (the guard's flags are typed, nulls or not)
COLUMNS = {
    "code": (st.one_of(st.none(), st.sampled_from(["", "35238", "35047", "B", "b", "é"])), pa.string()),
    "period": (st.integers(2018, 2021), pa.int32()),
    "n": (st.one_of(st.none(), st.integers(-2, 2)), pa.int64()),
    "x": (st.sampled_from([0.0, -0.0, 1.5, -1.0, math.inf, math.nan]), pa.float64()),
    "y": (st.one_of(st.none(), st.sampled_from([0.0, 2.5, math.nan])), pa.float64()),
    "flag": (st.one_of(st.none(), st.booleans()), pa.bool_()),
}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_key_order_is_arrows_sort_of_the_keys_then_the_other_columns(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 25), label="rows")
    table = pa.table({c: pa.array([data.draw(s) for _ in range(n)], t) for c, (s, t) in COLUMNS.items()})
    names = list(COLUMNS)
    keys = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3), label="keys")
    rest = data.draw(st.lists(st.sampled_from([c for c in names if c not in keys]), unique=True), label="rest")
    subset = data.draw(st.one_of(st.none(), st.lists(st.integers(0, max(n - 1, 0)), unique=True)), label="rows")
    rows = None if subset is None or not n else np.array(subset, dtype=np.int64)
    picked = np.arange(n) if rows is None else rows
    every = [*keys, *rest]
    if every and len(picked):
        cells = table.select(every).take(pa.array(picked))
        expected = picked[pc.sort_indices(cells, sort_keys=[(c, "ascending") for c in every]).to_numpy()]
    else:
        expected = picked
    assert key_order(table, keys, rest, rows).tolist() == expected.tolist()
