"""A model's SQL is rendered once per plan, not at every run (issue 18): the runner gets the text
the plan rendered while the infos its refs name are the same objects, as in every copy of a
cached plan; another info for a ref (a dataset moved to another layer) renders it anew."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from territoria.core.errors import ConfigError
from territoria.pipelines import spec
from territoria.pipelines.spec import DatasetInfo, ModelStep

SQL = "SELECT * FROM ref('a') JOIN ref('b') USING (k) WHERE v > param('floor')"


def _step() -> ModelStep:
    return ModelStep(id="model:m", inputs=("a", "b"), outputs=("m",), definition={}, sql=SQL, params={"floor": 3})


def _datasets() -> dict[str, DatasetInfo]:
    return {"a": DatasetInfo("a", "staging", "t"), "b": DatasetInfo("b", "model", "t")}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = spec.render_sql

    def counting(sql: str, *args: object) -> str:
        calls.append(sql)
        return real(sql, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(spec, "render_sql", counting)
    return calls


def test_a_copy_of_the_plans_datasets_gets_the_text_rendered_at_plan_time(renders: list[str]) -> None:
    step, datasets = _step(), _datasets()
    first = step.render(datasets)
    assert first == 'SELECT * FROM "staging"."a" JOIN "model"."b" USING (k) WHERE v > 3'
    assert step.render(dict(datasets)) == first  # what ``plan_cache`` hands out at each run
    assert len(renders) == 1


def test_another_info_for_a_ref_renders_anew(renders: list[str]) -> None:
    step, datasets = _step(), _datasets()
    step.render(datasets)
    moved = {**datasets, "b": replace(datasets["b"], layer="published")}
    assert step.render(moved) == 'SELECT * FROM "staging"."a" JOIN "published"."b" USING (k) WHERE v > 3'
    assert len(renders) == 2


def test_an_unknown_ref_still_fails_after_a_render() -> None:
    step, datasets = _step(), _datasets()
    step.render(datasets)
    with pytest.raises(ConfigError, match="unknown dataset 'b'"):
        step.render({"a": datasets["a"]})


def test_a_pickled_plan_keeps_the_text_and_the_step_its_equality(renders: list[str]) -> None:
    step, datasets = _step(), _datasets()
    text = step.render(datasets)
    back_step, back_datasets = pickle.loads(pickle.dumps((step, datasets)))  # as the plan's cache file
    assert back_step == step and hash(back_step.definition_hash) == hash(step.definition_hash)
    assert back_step.render(dict(back_datasets)) == text
    assert len(renders) == 1
