"""One SQL for all engines: DuckDB-dialect SQL translated per engine, variants where it cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.catalog.packs import available_packs, load_pack
from territoria.core.errors import ConfigError
from territoria.engines.dialect import mark_variant, translate, translate_for_driver, variant_path
from territoria.engines.expansions import expand_lateral_aliases, expand_star_excludes


def test_duckdb_sql_is_translated_for_postgres() -> None:
    out = unquoted("SELECT x::VARCHAR, TRY_CAST(y AS DOUBLE) FROM (SELECT * FROM range(3)) ORDER BY 1")
    assert "CAST(x AS TEXT)" in out and "GENERATE_SERIES(0, 3 - 1) AS range(range)" in out
    assert "AS _t0" in out  # PostgreSQL 15 names every subquery in FROM
    assert translate("SELECT 1::HUGEINT", "postgres") == "SELECT CAST(1 AS DECIMAL)"
    assert translate("SELECT p.CODGEO FROM t AS p", "postgres") == 'SELECT "p"."CODGEO" FROM "t" AS "p"'  # case kept
    assert translate("SELECT x::VARCHAR", "duckdb") == "SELECT x::VARCHAR"  # the source dialect is untouched


def unquoted(sql: str) -> str:
    return translate(sql, "postgres").replace('"', "")


def test_translation_is_cached() -> None:
    sql = "SELECT 41 + 1 AS cached"
    assert translate(sql, "postgres") is translate(sql, "postgres")


def test_transforms_between_epsg_codes_go_through_srids() -> None:
    # PostGIS builds a PROJ transformation on every call of ST_Transform's text form (~10 ms a row)
    out = unquoted("SELECT ST_Transform(g, 'EPSG:4326', 'EPSG:2154', always_xy := true) FROM t")
    assert "ST_SETSRID(ST_TRANSFORM(ST_SETSRID(g, 4326), 2154), 0)" in out
    assert "'+proj=longlat', 'EPSG:2154'" in unquoted("SELECT ST_Transform(g, '+proj=longlat', 'EPSG:2154') FROM t")


def test_an_untranslatable_construct_is_named() -> None:
    with pytest.raises(ConfigError, match=r"postgres engine has no translation for .*EXCEPT") as err:
        translate("SELECT * EXCLUDE (a) FROM t", "postgres")
    assert "model.postgres.sql" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="cannot read this SQL"):
        translate("SELECT (((", "postgres")


def test_driver_form_renames_schemas_and_placeholders() -> None:
    out = translate_for_driver(
        "SELECT a % 2 FROM meta.s JOIN pg_catalog.pg_class c ON true WHERE k = ? AND n LIKE 'x%'",
        "postgres",
        schema_prefix="ws1_",
        params=True,
    )
    assert '"ws1_meta"."s"' in out and '"pg_catalog"."pg_class"' in out
    assert '"a" %% 2' in out and '"k" = %s' in out and "'x%%'" in out
    assert translate_for_driver("CREATE SCHEMA IF NOT EXISTS meta", "postgres", schema_prefix="ws1_").endswith(
        '"ws1_meta"'
    )


def test_a_variant_runs_verbatim_on_its_engine_only() -> None:
    variant = mark_variant("SELECT 1 FROM ONLY some_table", "postgres")
    assert translate(variant, "postgres") == "SELECT 1 FROM ONLY some_table"
    with pytest.raises(ConfigError, match="written for the postgres engine cannot run on the spark engine"):
        translate(variant, "spark")


def test_a_pack_variant_is_read_for_its_engine(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("name: p\ntitle: P\nmodels: []\n", encoding="utf-8")
    (tmp_path / "m.sql").write_text("SELECT 1 AS x", encoding="utf-8")
    (tmp_path / "m.postgres.sql").write_text("SELECT 1::int4 AS x", encoding="utf-8")
    pack = load_pack("p", tmp_path)
    assert pack.read_sql("m.sql") == "SELECT 1 AS x"
    assert translate(pack.read_sql("m.sql", "postgres"), "postgres") == "SELECT 1::int4 AS x"
    assert pack.read_sql("m.sql", "spark") == "SELECT 1 AS x"  # no spark variant: translated as usual


def test_a_variant_of_parts_replaces_only_those_parts_of_its_base(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("name: p\ntitle: P\nmodels: []\n", encoding="utf-8")
    base = "WITH a AS (\n    -- territoria:part a\n    SELECT 1::HUGEINT AS x\n    -- territoria:end\n)\n"
    base += "SELECT x FROM a\n"
    (tmp_path / "m.sql").write_text(base, encoding="utf-8")
    variant = tmp_path / "m.postgres.sql"
    part = "-- territoria:part a\n    SELECT 1::NUMERIC AS x\n-- territoria:end\n"
    variant.write_text(f"-- why the variant\n{part}", encoding="utf-8")
    pack = load_pack("p", tmp_path)
    assert pack.read_sql("m.sql") == base
    written = "WITH a AS (\n    SELECT 1::NUMERIC AS x\n)\nSELECT x FROM a\n"
    assert translate(pack.read_sql("m.sql", "postgres"), "postgres") == written
    for text, says in (
        ("-- territoria:part b\nSELECT 2\n-- territoria:end\n", "the base SQL has no part b"),
        ("-- territoria:part a\nSELECT 2\n-- territoria:end\nSELECT 3\n", "'SELECT 3' is in no part"),
    ):
        variant.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=says) as err:
            pack.read_sql("m.sql", "postgres")
        assert "m.postgres.sql" in err.value.message


def models_with_variants(dialect: str) -> list[str]:
    """The installed packs' models that ship SQL of their own for ``dialect``."""
    found = []
    for name in available_packs():
        pack = load_pack(name)
        for model in [*pack.definition.models, *pack.definition.indicators]:
            if variant_path(pack.directory / model.sql, dialect).is_file():
                found.append(f"{name}:{model.sql}")
    return found


