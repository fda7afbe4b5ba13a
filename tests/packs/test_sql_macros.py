"""Macros of the packs' SQL (``catalog/sql_macros.py``): one definition of an expression several
models need, expanded when the pack's SQL is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.catalog.packs import available_packs, load_pack
from territoria.catalog.sql_macros import expand_macros
from territoria.core.errors import ConfigError
from territoria.reference.crs import OVERSEAS


def test_local_projection_expands_into_the_projection_of_each_part_of_france() -> None:
    sql = expand_macros("SELECT ST_Area(local_projection(geometry, left(code, 3))) FROM t", "m.sql")
    assert sql.startswith("SELECT ST_Area(CASE left(code, 3) WHEN '971' THEN ST_Transform(geometry, 'EPSG:4326', ")
    assert sql.endswith(" ELSE ST_Transform(geometry, 'EPSG:4326', 'EPSG:2154', always_xy := true) END) FROM t")
    for code, crs in OVERSEAS.items():
        assert f"WHEN '{code}' THEN ST_Transform(geometry, 'EPSG:4326', '{crs}', always_xy := true)" in sql
    # arguments with commas and parentheses of their own, quoted or not
    quoted = expand_macros("local_projection(ST_Point(x, y), coalesce(zone, ')'))", "m.sql")
    assert quoted.startswith("CASE coalesce(zone, ')') WHEN '971' THEN ST_Transform(ST_Point(x, y), ")


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("SELECT local_projection(g) FROM t", "local_projection() takes 2 arguments, not 1"),
        ("SELECT local_projection(g, left(code, 3) FROM t", "a macro call is not closed"),
    ],
)
def test_a_wrong_macro_call_is_a_config_error_naming_the_file(sql: str, says: str) -> None:
    with pytest.raises(ConfigError, match=r"m\.sql: " + says.replace("(", r"\(").replace(")", r"\)")):
        expand_macros(sql, "m.sql")


def test_the_packs_sql_names_the_local_projections_nowhere() -> None:
    """The projections are listed once (``reference/crs.py``): a model calls the macro."""
    files = [p for name in available_packs() for p in Path(load_pack(name).directory).rglob("*.sql")]
    assert len(files) > 20
    for path in files:
        assert "ST_Transform(" not in path.read_text(encoding="utf-8"), path
