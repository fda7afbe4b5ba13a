"""The pipeline spine: incremental runs, quarantine, atomic publication, records, lineage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from territoria.core.errors import UserError
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.pipelines import build_plan, run_pipeline
from territoria.pipelines.inspect import dataset_status, downstream, upstream
from territoria.publication.dcat import dcat_catalog
from territoria.publication.export import export_dataset
from territoria.workspace import Workspace

POP = "data/population-communes.csv"


def run(ws: Workspace, **kwargs: object):  # type: ignore[no-untyped-def]
    with ws.engine() as engine:
        return run_pipeline(ws, engine, **kwargs)  # type: ignore[arg-type]


def query(ws: Workspace, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with ws.engine() as engine:
        return engine.fetch_all(sql, params)


def test_first_run_builds_everything(small_ws: Workspace) -> None:
    summary = run(small_ws)
    assert summary.status == "success"
    assert summary.count("success") == len(build_plan(small_ws).steps)
    rows = query(small_ws, "SELECT code, value FROM published.population WHERE mesh = 'commune' ORDER BY code")
    assert [r[0] for r in rows] == ["35047", "35206", "35238"]
    assert all(isinstance(r[1], float) and r[1] > 0 for r in rows)
    total = query(small_ws, "SELECT value FROM published.population WHERE mesh = 'territoire'")[0][0]
    assert total == sum(r[1] for r in rows)  # type: ignore[misc]


def test_second_run_skips_everything(small_ws: Workspace) -> None:
    run(small_ws)
    summary = run(small_ws)
    assert summary.status == "success"
    assert summary.count("skipped") == len(summary.records)
    fetches = query(
        small_ws, "SELECT changed, bytes FROM _territoria.fetches WHERE run_id = ?".replace("?", f"'{summary.run_id}'")
    )
    assert fetches and all(not changed and size == 0 for changed, size in fetches)


def test_a_changed_file_reruns_only_its_downstream(small_ws: Workspace) -> None:
    run(small_ws)
    path = small_ws.root / POP
    path.write_text(path.read_text(encoding="utf-8-sig").replace("35238;Rennes;", "35238;Rennes;1"), encoding="utf-8")
    summary = run(small_ws)
    ran = {r.step for r in summary.records if r.status == "success"}
    assert "ingest:population-communes" in ran
    assert "model:communes" in ran and "indicator:densite_population" in ran
    assert "ingest:contours-communes" not in ran and "model:surface_communes" not in ran


def test_touching_a_file_without_changing_it_costs_no_rebuild(small_ws: Workspace) -> None:
    run(small_ws)
    path = small_ws.root / POP
    path.write_bytes(path.read_bytes())  # new mtime, same content
    summary = run(small_ws)
    assert summary.count("success") == 0


def test_bad_rows_go_to_quarantine_with_reason_and_line(small_ws: Workspace) -> None:
    path = small_ws.root / POP
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines.append("35999;Nulle part;beaucoup;2022")
    lines.append(lines[1])  # duplicate primary key
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run(small_ws)
    ingest = next(r for r in summary.records if r.step == "ingest:population-communes")
    assert ingest.rows_quarantined == 2 and ingest.rows_out == 3
    bad = query(small_ws, 'SELECT _line, _errors, _raw FROM quarantine."population-communes" ORDER BY _line')
    assert bad[0][0] == 5 and bad[0][1] == ["PMUN: type-error (expected integer)"]
    assert json.loads(str(bad[0][2]))["PMUN"] == "beaucoup"
    assert "primary-key" in bad[1][1][0]
    assert ingest.report["reasons"]["PMUN: type-error (expected integer)"] == 1


def test_a_failed_step_publishes_nothing_and_keeps_previous_outputs(small_ws: Workspace) -> None:
    run(small_ws)
    before = query(small_ws, "SELECT * FROM published.population ORDER BY ALL")
    (small_ws.root / POP).write_text("<!DOCTYPE html><html><body>Erreur 502</body></html>", encoding="utf-8")
    summary = run(small_ws)
    assert summary.status == "failed"
    failed = next(r for r in summary.records if r.step == "ingest:population-communes")
    assert failed.status == "failed" and "HTML page" in (failed.error or "")
    blocked = {r.step for r in summary.records if r.status == "blocked"}
    assert "indicator:population" in blocked
    assert query(small_ws, "SELECT * FROM published.population ORDER BY ALL") == before
    # the bad payload itself is kept in the landing area
    fetch = query(
        small_ws,
        "SELECT sha256 FROM _territoria.fetches WHERE run_id = ? AND dataset = 'population-communes'",
        [summary.run_id],
    )
    assert small_ws.landing.has(str(fetch[0][0]))


def test_missing_required_column_is_a_clear_schema_error(small_ws: Workspace) -> None:
    (small_ws.root / POP).write_text("CODGEO;NOM;PMUN;ANNEE\n35238;Rennes;1;2022\n", encoding="utf-8")
    summary = run(small_ws)
    failed = next(r for r in summary.records if r.step == "ingest:population-communes")
    assert "LIBGEO" in (failed.error or "") and "missing" in (failed.error or "")


def test_only_and_force(small_ws: Workspace) -> None:
    run(small_ws)
    summary = run(small_ws, only=["densite_population"], force=True)
    assert {r.step for r in summary.records} == {"indicator:densite_population", "publish:densite_population"}
    assert all(r.status == "success" for r in summary.records)
    with pytest.raises(UserError) as err:
        run(small_ws, only=["densite"])
    assert err.value.hint and "densite_population" in err.value.hint


def test_run_records_and_lineage(small_ws: Workspace) -> None:
    summary = run(small_ws)
    rows = query(
        small_ws,
        "SELECT step, status, input_key, outputs, wall_s, cpu_s FROM _territoria.step_runs WHERE run_id = ?",
        [summary.run_id],
    )
    assert len(rows) == len(summary.records)
    assert all(r[2] and r[4] >= 0 and r[5] >= 0 for r in rows)
    plan = build_plan(small_ws)
    with small_ws.engine() as engine:
        tree = upstream(plan, engine, "densite_population")
    labels = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        labels.append(node.label)
        for c in node.children:
            walk(c)

    walk(tree)
    assert any(label.startswith("population-communes") for label in labels)
    assert any(label.startswith("source:data/population-communes.csv") for label in labels)
    assert any(label.startswith("landing:") for label in labels)
    down = downstream(plan, "population-communes")
    assert any(c.label.startswith("communes") for c in down.children)


def test_status_and_exports(small_ws: Workspace, tmp_path: Path) -> None:
    run(small_ws)
    plan = build_plan(small_ws)
    with small_ws.engine() as engine:
        status = {s.name: s for s in dataset_status(small_ws, engine, plan)}
        assert status["population-communes"].rows == 3 and status["population-communes"].quarantined == 0
        audit = AuditLog(AccessStore(small_ws.private / ACCESS_DB))
        n = export_dataset(plan, engine, "densite_population", "csv", tmp_path / "d.csv", audit=audit)
        export_dataset(plan, engine, "densite_population", "geojson", tmp_path / "d.geojson", audit=audit)
        export_dataset(plan, engine, "densite_population", "parquet", tmp_path / "d.parquet", audit=audit)
        with pytest.raises(UserError):
            export_dataset(plan, engine, "surface_communes", "csv", tmp_path / "x.csv", audit=audit)
        with pytest.raises(UserError) as unknown:
            export_dataset(plan, engine, "densite_population", "csvv", tmp_path / "x.csv", audit=audit)
        assert unknown.value.hint and "csv" in unknown.value.hint
    raw = (tmp_path / "d.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and n == 4
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.split(";")[0] == "Indicateur" and "," in first.split(";")[-2]  # French titles as headers
    geo = json.loads((tmp_path / "d.geojson").read_text(encoding="utf-8"))
    assert sum(1 for f in geo["features"] if f["geometry"]) == 3


def test_dcat_catalog(small_ws: Workspace) -> None:
    doc = dcat_catalog(small_ws, build_plan(small_ws))
    ids = {d["dct:identifier"] for d in doc["dcat:dataset"]}
    assert {"population-communes", "contours-communes", "densite_population"} <= ids
    assert doc["@type"] == "dcat:Catalog"
    derived = next(d for d in doc["dcat:dataset"] if d["dct:identifier"] == "densite_population")
    assert derived["prov:wasDerivedFrom"]


def test_exports_come_in_a_stable_order(small_ws: Workspace, tmp_path: Path) -> None:
    """A published table keeps whatever row order its step produced; its exports are sorted."""
    path = small_ws.root / POP
    header, *rows = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([header, *sorted(rows, reverse=True)]) + "\n", encoding="utf-8")
    run(small_ws)
    plan = build_plan(small_ws)
    with small_ws.engine() as engine:
        assert [r[0] for r in engine.fetch_all('SELECT CODGEO FROM published."population-communes"')] == sorted(
            [r.split(";")[0] for r in rows], reverse=True
        )
        audit = AuditLog(AccessStore(small_ws.private / ACCESS_DB))
        for fmt in ("csv", "parquet"):
            export_dataset(plan, engine, "population-communes", fmt, tmp_path / f"p.{fmt}", audit=audit)
        export_dataset(plan, engine, "communes", "geojson", tmp_path / "c.geojson", audit=audit)
        parquet_codes = [r[0] for r in engine.fetch_all(f"SELECT CODGEO FROM '{tmp_path / 'p.parquet'}'")]
    csv_codes = [line.split(";")[0] for line in (tmp_path / "p.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert csv_codes == parquet_codes == sorted(csv_codes) and len(csv_codes) == 3
    geo = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))
    geo_codes = [f["properties"]["code"] for f in geo["features"]]
    assert geo_codes == sorted(geo_codes) and len(geo_codes) == 3


def test_an_unreadable_source_file_is_a_clear_source_error(
    small_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions cannot be refused to root (the tests' user here): the kernel's refusal is raised where
    the landing copy reads the file, as it would be for a file the process may not read."""
    import shutil

    def refused(src: object, dst: object, **_: object) -> None:
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(shutil, "copyfile", refused)
    summary = run(small_ws)
    failed = next(r for r in summary.records if r.step == "ingest:population-communes")
    assert failed.status == "failed"
    assert "cannot be read: Permission denied" in (failed.error or "") and "internal error" not in (failed.error or "")
    assert "traceback" not in failed.report and not any(small_ws.landing.tmp.iterdir())