def test_every_pack_sql_translates_or_has_a_variant() -> None:
    """The compliance list: pack SQL that PostgreSQL gets as a variant instead of a translation."""
    assert models_with_variants("postgres") == [  # DuckDB UNPIVOT forms, lists landed as JSON text
        "energy_ghg:models/energie_elec_iris.sql",
        "resources:models/foncier_flux.sql",
        "social_health:models/filosofi_cellules.sql",  # a list landed as JSON text
    ]
    for name in available_packs():
        pack = load_pack(name)
        for model in [*pack.definition.models, *pack.definition.indicators]:
            translate(pack.read_sql(model.sql, "postgres"), "postgres")


@pytest.mark.parametrize(
    ("duckdb", "postgres"),
    [
        ("SELECT a, sum(b) FROM t GROUP BY ALL", "SELECT a, SUM(b) FROM t GROUP BY 1"),
        ("SELECT any_value(a) FROM t", "SELECT ANY_VALUE(a) FROM t"),
        (
            "SELECT * FROM t AS w ORDER BY w.rowid",
            "SELECT * FROM t AS w ORDER BY (CAST((CAST(CAST(w.ctid AS TEXT) AS POINT))[0] AS BIGINT) * 65536 + "
            "CAST((CAST(CAST(w.ctid AS TEXT) AS POINT))[1] AS BIGINT))",
        ),
        (
            "SELECT arg_max(a, b) FROM t",
            "SELECT (ARRAY_AGG(a ORDER BY b DESC) FILTER(WHERE b IS NOT NULL))[1] FROM t",
        ),
        ("SELECT {'k': a} FROM t", "SELECT JSONB_BUILD_OBJECT('k', a) FROM t"),
        ("CREATE OR REPLACE TABLE m.t AS SELECT 1", "DROP TABLE IF EXISTS m.t;\nCREATE TABLE m.t AS SELECT 1"),
        ("SELECT CASE WHEN x THEN ?::TIMESTAMP END", "SELECT CASE WHEN x THEN CAST((%s) AS TIMESTAMP) END"),
    ],
)
def test_duckdb_only_constructs_get_a_postgres_form(duckdb: str, postgres: str) -> None:
    assert unquoted(duckdb) == postgres


