"""XLSX, GeoJSON, zipped Shapefile, Parquet and GeoParquet readers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine

from .support import CORPUS, SourceFactory, ingest

XLSX_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "code_commune", "constraints": {"required": True}},
        {"name": "libelle"},
        {"name": "annee", "type": "year"},
        {"name": "conso_mwh", "type": "number", "decimalChar": ",", "secretValues": ["s"]},
        {"name": "maj", "type": "date", "format": "%d/%m/%Y"},
    ]
}


def centroid(engine: Engine, wkb: bytes) -> tuple[float, float]:
    row = engine.fetch_all("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_GeomFromWKB(?)) AS c)", [wkb])[0]
    return float(row[0]), float(row[1])


def test_xlsx_sheet_and_header_row(engine: Engine, tmp_path: Path) -> None:
    out = ingest(engine, CORPUS / "good.xlsx", tmp_path, "xlsx", {"sheet": "Données", "header_row": 2}, XLSX_SCHEMA)
    assert out.quarantine == []
    rennes = out.staging[0]
    assert rennes[:4] == ("35238", "Rennes", 2022, 1234.5)
    assert str(rennes[5]) == "2023-06-30"  # a date cell arrives as ISO and still parses with a `format`
    assert out.staging[1][3] is None and out.staging[1][4] is True  # `s` in a spreadsheet is masked too
    by_position = ingest(engine, CORPUS / "good.xlsx", tmp_path, "xlsx", {"sheet": 1, "header_row": 2})
    assert by_position.staging[2] == ("35206", "Pacé", "2022", "87.25", "2023-06-30")


def test_xlsx_line_numbers_are_sheet_rows(engine: Engine, tmp_path: Path) -> None:
    conso = {"name": "conso_mwh", "type": "number", "secretValues": ["s"], "constraints": {"maximum": 100}}
    schema = {"fields": [*XLSX_SCHEMA["fields"][:3], conso]}
    out = ingest(engine, CORPUS / "good.xlsx", tmp_path, "xlsx", {"sheet": "Données", "header_row": 2}, schema)
    assert [(q[0], q[2]) for q in out.quarantine] == [(4, ["conso_mwh: maximum 100.0"])]


def test_xlsx_bad_options(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no sheet 'Data'") as err:
        ingest(engine, CORPUS / "good.xlsx", tmp_path, "xlsx", {"sheet": "Data"})
    assert "Données" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="no sheet #5"):
        ingest(engine, CORPUS / "good.xlsx", tmp_path, "xlsx", {"sheet": 5})
    with pytest.raises(DataError, match=r"looks like data|without a name"):
        ingest(engine, CORPUS / "good.xlsx", tmp_path, "xlsx", {"sheet": "Données", "header_row": 3})


def test_geojson_feature_collection(engine: Engine, tmp_path: Path) -> None:
    out = ingest(engine, CORPUS / "good.geojson", tmp_path, "geojson")
    assert out.columns == ["code", "surface", "geom"]
    assert out.staging[0][:2] == ("A", 1.5)
    assert centroid(engine, out.staging[0][2]) == pytest.approx((-1.695, 48.105), abs=1e-6)


def test_legacy_geojson_crs_member_is_honoured(engine: Engine, tmp_path: Path) -> None:
    out = ingest(engine, CORPUS / "legacy_l93.geojson", tmp_path, "geojson")
    assert out.notes["geometry"]["geom"]["crs"] == "EPSG:2154"
    assert centroid(engine, out.staging[0][1]) == pytest.approx((-1.6919, 48.1080), abs=1e-3)


def test_invalid_geometries_repaired_and_counted(engine: Engine, tmp_path: Path) -> None:
    schema = {"fields": [{"name": "code"}, {"name": "geom", "type": "geometry"}]}
    out = ingest(engine, CORPUS / "invalid_geometries.geojson", tmp_path, "geojson", {}, schema)
    assert out.stats["geometries_repaired"] == 1
    assert len(out.staging) == 2 and out.quarantine == []
    valid = engine.fetch_all(
        "SELECT bool_and(ST_IsValid(ST_GeomFromWKB(g))) FROM unnest(?) t(g)", [[r[1] for r in out.staging]]
    )
    assert valid == [(True,)]


def test_invalid_geometries_quarantined_with_reason(engine: Engine, tmp_path: Path) -> None:
    read = {"invalid_geometries": "quarantine"}
    out = ingest(engine, CORPUS / "invalid_geometries.geojson", tmp_path, "geojson", read)
    assert [r[0] for r in out.staging] == ["A"]
    assert out.quarantine[0][0] == 2 and out.quarantine[0][2] == ["geom: invalid geometry"]
    assert '"code":"B"' in out.quarantine[0][1]


def test_zipped_shapefile_in_lambert93_is_reprojected(engine: Engine, tmp_path: Path) -> None:
    out = ingest(engine, CORPUS / "good_l93_shp.zip", tmp_path, "shapefile")
    assert out.notes["geometry"]["geom"] == {"crs": "EPSG:2154", "reprojected": True}
    assert out.columns == ["id", "nom", "geom"]
    assert centroid(engine, out.staging[0][2]) == pytest.approx((-1.6913, 48.1084), abs=1e-3)


def test_shapefile_zip_problems(engine: Engine, tmp_path: Path) -> None:
    src = zipfile.ZipFile(CORPUS / "good_l93_shp.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in src.namelist():
            if not name.endswith(".dbf"):
                zf.writestr(name, src.read(name))
            zf.writestr(name.replace("parcelles", "autres"), src.read(name))
    path = tmp_path / "two.zip"
    path.write_bytes(buf.getvalue())
    with pytest.raises(ConfigError, match="several Shapefiles"):
        ingest(engine, path, tmp_path, "shapefile")
    with pytest.raises(DataError, match=r"without its \.dbf"):
        ingest(engine, path, tmp_path, "shapefile", {"layer": "parcelles"})
    assert len(ingest(engine, path, tmp_path, "shapefile", {"layer": "autres"}).staging) == 2


def test_parquet_typed_columns(engine: Engine, tmp_path: Path) -> None:
    schema = {
        "fields": [{"name": "code_commune"}, {"name": "conso_mwh", "type": "number"}, {"name": "jour", "type": "date"}]
    }
    out = ingest(engine, CORPUS / "good.parquet", tmp_path, "parquet", {}, schema)
    assert [(r[0], r[1], str(r[2])) for r in out.staging] == [
        ("35238", 1234.5, "2022-01-01"),
        ("35047", None, "2022-01-02"),
    ]


def test_geoparquet_declared_crs_and_repair(engine: Engine, tmp_path: Path) -> None:
    # The file carries no CRS the reader trusts for the bow-tie square: the declared one applies.
    out = ingest(engine, CORPUS / "l93_bowtie.geoparquet", tmp_path, "geoparquet", {"crs": "EPSG:2154"})
    assert out.notes["geometry"]["geom"]["reprojected"] is True
    assert centroid(engine, out.staging[0][1]) == pytest.approx((-1.6913, 48.1084), abs=1e-3)


def test_geoparquet_quarantine_policy_and_bad_policy(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="out of the WGS84 range"):
        ingest(engine, CORPUS / "l93_bowtie.geoparquet", tmp_path, "geoparquet")
    with pytest.raises(ConfigError, match="not a policy"):
        ingest(engine, CORPUS / "good.geojson", tmp_path, "geojson", {"invalid_geometries": "drop"})


def test_pipeline_reports_repairs_and_reprojection(make_source: SourceFactory) -> None:
    src = make_source("invalid_geometries.geojson", fmt="geojson")
    summary = src.run()
    assert summary.status == "success"
    report = summary.records[0].report
    assert report["geometries_repaired"] == 1
    assert report["reader"]["geometry"]["geom"]["crs"] == "EPSG:4326"
