"""Core code finds datasets by the role their catalog entry declares, never by name: a
workspace whose boundaries are called something else still gets maps, OGC and GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import yaml
from api_support import LiveServer

from territoria.api import create_app
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.pipelines import build_plan, run_pipeline
from territoria.publication.export import export_dataset
from territoria.workspace import Workspace

RENAMED = "limites-communales"


def _rename_boundaries(ws: Workspace) -> None:
    """The boundaries under another id; the old entry stays, with no role, as plain data."""
    old = ws.sources_dir / "contours-communes.yaml"
    entry = yaml.safe_load(old.read_text(encoding="utf-8"))
    assert entry.pop("role") == "boundaries"
    old.write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    renamed = {**entry, "identifier": RENAMED, "title": "Limites communales", "role": "boundaries"}
    (ws.sources_dir / f"{RENAMED}.yaml").write_text(yaml.safe_dump(renamed, allow_unicode=True), encoding="utf-8")


def test_boundaries_are_found_by_role(small_ws: Workspace, tmp_path: Path) -> None:
    _rename_boundaries(small_ws)
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
        assert summary.status == "success" and summary.publication
        audit = AuditLog(AccessStore(small_ws.private / ACCESS_DB))
        export_dataset(build_plan(small_ws), engine, "communes", "geojson", tmp_path / "c.geojson", audit=audit)
    cli_geo = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))
    assert sum(1 for f in cli_geo["features"] if f["geometry"]) == 3
    with LiveServer(create_app(small_ws.root)) as live, httpx.Client(base_url=live.url, timeout=30) as api:
        geo = api.get("/api/geo/communes").json()
        assert len([f for f in geo["features"] if f["geometry"]]) == 3
        assert {f["properties"]["nom"] for f in geo["features"]} >= {"Rennes"}
        ids = {c["id"] for c in api.get("/ogc/collections").json()["collections"]}
        assert RENAMED in ids and "contours-communes" not in ids and "densite_population" in ids
        items = api.get(f"/ogc/collections/{RENAMED}/items").json()
        assert items["numberMatched"] == 3
        r = api.get("/api/datasets/communes/export", params={"format": "geojson"})
        assert sum(1 for f in r.json()["features"] if f["geometry"]) == 3


def test_two_datasets_cannot_hold_one_role(small_ws: Workspace) -> None:
    _rename_boundaries(small_ws)
    old = small_ws.sources_dir / "contours-communes.yaml"
    old.write_text(old.read_text(encoding="utf-8") + "role: boundaries\n", encoding="utf-8")
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
    # the run itself succeeds; publishing says which entries to fix
    assert summary.status == "success" and summary.publication is None
    assert summary.publication_error and "contours-communes, limites-communales" in summary.publication_error