def test_lateral_aliases_are_spelled_out_unless_a_column_has_the_name() -> None:
    sql = "SELECT trim(a) AS v, length(v) AS n, v || b AS w FROM t"
    assert expand_lateral_aliases(sql, lambda rel: ["a", "b"]) == (
        'SELECT "v", LENGTH(v) AS n, v || b AS w FROM (SELECT *, TRIM(a) AS v FROM t) AS _lateral0'
    )
    grouped = "SELECT trim(a) AS v, count(v) AS n FROM t GROUP BY 1"  # aggregates: inlined instead
    assert (
        expand_lateral_aliases(grouped, lambda rel: ["a"])
        == "SELECT TRIM(a) AS v, COUNT((TRIM(a))) AS n FROM t GROUP BY 1"
    )
    assert "LENGTH(v) AS n" in expand_lateral_aliases(sql, lambda rel: ["a", "b", "v"])  # t.v wins, as in DuckDB
    assert expand_lateral_aliases("SELECT a AS x FROM t", lambda rel: []) == "SELECT a AS x FROM t"


def test_a_subquery_names_its_columns_without_the_catalog() -> None:
    asked: list[str] = []

    def columns_of(relation: str) -> list[str]:
        asked.append(relation)
        return ["a", "b"]

    nested = "SELECT trim(x) AS v, length(v) AS n FROM (SELECT *, a AS x FROM (SELECT a, b AS c FROM t))"
    assert "FROM (SELECT *, TRIM(x) AS v FROM (SELECT *, a AS x FROM (SELECT a, b AS c FROM t)" in (
        expand_lateral_aliases(nested, columns_of)
    )
    # a column of the subquery with the alias's name wins (the typed value, then the raw one)
    raw = "SELECT a_t AS a, CAST(a AS TEXT) AS raw FROM (SELECT a, a + 1 AS a_t FROM t)"
    assert expand_lateral_aliases(raw, columns_of) == raw
    assert asked == []
    assert "LENGTH(x)" in expand_lateral_aliases("SELECT a AS x, length(x) FROM (SELECT * FROM t)", columns_of)
    assert asked == ["t"]  # under a star, the table's columns come from the catalog


def test_star_modifiers_are_spelled_out_once_per_column() -> None:
    columns = ["k", "g", "file_row_number"]
    plain = "SELECT file_row_number + 1 AS _line, * EXCLUDE (file_row_number) REPLACE (g::INT AS g) FROM f"
    assert expand_star_excludes(plain, lambda rel: columns) == (
        'SELECT file_row_number + 1 AS _line, "k", CAST(g AS INT) AS g FROM f'
    )
    joined = "SELECT w.* REPLACE (NULL AS g), s.x FROM f AS w JOIN s ON s.k = w.k"
    assert expand_star_excludes(joined, lambda rel: columns) == (
        'SELECT "w"."k", NULL AS g, "w"."file_row_number", s.x FROM f AS w JOIN s ON s.k = w.k'
    )


def test_spark_variants_are_listed_and_every_pack_sql_is_prepared_for_spark() -> None:
    """The compliance list for Spark: the Spark engine parses every statement (DuckDB's grammar,
    variants included) to run its DDL itself; pack SQL it cannot translate ships a variant."""
    pytest.importorskip("pyspark", reason="the spark engine is an optional extra")
    from territoria.engines.spark.sql import prepare

    assert models_with_variants("spark") == []  # ges_emissions' bit set of factors is gone: no variant left
    for name in available_packs():
        pack = load_pack(name)
        for model in [*pack.definition.models, *pack.definition.indicators]:
            assert prepare(pack.read_sql(model.sql, "spark")).kind == "select", f"{name}:{model.sql}"
