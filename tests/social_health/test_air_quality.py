"""A real Opendatasoft v1 records payload (Atmo Nouvelle-Aquitaine's stations in Poitiers, via
Grand Poitiers' portal) read by the `ods-records-v1` reader and turned into annual means per
station and the exposure of Poitiers, with honest completeness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from territoria.connectors.formats.ods_records import read_ods_records_v1
from territoria.core.errors import DataError
from territoria.workspace import Workspace

from .conftest import AIR_PAYLOAD


def test_the_records_payload_loads(loaded: tuple[Workspace, dict[str, str]]) -> None:
    ws, statuses = loaded
    assert statuses["ingest:qualite-air-mesures"] == "success"
    records = json.loads(AIR_PAYLOAD.read_text(encoding="utf-8"))
    with ws.engine() as engine:
        rows = engine.fetch_all(
            'SELECT count(*), count(DISTINCT cd_sttn), min(id_com) FROM staging."qualite-air-mesures"'
        )
        assert rows == [(len(records), 4, "86194")]
        # the record's geometry gives the station's coordinates
        assert engine.fetch_all(
            "SELECT longitude, latitude FROM staging.\"qualite-air-mesures\" WHERE cd_sttn = 'FR09015' LIMIT 1"
        ) == [(pytest.approx(0.358583), pytest.approx(46.586918))]


def test_annual_means_say_how_much_of_the_year_they_cover(loaded: tuple[Workspace, dict[str, str]]) -> None:
    ws, statuses = loaded
    assert statuses["publish:air_concentration_stations"] == "success"
    with ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT code, period, polluant, value, valide, completeness, origine "
            "FROM published.air_concentration_stations"
        )
        by_key = {(r[0], r[1], r[2]): r[3:] for r in rows}
        # the AASQA's own annual means (2015) are taken as published; the one it marked invalid
        # (sttt_vl 0, no value: Porte de Paris) is left out, not read as zero
        pm10 = {s: v for (s, year, pol), v in by_key.items() if year == 2015 and pol == "PM10"}
        assert set(pm10) == {"FR09015", "FR09402", "FR09404"}
        assert sorted(v[0] for v in pm10.values()) == [16.0, 20.0, 27.0]
        assert all(v[1] and v[2] == 1.0 and "AASQA" in v[3] for v in pm10.values())
        # eight hourly values of 2019 are not an annual mean: published, flagged not valid
        no2 = by_key[("FR09015", 2019, "NO2")]
        assert no2[1] is False and no2[2] == pytest.approx(8 / 8760)
        # Poitiers' exposure uses the valid means only; the 2019 NO2 of a few hours gives nothing
        exposure = dict(
            engine.fetch_all(
                "SELECT polluant || ':' || period, value FROM published.air_exposition_communes "
                "WHERE mesh = 'commune' AND code = '86194'"
            )
        )
    assert exposure["PM10:2015"] == pytest.approx(21.0)  # (16 + 27 + 20) / 3
    assert exposure.get("NO2:2019") is None


def test_a_file_that_is_not_a_records_payload_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text(json.dumps({"results": [{"a": 1}]}), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_ods_records_v1(None, bad, {}, tmp_path)  # type: ignore[arg-type]  # refused before the engine is used
    assert "records" in err.value.message and "csv" in (err.value.hint or "")


def test_synthetic_stations_are_placed_like_a_portal_places_them(tmp_path: Path) -> None:
    """The demo's synthetic payload carries what the real one does (geometry, Lambert-93, record
    timestamp), so the demo loads without a warning; the Lambert-93 formulas agree with the
    coordinates the real portal publishes for every one of its stations."""
    from territoria.usecases.social_health.synthetic_air import MEASURES_FILE, lambert93, write_station_measures

    real = json.loads(AIR_PAYLOAD.read_text(encoding="utf-8"))
    for record in real[:50]:
        lon, lat = record["geometry"]["coordinates"]
        x, y = lambert93(lon, lat)
        assert abs(x - record["fields"]["x_l93"]) < 0.05 and abs(y - record["fields"]["y_l93"]) < 0.05

    write_station_measures(tmp_path, ["35238", "35047"])
    synthetic = json.loads((tmp_path / MEASURES_FILE).read_text(encoding="utf-8"))
    first = synthetic[0]
    assert set(real[0]) >= set(first) >= {"recordid", "fields", "geometry", "record_timestamp"}
    lon, lat = first["geometry"]["coordinates"]
    assert (first["fields"]["x_l93"], first["fields"]["y_l93"]) == lambert93(lon, lat)
    assert -1.76 < lon < -1.62 and 48.07 < lat < 48.16  # inside Rennes
