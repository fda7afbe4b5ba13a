"""Publication snapshots: what the server reads, switched atomically at the end of each run."""

from __future__ import annotations

import json
import shutil

from territoria.cli.serve_cmds import ensure_publication
from territoria.pipelines import run_pipeline
from territoria.publication.snapshot import KEEP, current_snapshot, publication_dir
from territoria.workspace import Workspace


def _run(ws: Workspace, **kwargs: object) -> str:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, **kwargs)  # type: ignore[arg-type]
    assert summary.publication, summary.publication_error
    return summary.run_id


def test_snapshot_holds_published_tables_only(small_ws: Workspace) -> None:
    run_id = _run(small_ws)
    snap = current_snapshot(small_ws.private)
    assert snap is not None and snap.run_id == run_id
    manifest = json.loads((snap.path / "manifest.json").read_text())
    assert set(manifest["tables"]) == {"communes", "population-communes", "population", "densite_population"}
    assert sorted(p.name for p in (snap.path / "published").iterdir()) == sorted(
        f"{t}.parquet" for t in manifest["tables"]
    )
    assert {p.stem for p in (snap.path / "meta").iterdir()} >= {"runs", "step_runs", "lineage", "datasets"}
    assert not list(snap.path.rglob("*quarantine*"))
    catalog = json.loads((snap.path / "catalog.json").read_text())
    assert {d["id"] for d in catalog["datasets"]} >= {"surface_communes", "contours-communes"}


def test_unchanged_tables_are_linked_and_old_snapshots_pruned(small_ws: Workspace) -> None:
    first = _run(small_ws)
    second = _run(small_ws)  # nothing changed: every step skipped
    root = publication_dir(small_ws)
    a = (root / first / "published" / "population.parquet").stat()
    b = (root / second / "published" / "population.parquet").stat()
    assert a.st_ino == b.st_ino  # hard link, not a copy
    for _ in range(KEEP + 1):
        _run(small_ws, only=["population"])
    kept = [p for p in root.iterdir() if p.is_dir()]
    assert len(kept) == KEEP and not [p for p in root.iterdir() if p.name.startswith(".")]
    assert current_snapshot(small_ws.private).path in kept  # type: ignore[union-attr]


def test_serve_publishes_a_store_never_published(small_ws: Workspace) -> None:
    run_id = _run(small_ws)
    shutil.rmtree(publication_dir(small_ws))
    assert current_snapshot(small_ws.private) is None
    assert ensure_publication(small_ws) == run_id
    assert current_snapshot(small_ws.private) is not None


def test_run_history_is_written_once_and_linked_after(small_ws: Workspace) -> None:
    """Each snapshot adds one Parquet part per history table (the runs no earlier part holds) and
    hard-links the others: the server still sees every run, including one that never published."""
    from territoria.publication.reader import Publication

    first = _run(small_ws)
    with small_ws.engine() as engine:  # records of a run killed before its snapshot
        engine.execute(
            "INSERT INTO _territoria.step_runs (run_id, step, kind, status) "
            "VALUES ('killed-run', 'x', 'model', 'failed')"
        )
    second = _run(small_ws)
    third = _run(small_ws)
    snap = current_snapshot(small_ws.private)
    assert snap is not None and snap.run_id == third
    manifest = json.loads((snap.path / "manifest.json").read_text())
    parts = manifest["history"]["step_runs"]
    assert set(parts) == {f"{first}.parquet", f"{second}.parquet", f"{third}.parquet"}
    assert parts[f"{second}.parquet"] == sorted(["killed-run", second])
    old = publication_dir(small_ws) / second / "meta" / "step_runs" / f"{first}.parquet"
    assert (snap.path / "meta" / "step_runs" / f"{first}.parquet").stat().st_ino == old.stat().st_ino
    pub = Publication(snap.path)
    try:
        runs = {r["run_id"] for r in pub.rows("SELECT DISTINCT run_id FROM meta.step_runs")}
        assert runs == {first, "killed-run", second, third}
        with small_ws.engine() as engine:
            stored = engine.fetch_all("SELECT count(*) FROM _territoria.step_runs")[0][0]
        assert pub.rows("SELECT count(*) AS n FROM meta.step_runs")[0]["n"] == stored
    finally:
        pub.close()
