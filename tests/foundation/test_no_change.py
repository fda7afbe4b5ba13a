"""A refresh that finds nothing to do costs nothing it can avoid: the plan comes from its cache
while the files it is built from are unchanged, and the publication snapshot links its catalog while
nothing its catalog shows changed. Changing any of those files or inputs must still be seen."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from territoria.core.hashing import stable_hash
from territoria.pipelines import build_plan, load_plan, plan_cache, run_pipeline
from territoria.pipelines.plan_cache import FILE
from territoria.pipelines.runner import RunSummary
from territoria.publication.reader import Publication
from territoria.publication.snapshot import current_snapshot
from territoria.testing.clock import backdate
from territoria.workspace import Workspace

POP = "data/population-communes.csv"


def run(ws: Workspace, **kwargs: object) -> RunSummary:
    with ws.engine() as engine:
        return run_pipeline(ws, engine, **kwargs)  # type: ignore[arg-type]


def definitions(ws_plan: object) -> dict[str, str]:
    return {s.id: s.definition_hash for s in ws_plan.steps.values()}  # type: ignore[attr-defined]


def linked(later: RunSummary, earlier: RunSummary) -> bool:
    """The later run's snapshot shares the earlier one's catalog file."""
    a, b = (Path(str(s.publication)) / "catalog.json" for s in (later, earlier))
    return a.stat().st_ino == b.stat().st_ino


def retitle(ws: Workspace, source: str, suffix: str) -> None:
    path = ws.sources_dir / f"{source}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + suffix if line.startswith("title:") else line for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_plan_is_cached_until_a_file_it_is_built_from_changes(small_ws: Workspace) -> None:
    fresh = load_plan(small_ws)
    assert fresh.fingerprint is None and not (small_ws.private / FILE).exists()  # files just written: not trusted
    backdate(small_ws.root)
    first = load_plan(small_ws)
    assert first.fingerprint and (small_ws.private / FILE).is_file()
    cached = load_plan(small_ws)
    assert cached.fingerprint == first.fingerprint
    assert cached.order == build_plan(small_ws).order and definitions(cached) == definitions(build_plan(small_ws))
    with (small_ws.private / FILE).open("rb") as f:  # the hashes are saved with the plan: a run never hashes again
        pickle.load(f)
        saved = pickle.load(f)
    assert {s.id: vars(s)["definition_hash"] for s in saved.steps.values()} == definitions(cached)

    retitle(small_ws, "population-communes", " (modifié)")
    edited = load_plan(small_ws)
    assert edited.datasets["population-communes"].title.endswith("(modifié)")
    assert edited.fingerprint is None  # just edited: built, not saved
    backdate(small_ws.root)
    settled = load_plan(small_ws)
    assert settled.fingerprint not in (None, first.fingerprint)
    assert settled.datasets["population-communes"].title.endswith("(modifié)")

    # a parameter changed in territory.yaml changes the models' definitions
    small_ws.set_parameters("territory", {"population_year": 2021})
    backdate(small_ws.root)
    assert definitions(load_plan(small_ws)) == definitions(build_plan(small_ws)) != definitions(settled)


def test_a_plan_kept_in_memory_is_not_hashed_again(small_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its fingerprint was taken when it was kept: hashing its ~500 stamps again at every load
    cost a run that finds nothing to do about 0.4 ms."""
    backdate(small_ws.root)
    first = load_plan(small_ws)  # built (or read from the file) and kept
    hashed: list[object] = []
    monkeypatch.setattr(plan_cache, "stable_hash", lambda value: hashed.append(value) or stable_hash(value))
    again = load_plan(small_ws)
    assert not hashed and again.fingerprint == first.fingerprint == stable_hash(again.stamps)
    assert again is not first and again.steps is not first.steps  # still a copy of its own

    retitle(small_ws, "population-communes", " (modifié)")  # a file changed: built and hashed anew
    backdate(small_ws.root)
    assert load_plan(small_ws).fingerprint not in (None, first.fingerprint) and hashed


def test_a_torn_cache_file_is_rebuilt(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    load_plan(small_ws)
    path = small_ws.private / FILE
    path.write_bytes(path.read_bytes()[:100])
    assert definitions(load_plan(small_ws)) == definitions(build_plan(small_ws))


def test_a_no_change_run_links_the_catalog_and_a_change_computes_it(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    first = run(small_ws)
    run(small_ws)  # the last statuses move from success to skipped: the catalog says so
    again = run(small_ws)
    last = run(small_ws)
    assert again.count("success") == 0 and last.count("success") == 0
    # a new snapshot, with every run in its history, but the catalog linked, not computed again
    snap = current_snapshot(small_ws.private)
    assert snap is not None and str(snap.path) == last.publication and snap.run_id == last.run_id
    catalog = (Path(last.publication) / "catalog.json").stat()
    assert catalog.st_ino == (Path(str(again.publication)) / "catalog.json").stat().st_ino
    pub = Publication(snap.path)
    try:
        runs = {r["run_id"] for r in pub.rows("SELECT run_id FROM meta.runs")}
    finally:
        pub.close()
    assert {first.run_id, again.run_id, last.run_id} <= runs

    pop = small_ws.root / POP
    lines = pop.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[2] = str(int(fields[2].replace(" ", "")) + 1)
    lines[1] = ";".join(fields)
    pop.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    changed = run(small_ws)
    assert changed.count("success") > 0 and not linked(changed, last)

    # a failed step changes what the catalog shows (its last status): published again
    pop.write_text("<!DOCTYPE html><html><body>Erreur 502</body></html>", encoding="utf-8")
    failed = run(small_ws)
    assert failed.status == "failed" and not linked(failed, changed)

    # a changed catalog entry (its title is in the catalog) publishes again, with no step to run
    pop.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    repaired = run(small_ws)
    retitle(small_ws, "population-communes", " (modifié)")
    backdate(small_ws.root)
    retitled = run(small_ws)
    assert not linked(retitled, repaired)


def test_snapshots_made_in_the_same_second_are_pruned_oldest_first(tmp_path: Path) -> None:
    """Run ids begin with the second: snapshots of one second must be kept in the order they were
    made, not by their random suffix (the newest was deleted when its suffix sorted first)."""
    import json

    from territoria.publication.snapshot import KEEP, _prune

    names = ["20261204T194950-ffffff", "20261204T194950-cccccc", "20261204T194950-888888", "20261204T194950-000000"]
    for i, name in enumerate(names):  # made in this order, their names sorting the other way
        (tmp_path / name).mkdir()
        made = f"2026-12-04T19:49:50.{i:06d}+00:00"
        (tmp_path / name / "manifest.json").write_text(json.dumps({"created_at": made}), encoding="utf-8")
    _prune(tmp_path, keep=tmp_path / names[-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[-KEEP:])
