"""CSV reader options and encodings, checked through the reader and the Table Schema validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine

from .support import CONSO_SCHEMA, CORPUS, ingest

RENNES_L93 = (351000.0, 6789000.0)


def write(tmp_path: Path, content: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("file", "encoding", "delimiter"),
    [
        ("good.csv", "utf-8", ";"),
        ("good_bom.csv", "utf-8-sig", ";"),
        ("good_cp1252.csv", "cp1252", ";"),
    ],
)
def test_encodings_and_secret_markers(engine: Engine, tmp_path: Path, file: str, encoding: str, delimiter: str) -> None:
    out = ingest(engine, CORPUS / file, tmp_path, schema=CONSO_SCHEMA)
    assert out.notes["encoding"] == encoding
    assert out.notes["delimiter"] == delimiter
    assert out.columns == ["code_commune", "libelle", "annee", "conso_mwh", "conso_mwh_secret", "nb_sites"]
    assert out.quarantine == []
    by_code = {row[0]: row for row in out.staging}
    assert by_code["35238"][3] == 1234.5 and by_code["35238"][4] is False
    # `s` and `nd` are masked values, not parse errors
    assert by_code["35047"][3] is None and by_code["35047"][4] is True
    assert by_code["35051"][3] is None and by_code["35051"][4] is True
    assert by_code["35206"][1] == "Pacé"
    if encoding == "cp1252":
        assert by_code["35238"][1] == "Rennes – cœur (€)"


def test_comma_separated_with_decimal_point(engine: Engine, tmp_path: Path) -> None:
    schema: dict[str, Any] = {
        "fields": [{**f, "decimalChar": "."} if f["name"] == "conso_mwh" else f for f in CONSO_SCHEMA["fields"]]
    }
    out = ingest(engine, CORPUS / "good_comma.csv", tmp_path, schema=schema)
    assert out.notes["delimiter"] == ","
    assert sorted(r[3] for r in out.staging if r[3] is not None) == [87.25, 1234.5]


def test_declared_encoding_and_delimiter(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "nom|valeur\nÉcole|1 234,5\n".encode("latin-1"))
    schema = {"fields": [{"name": "nom"}, {"name": "valeur", "type": "number", "decimalChar": ",", "groupChar": " "}]}
    out = ingest(engine, path, tmp_path, read={"encoding": "ISO-8859-1", "delimiter": "|"}, schema=schema)
    assert out.staging == [("École", 1234.5)]
    assert out.notes["encoding"] == "latin-1"


def test_cp1252_detected_when_sample_is_plain_ascii(engine: Engine, tmp_path: Path) -> None:
    # The sniffed sample is pure ASCII; the first accent comes after it, so DuckDB sees a bad byte.
    body = "a;b\n" + "x;1\n" * 20000 + "œuvre;2\n"
    path = write(tmp_path, body.encode("cp1252"))
    with pytest.raises(DataError, match="not valid utf-8") as err:
        ingest(engine, path, tmp_path)
    assert "read.encoding" in (err.value.hint or "")
    out = ingest(engine, path, tmp_path, read={"encoding": "windows-1252"})
    assert out.staging[-1] == ("œuvre", "2")


def test_header_row_skips_title_lines(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, b"Consommations 2022\nSource : Enedis\ncode;valeur\n35238;1\n35047;2\n")
    out = ingest(engine, path, tmp_path, read={"header_row": 2})
    assert out.staging == [("35238", "1"), ("35047", "2")]
    schema = {"fields": [{"name": "code"}, {"name": "valeur", "type": "integer", "constraints": {"maximum": 1}}]}
    out = ingest(engine, path, tmp_path, read={"header_row": 2}, schema=schema)
    assert out.quarantine[0][0] == 5  # the file's line number
    assert out.quarantine[0][2] == ["valeur: maximum 1.0"]


def test_headerless_file_with_declared_columns(engine: Engine, tmp_path: Path) -> None:
    out = ingest(
        engine,
        CORPUS / "missing_header.csv",
        tmp_path,
        read={"header": False, "columns": ["code_commune", "libelle", "annee", "conso_mwh", "nb_sites"]},
        schema=CONSO_SCHEMA,
    )
    assert len(out.staging) == 4 and out.quarantine == []
    with pytest.raises(ConfigError, match=r"read\.columns"):
        ingest(engine, CORPUS / "missing_header.csv", tmp_path, read={"header": False})


def test_ragged_rows_go_to_quarantine_with_their_line(engine: Engine, tmp_path: Path) -> None:
    out = ingest(engine, CORPUS / "ragged.csv", tmp_path, schema=CONSO_SCHEMA)
    assert [r[0] for r in out.staging] == ["35238", "35206", "35051"]
    lines = [(q[0], q[1]) for q in out.quarantine]
    assert lines == [(3, "35047;Bruz;2022"), (5, "35051;Cesson;2022;1,5;2;extra")]
    assert "wrong number of fields" in out.quarantine[0][2][0]
    assert out.stats["rows_in"] == 5 and out.stats["rows_quarantined"] == 2


def test_line_numbers_stay_right_after_ragged_rows(engine: Engine, tmp_path: Path) -> None:
    body = "code;n\n1;1\n2\n3;3\n4;4;4\n5;x\n6;6\n7\n8;y\n"
    schema = {"fields": [{"name": "code"}, {"name": "n", "type": "integer"}]}
    out = ingest(engine, write(tmp_path, body.encode()), tmp_path, schema=schema)
    by_line = {q[0]: (q[1], q[2]) for q in out.quarantine}
    assert sorted(by_line) == [3, 5, 6, 8, 9]
    assert '"x"' in by_line[6][0] and by_line[6][1] == ["n: type-error (expected integer)"]
    assert '"y"' in by_line[9][0]
    assert [r[0] for r in out.staging] == ["1", "3", "6"]


def test_crlf_quotes_and_embedded_separators(engine: Engine, tmp_path: Path) -> None:
    body = 'code;libelle\r\n35238;"Rennes; ville-centre"\r\n35047;"Bruz ""la belle"""\r\n'
    out = ingest(engine, write(tmp_path, body.encode()), tmp_path)
    assert out.staging == [("35238", "Rennes; ville-centre"), ("35047", 'Bruz "la belle"')]


