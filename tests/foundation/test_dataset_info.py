"""A dataset's schema and quoted name are computed once per ``DatasetInfo`` (the runner reads them
several times a step): the same text as before, and a copy with another layer or name gets its own."""

from __future__ import annotations

import pickle
from dataclasses import replace

from territoria.pipelines.spec import DatasetInfo, render_sql


def test_the_qualified_name_quotes_the_layer_schema_and_the_name() -> None:
    info = DatasetInfo('a"b', "model", "t")
    assert info.schema == "model"
    assert info.qualified == '"model"."a""b"'
    assert info.qualified == '"model"."a""b"'  # read again: the same text


def test_a_copy_with_another_layer_or_name_is_quoted_anew() -> None:
    info = DatasetInfo("x", "model", "t")
    assert info.qualified == '"model"."x"'
    moved = replace(info, layer="published", name="y")
    assert (moved.schema, moved.qualified) == ("published", '"published"."y"')
    assert info.qualified == '"model"."x"'


def test_a_pickled_info_keeps_its_text_equality_and_hash() -> None:
    """A cached plan holds its dataset infos pickled, with whatever they computed."""
    info = DatasetInfo("x", "staging", "t")
    fresh = DatasetInfo("x", "staging", "t")
    _ = info.qualified
    back = pickle.loads(pickle.dumps(info))
    assert back == info == fresh and hash(back) == hash(fresh)
    assert back.qualified == fresh.qualified == '"staging"."x"'


def test_a_model_renders_the_same_sql() -> None:
    datasets = {"a": DatasetInfo("a", "staging", "t"), "b": DatasetInfo("b", "model", "t")}
    sql = "SELECT * FROM ref('a') JOIN ref('b') USING (k) JOIN ref('a') x USING (k)"
    expected = 'SELECT * FROM "staging"."a" JOIN "model"."b" USING (k) JOIN "staging"."a" x USING (k)'
    assert render_sql(sql, datasets, {}, "m") == expected
    assert render_sql(sql, datasets, {}, "m") == expected
