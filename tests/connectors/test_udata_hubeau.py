"""data.gouv.fr (udata) and Hub'Eau against their contract servers, end to end through run_pipeline."""

from __future__ import annotations

from typing import Any

from territoria.workspace import Workspace

from .conftest import FAST, add_source, fetches, run_one, step, table
from .contract.base import Server
from .contract.hubeau import water_rows
from .contract.udata import resource

CSV_2024 = b"code_commune;nb_bornes\n35238;120\n35047;14\n"
CSV_2025 = b"code_commune;nb_bornes\n35238;131\n35047;15\n35206;6\n"
IRVE = {"name": "etalab/schema-irve-statique", "version": "2.3.1"}


def publish(udata: Server, *resources: dict[str, Any]) -> None:
    udata.served.state["datasets"] = {"bornes-irve": {"id": "5448d3e0c751df01f85d0572", "resources": list(resources)}}


def udata_source(udata: Server, **extra: object) -> dict[str, object]:
    return {"kind": "udata", "api": f"{udata.url}/api/1", "dataset": "bornes-irve", "resource_format": "csv"} | {
        **FAST,
        **extra,
    }


def test_udata_current_resource_and_change_detection(small_ws: Workspace, udata: Server) -> None:
    publish(
        udata,
        resource("r-2024", "irve-2024.csv", CSV_2024, "2024-06-01T00:00:00"),
        resource("r-2025", "irve-2025.csv", CSV_2025, "2025-02-01T00:00:00", schema=IRVE),
        resource("r-doc", "notice.pdf", b"%PDF", "2025-03-01T00:00:00"),
    )
    add_source(small_ws, "bornes", udata_source(udata))
    assert step(run_one(small_ws, "bornes"), "bornes").status == "success"
    assert table(small_ws, "bornes", "SELECT count(*) FROM {t}") == [(3,)]
    first = fetches(small_ws, "bornes")[0]
    assert first["headers"]["resource"] == "r-2025" and first["headers"]["schema"] == IRVE

    assert step(run_one(small_ws, "bornes"), "bornes").status == "skipped"
    second = fetches(small_ws, "bornes")[1]
    assert second["status"] == "unchanged (resource checksum and last_modified unchanged)" and second["bytes"] == 0
    assert len(udata.served.hits("/files/")) == 1

    publish(udata, resource("r-2025", "irve-2025.csv", CSV_2025 + b"35001;1\n", "2025-05-01T00:00:00", schema=IRVE))
    assert step(run_one(small_ws, "bornes"), "bornes").status == "success"
    assert table(small_ws, "bornes", "SELECT count(*) FROM {t}") == [(4,)]


def test_udata_checksum_mismatch_lands_nothing(small_ws: Workspace, udata: Server) -> None:
    bad = resource("r-2025", "irve-2025.csv", CSV_2025, "2025-02-01T00:00:00")
    bad["checksum"] = {"type": "sha1", "value": "0" * 40}
    publish(udata, bad)
    add_source(small_ws, "bornes", udata_source(udata))
    rec = step(run_one(small_ws, "bornes"), "bornes")
    assert rec.status == "failed" and "does not match the sha1 checksum" in rec.error
    assert not [p for p in (small_ws.private / "landing").rglob("*") if p.is_file()]


def test_udata_errors(small_ws: Workspace, udata: Server) -> None:
    publish(udata, resource("r-2024", "irve-2024.csv", CSV_2024, "2024-06-01T00:00:00"))
    add_source(small_ws, "bornes", udata_source(udata, dataset="absent"))
    assert "HTTP 404 Not Found: Not Found" in step(run_one(small_ws, "bornes"), "bornes").error
    add_source(small_ws, "bornes", udata_source(udata, resource="nope"))
    error = step(run_one(small_ws, "bornes"), "bornes").error
    assert "no resource of dataset 'bornes-irve' matches nope" in error and "r-2024 (csv: irve-2024.csv)" in error
    udata.served.state["datasets"]["bornes-irve"]["id"] = 42
    add_source(small_ws, "bornes", udata_source(udata))
    error = step(run_one(small_ws, "bornes"), "bornes").error
    assert "not what the data.gouv.fr API documents: `id` should be str, found int" in error


def hubeau_source(server: Server, **extra: object) -> dict[str, object]:
    return {"kind": "hubeau", "api": server.url, "endpoint": "/api/v1/qualite_eau_potable/resultats_dis"} | {
        **FAST,
        **extra,
    }


def test_hubeau_pages_with_206(small_ws: Workspace, hubeau: Server) -> None:
    add_source(small_ws, "eau", hubeau_source(hubeau, query={"code_commune": ["35238", "35047"]}, size=300))
    assert step(run_one(small_ws, "eau"), "eau").status == "success"
    expected = [r for r in water_rows(1234) if r["code_commune"] in ("35238", "35047")]
    assert table(small_ws, "eau", "SELECT count(*) FROM {t}") == [(len(expected),)]
    pages = hubeau.served.hits("/resultats_dis")
    assert [p.query["page"][0] for p in pages] == ["1", "2", "3"]
    nitrates = table(small_ws, "eau", "SELECT resultat_numerique, reseaux FROM {t} WHERE resultat_numerique IS NULL")
    assert nitrates and nitrates[0][1].startswith('[{"code": "035000')

    assert step(run_one(small_ws, "eau"), "eau").status == "skipped"
    assert fetches(small_ws, "eau")[-1]["status"] == "unchanged (same content hash)"


def test_hubeau_depth_limit(small_ws: Workspace, hubeau: Server) -> None:
    hubeau.served.state["endpoints"]["/api/v1/qualite_eau_potable/resultats_dis"] = water_rows(20_001)
    add_source(small_ws, "eau", hubeau_source(hubeau, size=10_000))
    rec = step(run_one(small_ws, "eau"), "eau")
    assert rec.status == "failed" and "20001 results match" in rec.error and "narrow the query" in rec.error
    assert len(hubeau.served.hits("/resultats_dis")) == 1


def test_hubeau_body_not_as_documented(small_ws: Workspace, hubeau: Server) -> None:
    hubeau.served.state["endpoints"]["/api/v1/other"] = []
    add_source(small_ws, "eau", hubeau_source(hubeau, endpoint="/api/v1/absent"))
    rec = step(run_one(small_ws, "eau"), "eau")
    assert "HTTP 404" in rec.error and "Unknown endpoint /api/v1/absent" in rec.error
