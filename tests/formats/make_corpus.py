"""Write the small good and bad input files of ``tests/formats/corpus/`` (committed; rerun to refresh).

.venv/bin/python tests/formats/make_corpus.py
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from territoria.engines.duckdb.engine import DuckDBEngine

CORPUS = Path(__file__).parent / "corpus"

HEADER = "code_commune;libelle;annee;conso_mwh;nb_sites\n"
ROWS = [
    "35238;Rennes;2022;1234,5;120\n",
    "35047;Bruz;2022;s;3\n",
    "35206;Pacé;2022;87,25;14\n",
    "35051;Cesson-Sévigné;2022;nd;2\n",
]
GOOD = HEADER + "".join(ROWS)
L93_SQUARE = "POLYGON((351000 6789000, 351100 6789000, 351100 6789100, 351000 6789100, 351000 6789000))"
BOWTIE = "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"


def feature(props: dict[str, object], geometry: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(ring: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [ring]}


def csv_files() -> dict[str, bytes]:
    return {
        "good.csv": GOOD.encode("utf-8"),
        "good_bom.csv": b"\xef\xbb\xbf" + GOOD.encode("utf-8"),
        "good_cp1252.csv": (GOOD.replace("Rennes", "Rennes – cœur (€)")).encode("cp1252"),
        "good_comma.csv": GOOD.replace(",", ".").replace(";", ",").encode("utf-8"),
        "html_instead_of_csv.csv": b"<!DOCTYPE html>\n<html><head><title>503</title></head>"
        b"<body>Service temporairement indisponible</body></html>\n",
        "empty.csv": b"",
        "truncated_mid_line.csv": (HEADER + "".join(ROWS[:3]) + "35051;Cesson").encode("utf-8"),
        "truncated_mid_quote.csv": (HEADER + "".join(ROWS[:3]) + '35051;"Cesson-Sé').encode("utf-8"),
        "duplicate_headers.csv": ("code_commune;libelle;annee;conso_mwh;annee\n" + "".join(ROWS)).encode("utf-8"),
        "missing_header.csv": "".join(ROWS).encode("utf-8"),
        "type_changed.csv": (HEADER + "".join(r.replace("1234,5", "élevé").replace("87,25", "faible") for r in ROWS))
        .replace("s;3", "moyen;3")
        .replace("nd;2", "bas;2")
        .encode("utf-8"),
        "wrong_encoding.csv": GOOD.encode("cp1252"),
        "ragged.csv": (
            HEADER + ROWS[0] + "35047;Bruz;2022\n" + ROWS[2] + "35051;Cesson;2022;1,5;2;extra\n" + ROWS[3]
        ).encode("utf-8"),
        "wrong_delimiter.csv": (HEADER + "".join(r.replace(";", "|", 2) for r in ROWS)).encode("utf-8"),
    }


def zipped(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


def compressed_and_volume_files() -> dict[str, bytes]:
    """Compressed payloads (told by their bytes, whatever the name) and files that lost their rows."""
    return {
        "good.csv.gz": gzip.compress(GOOD.encode("utf-8"), mtime=0),
        "good.csv.bz2": bz2.compress(GOOD.encode("utf-8")),
        "good_csv.zip": zipped({"conso/LISEZMOI.md": "notice", "conso/conso.csv": GOOD}),
        # 4 MiB of zeros in 4 KiB: inflated past a lowered cap
        "bomb.csv.gz": gzip.compress(b"0" * (4 << 20), mtime=0),
        "truncated.csv.gz": gzip.compress(GOOD.encode("utf-8") * 50, mtime=0)[:-12],
        "several_csv.zip": zipped({"2021.csv": GOOD, "2022.csv": GOOD}),
        "readme_only.zip": zipped({"LISEZMOI.md": "données indisponibles"}),
        "header_only.csv": HEADER.encode("utf-8"),
        "one_row.csv": (HEADER + ROWS[0]).encode("utf-8"),
        "unknown_commune.csv": (HEADER + "".join(ROWS[:3]) + "99999;Nulle part;2022;1,5;1\n").encode("utf-8"),
        "all_unknown_communes.csv": (HEADER + "".join("9999" + str(i) + r[5:] for i, r in enumerate(ROWS))).encode(),
    }


def geojson_files() -> dict[str, bytes]:
    square = polygon([[-1.70, 48.10], [-1.69, 48.10], [-1.69, 48.11], [-1.70, 48.11], [-1.70, 48.10]])
    bowtie = polygon([[-1.70, 48.10], [-1.69, 48.11], [-1.69, 48.10], [-1.70, 48.11], [-1.70, 48.10]])
    good = {"type": "FeatureCollection", "features": [feature({"code": "A", "surface": 1.5}, square)]}
    invalid = {
        "type": "FeatureCollection",
        "features": [feature({"code": "A", "surface": 1.5}, square), feature({"code": "B", "surface": 2.0}, bowtie)],
    }
    legacy_l93 = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        "features": [feature({"code": "A"}, {"type": "Point", "coordinates": [351000.0, 6789000.0]})],
    }
    return {
        "good.geojson": json.dumps(good).encode(),
        "invalid_geometries.geojson": json.dumps(invalid).encode(),
        "legacy_l93.geojson": json.dumps(legacy_l93).encode(),
        "not_feature_collection.geojson": json.dumps({"error": "dataset not found", "status": 404}).encode(),
        "single_feature.geojson": json.dumps(feature({"code": "A"}, square)).encode(),
        # valid JSON nested 5 000 deep: Python's parser hits its recursion limit
        "deep_nesting.geojson": b'{"type": "FeatureCollection", "features": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    }


def shapefile_zip(engine: DuckDBEngine, tmp: Path, wkts: list[str]) -> bytes:
    shp = tmp / "parcelles.shp"
    selects = (f"SELECT {i} AS id, 'p{i}' AS nom, ST_GeomFromText('{w}') AS geom" for i, w in enumerate(wkts))
    values = " UNION ALL ".join(selects)
    engine.execute(f"COPY ({values}) TO '{shp}' WITH (FORMAT gdal, DRIVER 'ESRI Shapefile', SRS 'EPSG:2154')")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in sorted(tmp.glob("parcelles.*")):
            zf.write(part, f"parcelles/{part.name}")
            part.unlink()
    return buf.getvalue()


def other_files(tmp: Path) -> dict[str, bytes]:
    engine = DuckDBEngine(None)
    files = {"good_l93_shp.zip": shapefile_zip(engine, tmp, [L93_SQUARE, L93_SQUARE.replace("351", "352")])}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("LISEZMOI.txt", "données indisponibles")
    files["no_shp.zip"] = buf.getvalue()
    out = tmp / "p.parquet"
    engine.execute(
        f"COPY (SELECT '35238' AS code_commune, 1234.5 AS conso_mwh, DATE '2022-01-01' AS jour "
        f"UNION ALL SELECT '35047', NULL, DATE '2022-01-02') TO '{out}' (FORMAT parquet)"
    )
    files["good.parquet"] = out.read_bytes()
    engine.execute(
        f"COPY (SELECT 'A' AS code, ST_GeomFromText('{L93_SQUARE}') AS geom UNION ALL "
        f"SELECT 'B', ST_GeomFromText('{BOWTIE}')) TO '{out}' (FORMAT parquet)"
    )
    files["l93_bowtie.geoparquet"] = out.read_bytes()
    out.unlink()
    engine.close()
    files["good.xlsx"] = workbook()
    return files


def workbook() -> bytes:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["Consommations annuelles — source : Enedis"])
    data = book.create_sheet("Données")
    data.append(["Consommation d'électricité par commune"])
    data.append([])
    data.append(["code_commune", "libelle", "annee", "conso_mwh", "maj"])
    data.append(["35238", "Rennes", 2022, 1234.5, date(2023, 6, 30)])
    data.append(["35047", "Bruz", 2022, "s", date(2023, 6, 30)])
    data.append(["35206", "Pacé", 2022, 87.25, date(2023, 6, 30)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    tmp = CORPUS / ".tmp"
    tmp.mkdir(exist_ok=True)
    files = {**csv_files(), **compressed_and_volume_files(), **geojson_files(), **other_files(tmp)}
    tmp.rmdir()
    for name, content in files.items():
        (CORPUS / name).write_bytes(content)
    print(f"{len(files)} files in {CORPUS}")


if __name__ == "__main__":
    main()
