"""Derive the compact national referential shipped in the package.

Run by a maintainer when the referential is refreshed (never at run time):

    python scripts/build_reference.py ../shared/data

Reads the Etalab découpage administratif JSON (MIT) and the IGN Admin Express 2018
commune boundaries (Licence Ouverte) and writes Parquet files plus ``vintages.json``
into ``src/territoria/reference/data``.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import shape

OUT = Path(__file__).resolve().parents[1] / "src" / "territoria" / "reference" / "data"
# 5 decimals of a degree is about 1 m: the 2018 boundaries are simplified well beyond that.
PRECISION = 1e-5


def main(shared: Path) -> None:
    ref = shared / "reference"
    communes = json.loads((ref / "communes.json").read_text(encoding="utf-8"))
    epcis = json.loads((ref / "epci.json").read_text(encoding="utf-8"))
    departements = json.loads((ref / "departements.json").read_text(encoding="utf-8"))
    regions = json.loads((ref / "regions.json").read_text(encoding="utf-8"))

    epci_of: dict[str, str] = {}
    for e in epcis:
        for m in e["membres"]:
            epci_of[m["code"]] = e["code"]
    dep_name = {d["code"]: d["nom"] for d in departements}
    reg_name = {r["code"]: r["nom"] for r in regions}

    current = [c for c in communes if c["type"] == "commune-actuelle"]
    # Delegated and associated communes point at their chef-lieu: their 2018 shapes are
    # pieces of the current commune when the merger happened after 2018.
    pieces: dict[str, set[str]] = {}
    for c in communes:
        if c["type"] in ("commune-deleguee", "commune-associee"):
            pieces.setdefault(c["chefLieu"], set()).add(c["code"])
    for c in current:
        pieces.setdefault(c["code"], set()).update(c.get("anciensCodes", []))
        pieces[c["code"]].add(c["code"])

    pq.write_table(
        pa.table(
            {
                "code": [c["code"] for c in current],
                "nom": [c["nom"] for c in current],
                "departement": [c.get("departement") for c in current],
                "departement_nom": [dep_name.get(c.get("departement", "")) for c in current],
                "region": [c.get("region") for c in current],
                "region_nom": [reg_name.get(c.get("region", "")) for c in current],
                "zone": [c["zone"] for c in current],
                "siren": [c.get("siren") for c in current],
                "epci": [epci_of.get(c["code"]) for c in current],
                "population": pa.array([c.get("population") for c in current], pa.int64()),
                "anciens_codes": [sorted(pieces[c["code"]] - {c["code"]}) for c in current],
            }
        ),
        OUT / "communes.parquet",
        compression="zstd",
    )
    pq.write_table(
        pa.table(
            {
                "siren": [e["code"] for e in epcis],
                "nom": [e["nom"] for e in epcis],
                "nature": [e["type"] for e in epcis],
                "mode_financement": [e.get("modeFinancement") for e in epcis],
                "population": pa.array([e.get("populationMunicipale") for e in epcis], pa.int64()),
                "membres": [[m["code"] for m in e["membres"]] for e in epcis],
            }
        ),
        OUT / "epci.parquet",
        compression="zstd",
    )

    with gzip.open(shared / "geo" / "communes-2018.geojson.gz", "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    geom_2018 = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    codes, wkbs, methods, sources = [], [], [], []
    missing = []
    for c in current:
        found = sorted(p for p in pieces[c["code"]] if p in geom_2018)
        if not found:
            missing.append({"code": c["code"], "nom": c["nom"], "zone": c["zone"]})
            continue
        parts = [geom_2018[p] for p in found]
        geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        geom = shapely.make_valid(shapely.set_precision(geom, PRECISION))
        codes.append(c["code"])
        wkbs.append(shapely.to_wkb(geom))
        methods.append("ign-2018" if found == [c["code"]] else "union-2018-pieces")
        sources.append(found)
    geo_meta = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon", "MultiPolygon"], "crs": None}},
    }
    table = pa.table(
        {"code": codes, "geometry": pa.array(wkbs, pa.binary()), "method": methods, "source_codes": sources}
    )
    table = table.replace_schema_metadata({b"geo": json.dumps(geo_meta).encode()})
    pq.write_table(table, OUT / "communes_geom.parquet", compression="zstd", compression_level=19)

    vintages = {
        "communes": {
            "name": "Découpage administratif (communes, EPCI, départements, régions)",
            "vintage": "2025",
            "version": "@etalab/decoupage-administratif 6.0.0",
            "producer": "INSEE, via Etalab",
            "licence": "MIT",
            "counts": {"communes": len(current), "epci": len(epcis)},
        },
        "boundaries": {
            "name": "Contours des communes (IGN Admin Express simplifié)",
            "vintage": "2018",
            "producer": "IGN, via france-geojson",
            "licence": "Licence Ouverte / Open Licence",
            "crs": "EPSG:4326",
            "counts": {
                "with_boundary": len(codes),
                "reconstructed": methods.count("union-2018-pieces"),
                "missing": len(missing),
            },
        },
        "communes_without_boundary": missing,
    }
    (OUT / "vintages.json").write_text(json.dumps(vintages, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v.get("counts") for k, v in vintages.items() if isinstance(v, dict)}))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