def test_lambert93_coordinates_become_wgs84_points(engine: Engine, tmp_path: Path) -> None:
    body = f"id;x_l93;y_l93\nA;{RENNES_L93[0]:.1f};{RENNES_L93[1]:.1f}\nB;351000,5;6789000,5\nC;;\n".encode()
    schema = {"fields": [{"name": "id"}, {"name": "geom", "type": "geometry"}]}
    read = {"x": "x_l93", "y": "y_l93", "crs": "2154"}
    out = ingest(engine, write(tmp_path, body), tmp_path, read=read, schema=schema)
    assert out.notes["geometry"]["geom"] == {"crs": "EPSG:2154", "reprojected": True}
    xy = engine.fetch_all("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_GeomFromWKB(?) AS g)", [out.staging[0][1]])[0]
    assert xy[0] == pytest.approx(-1.6919, abs=1e-3) and xy[1] == pytest.approx(48.108, abs=1e-3)
    assert len(out.staging) == 3 and out.staging[2][1] is None


def test_undeclared_projected_coordinates_are_refused(engine: Engine, tmp_path: Path) -> None:
    body = f"id;x;y\nA;{RENNES_L93[0]};{RENNES_L93[1]}\n".encode()
    with pytest.raises(DataError, match="out of the WGS84 range") as err:
        ingest(engine, write(tmp_path, body), tmp_path, read={"x": "x", "y": "y"})
    assert "EPSG:2154" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="must name two columns"):
        ingest(engine, write(tmp_path, body), tmp_path, read={"x": "lon", "y": "y"})
    with pytest.raises(ConfigError, match="not a CRS name"):
        ingest(engine, write(tmp_path, body), tmp_path, read={"x": "x", "y": "y", "crs": "lambert"})


def test_bad_rows_are_kept_with_reasons_and_raw_values(engine: Engine, tmp_path: Path) -> None:
    body = (
        "code_commune;libelle;annee;conso_mwh;nb_sites\n"
        "35238;Rennes;2022;1,5;-1\nXX;Bruz;22022;abc;2\n35238;Dup;2022;1;1\n"
    )
    out = ingest(engine, write(tmp_path, body.encode()), tmp_path, schema=CONSO_SCHEMA)
    reasons = {q[0]: q[2] for q in out.quarantine}
    assert reasons[2] == ["nb_sites: minimum 0.0"]
    assert reasons[3] == [
        "code_commune: pattern",
        "annee: type-error (expected year)",
        "conso_mwh: type-error (expected number)",
    ]
    # the first valid 35238 line was line 2, which failed; line 4 is then the only valid one
    assert [r[1] for r in out.staging] == ["Dup"]
    assert '"libelle":"Bruz"' in dict((q[0], q[1]) for q in out.quarantine)[3]


