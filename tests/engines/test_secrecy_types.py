"""A secrecy rule set reads its columns by type alike on every engine: a masked flag read as 0/1
is a flag, a count read as text is a configuration error, never an engine's error mid-run."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from territoria.core.errors import ConfigError
from territoria.engines.base import Engine
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import load_ruleset

POLICIES: dict[str, Any] = {
    "secrecy": {
        "typed": {
            "measures": ["value"],
            "rules": [
                {"id": "min3", "kind": "min_count", "column": "nb", "threshold": 3},
                {"id": "masked", "kind": "masked_input", "column": "masque"},
            ],
        }
    }
}


def _load(engine: Engine, nb: pa.Array, masque: pa.Array) -> str:
    table = pa.table({"code": ["a", "b", "c", "d"], "nb": nb, "masque": masque, "value": [1.5, 2.5, 3.5, None]})
    engine.ensure_schema("model")
    engine.register_arrow("_typed_in", table)
    engine.execute("CREATE TABLE model.typed AS SELECT * FROM _typed_in")
    return "SELECT * FROM model.typed"


@pytest.mark.parametrize("flag", [pa.bool_(), pa.int32()])
def test_a_masked_flag_as_boolean_or_0_1_masks_alike(engine: Engine, flag: pa.DataType) -> None:
    select = _load(engine, pa.array([5, 1, 7, 9], pa.int64()), pa.array([0, 0, 1, None]).cast(flag))
    result = apply_ruleset(engine, "typed", select, load_ruleset("typed", POLICIES), POLICIES)
    rows = engine.fetch_arrow(f"SELECT code, value, secret FROM ({result.select_sql}) AS p ORDER BY code").to_pylist()
    assert [(r["code"], r["value"], r["secret"]) for r in rows] == [
        ("a", 1.5, False),
        ("b", None, True),  # fewer than 3 units
        ("c", None, True),  # masked upstream
        ("d", None, False),  # no flag: not masked (its value was null already)
    ]


def test_a_count_read_as_text_is_a_configuration_error(engine: Engine) -> None:
    select = _load(engine, pa.array(["5", "1", "7", "9"]), pa.array([False, False, True, False]))
    with pytest.raises(ConfigError, match="'nb' is string, the rule set needs a number"):
        apply_ruleset(engine, "typed", select, load_ruleset("typed", POLICIES), POLICIES)
