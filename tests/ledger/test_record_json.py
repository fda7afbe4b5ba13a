"""The JSON columns of a step record are the text ``json.dumps`` gives, from an encoder built once."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from territoria.ledger.rows import StepRecord, json_text

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json.dumps writes NaN, Infinity
    | st.text()  # any code point: non-ASCII and control characters escaped alike
    | st.dates()
    | st.datetimes()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.integers() | st.booleans() | st.none() | st.floats(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_the_text_is_json_dumps_text(value: Any) -> None:
    assert json_text(str)(value) == json.dumps(value, default=str)


@given(values)
def test_without_default_it_refuses_what_json_dumps_refuses(value: Any) -> None:
    try:
        expected = json.dumps(value)
    except TypeError as exc:
        with pytest.raises(TypeError, match=re.escape(str(exc))):
            json_text()(value)
    else:
        assert json_text()(value) == expected


def test_a_record_row_holds_the_same_text_as_before() -> None:
    rec = StepRecord("run", "model:m", "model", started_at=datetime(2026, 1, 2, 3, 4, 5))
    rec.inputs, rec.outputs = {"a": "1:2", "b": None}, {"m": "3:4"}
    rec.report = {"warnings": ["é"], "checked": date(2026, 1, 2)}
    rec.footprint = {"energy_wh": {"value": 1.196e-06, "low": 6.2e-07}, "pack": None, "io": {"read_bytes": 3}}
    row = rec.row()
    assert row[9:11] == [json.dumps(rec.inputs), json.dumps(rec.outputs)]
    assert row[19] == json.dumps(rec.report, default=str)
    assert row[21] == json.dumps(rec.footprint, default=str)
