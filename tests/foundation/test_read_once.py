"""A command reads each configuration file once: ``config validate`` parses ``policies.yaml`` once
although five checks and the plan read it; ``init --force`` reads the demo-inputs record once,
not once per entry. A file edited between two reads is read anew (its content is the key)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.pipelines.config_check import check_workspace
from territoria.pipelines.hooks import Hooks, RunContext
from territoria.workspace import Workspace, init_workspace
from territoria.workspace import policies as policies_module
from territoria.workspace import workspace as workspace_module
from territoria.workspace.policies import load_policies

COMMUNES = ["35047", "35066"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    real = policies_module.load_model

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        calls[path.name] += 1
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(policies_module, "load_model", counting)
    return calls


def test_config_validate_parses_the_policies_once(tmp_path: Path, parses: Counter[str]) -> None:
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["social_health"])
    assert check_workspace(ws.root) == []
    assert parses["policies.yaml"] == 1


def test_an_edited_policies_file_is_read_anew(tmp_path: Path, parses: Counter[str]) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text("retention:\n  landing: {keep_versions: 3}\n", encoding="utf-8")
    assert load_policies(path).retention.landing.keep_versions == 3
    first = load_policies(path)
    first.retention.landing.keep_versions = 9  # a reader changing its copy changes no one else's
    assert load_policies(path).retention.landing.keep_versions == 3
    path.write_text("retention:\n  landing: {keep_versions: 4}\n", encoding="utf-8")  # same size, same second
    assert load_policies(path).retention.landing.keep_versions == 4
    assert parses["policies.yaml"] == 2


def test_init_force_reads_the_demo_inputs_record_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["social_health"])
    load_pack("social_health").run_hook("prepare_demo", ws)
    reads: list[Path] = []
    real = workspace_module._demo_inputs

    def counting(private: Path) -> dict[str, str]:
        reads.append(private)
        return real(private)

    monkeypatch.setattr(workspace_module, "_demo_inputs", counting)
    init_workspace(ws.root, communes=COMMUNES, packs=["social_health"], force=True)
    assert len(reads) == 1


def test_a_run_end_reads_the_dataset_states_once(small_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The datasets' statuses and the publication's state digest both need every dataset's state
    (``ledger.dataset_states``): the run hooks read it once (``RunContext.dataset_states``)."""
    with small_ws.engine() as engine:
        run_pipeline(small_ws, engine)
        queries: list[str] = []
        ending: list[bool] = []
        real_fetch, real_end = engine.fetch_all, Hooks.after_run

        def counting(sql: str, *args: object, **kwargs: object) -> object:
            if ending:
                queries.append(sql)
            return real_fetch(sql, *args, **kwargs)  # type: ignore[arg-type]

        def end(self: Hooks, run: RunContext, summary: object) -> None:
            ending.append(True)
            real_end(self, run, summary)  # type: ignore[arg-type]

        monkeypatch.setattr(engine, "fetch_all", counting)
        monkeypatch.setattr(Hooks, "after_run", end)
        summary = run_pipeline(small_ws, engine, force=True)
    assert summary.status == "success" and summary.publication and ending
    assert sum("d.content_hash, d.rows" in q for q in queries) == 1  # ``ledger.dataset_states``