def test_duplicate_primary_key_keeps_the_first(engine: Engine, tmp_path: Path) -> None:
    body = "code_commune;libelle;annee;conso_mwh;nb_sites\n35238;A;2022;1;1\n35047;B;2022;1;1\n35238;C;2022;1;1\n"
    out = ingest(engine, write(tmp_path, body.encode()), tmp_path, schema=CONSO_SCHEMA)
    assert sorted(r[1] for r in out.staging) == ["A", "B"]
    assert out.quarantine == [(4, '{"code_commune":"35238"}', ["primary-key duplicate (code_commune)"])]


def test_one_scan_types_checks_and_numbers_every_kind_of_bad_line(engine: Engine, tmp_path: Path) -> None:
    """The file is read once: a type error, a duplicate key and a ragged line each keep their own
    line number and reason, the valid rows are staged typed, and the scratch tables go with drop()."""
    from territoria.catalog.model import TableSchema
    from territoria.connectors.formats import get_reader
    from territoria.validation import validate_relation

    body = (
        "code_commune;libelle;annee;conso_mwh;nb_sites\n35238;A;2022;1,5;1\n35047;B;deux;1;1\n"
        "35051;C;2022;1;1;extra\n35238;D;2022;2;2\n35055;E;2021;s;3\n"
    )
    raw = get_reader("csv")(engine, write(tmp_path, body.encode()), {}, tmp_path)
    outcome = validate_relation(engine, raw, TableSchema.model_validate(CONSO_SCHEMA), "_one")
    staged = engine.fetch_all(
        f"SELECT code_commune, libelle, annee, conso_mwh, conso_mwh_secret FROM ({outcome.staging_sql})"
    )
    assert sorted(staged) == [("35055", "E", 2021, None, True), ("35238", "A", 2022, 1.5, False)]
    quarantined = {line: errors for line, _, errors in engine.fetch_all(outcome.quarantine_sql)}
    assert quarantined[3] == ["annee: type-error (expected year)"]
    assert quarantined[5] == ["primary-key duplicate (code_commune)"]
    assert sorted(quarantined) == [3, 4, 5]  # line 4 has one field too many
    assert outcome.stats["rows_in"] == 5 and outcome.stats["rows_valid"] == 2
    outcome.drop(engine)
    left = engine.fetch_all("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '_one%'")
    assert left == []


def test_required_column_missing_names_the_close_match(engine: Engine, tmp_path: Path) -> None:
    body = b"code_comune;libelle;annee;conso_mwh;nb_sites\n35238;A;2022;1;1\n"
    with pytest.raises(DataError, match="code_commune") as err:
        ingest(engine, write(tmp_path, body), tmp_path, schema=CONSO_SCHEMA)
    assert "code_comune" in (err.value.hint or "")


def test_required_secret_value_is_not_missing(engine: Engine, tmp_path: Path) -> None:
    schema = {"fields": [{"name": "v", "type": "number", "secretValues": ["s"], "constraints": {"required": True}}]}
    out = ingest(engine, write(tmp_path, b"v\ns\n\n1\n"), tmp_path, schema=schema)
    assert out.staging == [(None, True), (1.0, False)]
    assert [(q[0], q[2]) for q in out.quarantine] == [(3, ["v: required"])]


def test_unknown_encoding_is_a_config_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown encoding"):
        ingest(engine, CORPUS / "good.csv", tmp_path, read={"encoding": "ebcdic-martian"})


def test_an_optional_column_missing_from_a_layout_is_not_a_warning() -> None:
    """A column that only some of the producer's layouts carry (``optional: true``) is filled with
    nulls quietly; any other declared column missing from the file is still said."""
    from territoria.catalog.model import TableSchema
    from territoria.validation.tableschema import match_columns

    schema = TableSchema.model_validate(
        {"fields": [{"name": "code"}, {"name": "mailles", "type": "integer", "optional": True}, {"name": "nom"}]}
    )
    present, warnings = match_columns(schema, [("code", "VARCHAR"), ("_line", "BIGINT")])
    assert present == {"code": "VARCHAR"}
    assert warnings == ["column 'nom' is not in the file: filled with nulls"]
