"""Paris, Lyon and Marseille: a territory names the city (75056), producers name its municipal
arrondissements below the commune (an IRIS code starts with 75101..., Enedis's and INSEE's IRIS
files give the arrondissement as the IRIS's commune, Paris-Montsouris is station 75114001). What
they say of an arrondissement is the city's: before, Paris's 992 Filosofi IRIS, its Enedis IRIS,
and its reference station were silently dropped (nothing published, no
error)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territoria.catalog.sql_macros import expand_macros
from territoria.cli.main import app
from territoria.core.errors import UserError
from territoria.engines.registry import open_engine
from territoria.pipelines.plan import build_plan
from territoria.reference.arrondissements import arrondissement_commune, commune_of
from territoria.workspace import Workspace

REAL = Path(__file__).parent / "data" / "real"
SECTORS = ["residentiel", "professionnel", "agriculture", "industrie", "tertiaire", "secteur_non_affecte"]
#: two IRIS of Paris as Enedis and INSEE name them: their arrondissement is their commune
IRIS = {"751010101": "75101", "751145501": "75114"}


def test_commune_of_maps_arrondissements_only(tmp_path: Path) -> None:
    cases = {"75101": "75056", "75120": "75056", "69381": "69123", "69389": "69123", "13201": "13055",
             "13216": "13055", "75056": "75056", "75121": "75121", "69390": "69390", "13200": "13200",
             "35238": "35238", "2A004": "2A004", "97411": "97411"}  # fmt: skip
    assert {code: commune_of(code) for code in cases} == cases
    sql = expand_macros("SELECT code, commune_of(code) AS commune FROM t", "m.sql")
    engine = open_engine("duckdb", tmp_path)
    try:
        engine.execute("CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS code", [list(cases)])
        assert dict(engine.fetch_all(sql)) == cases
    finally:
        engine.close()


def test_full_width_digits_are_no_arrondissement(tmp_path: Path) -> None:
    """str.isdigit() holds for '７５１０１' (full-width) and int() reads it as 75101: the code is
    no INSEE code, and the SQL macro (text bounds) leaves it as it is; so does Python."""
    cases = ["７５１０１", "75１01", "６９３８１", "١٣٢٠١"]  # full-width and Arabic-Indic digits
    assert {code: arrondissement_commune(code) for code in cases} == dict.fromkeys(cases)
    assert {code: commune_of(code) for code in cases} == {code: code for code in cases}
    sql = expand_macros("SELECT code, commune_of(code) AS commune FROM t", "m.sql")
    engine = open_engine("duckdb", tmp_path)
    try:
        engine.execute("CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS code", [cases])
        assert dict(engine.fetch_all(sql)) == {code: code for code in cases}
    finally:
        engine.close()


def _enedis_iris(path: Path) -> None:
    header = ["annee", "code_iris", "nom_iris", "type_iris", "code_commune", "nom_commune", "code_epci",
              "nom_epci", "type_epci", "code_departement", "code_region"]  # fmt: skip
    measures = (("nb_sites", ""), ("conso_totale", "_mwh"), ("conso_moyenne", "_mwh"))
    header += [f"{k}_{s}{u}" for s in SECTORS for k, u in measures]
    lines = [";".join(header)]
    for i, (iris, arrondissement) in enumerate(IRIS.items()):
        values = [f"{100 + i};{1000.5 + i};{10.0}" for _ in SECTORS]
        lines.append(f"2022;{iris};IRIS {iris};H;{arrondissement};Paris;200054781;Métropole du Grand Paris;MET;75;11;"
                     + ";".join(values))  # fmt: skip
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


def _ore(path: Path) -> None:
    """Agence ORE's columns: electricity of 2021 by arrondissement only, of 2022 both by arrondissement
    and whole (as a file may carry both) for residential, by arrondissement only for tertiary; the
    share of electric heating given on every row of a commune (arrondissements: 40 % of 10,000
    inhabitants, 20 % of 30,000)."""
    header = (
        "operateur;annee;filiere;code_categorie_consommation;code_grand_secteur;code_secteur_naf2;"
        "conso_totale_mwh;conso_moyenne_mwh;nb_sites;code_commune;nom_commune;nombre_d_habitants;"
        "taux_de_chauffage_electrique"
    )
    people = {"75101": (10000, 40.0), "75102": (30000, 20.0), "75056": (2200000, 30.0)}
    rows = [("2021", "75101", 100), ("2021", "75102", 200), ("2022", "75101", 110), ("2022", "75102", 210),
            ("2022", "75056", 5000)]  # fmt: skip
    lines = [header] + [
        f"Enedis;{y};Electricité;RES;RESIDENTIEL;;{mwh};1;{mwh};{code};Paris;{people[code][0]};{people[code][1]}"
        for y, code, mwh in rows
    ]
    lines += [
        f"Enedis;2022;Electricité;ENT;TERTIAIRE;47;{mwh};{mwh / 4};4;{code};Paris;{people[code][0]};{people[code][1]}"
        for code, mwh in (("75101", 7), ("75102", 11))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _population_iris(path: Path) -> None:
    """INSEE's infra-communal columns: an IRIS of Paris names its arrondissement as its commune."""
    lines = ["IRIS;COM;TYP_IRIS;P21_POP;P21_POP75P;P21_POP80P;P21_POP80P_PSEUL"]
    lines += [f"{iris};{com};H;2000;200;100;40" for iris, com in IRIS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def renumbered_stations(path: Path, renumbered: list[tuple[str, str]]) -> None:
    """The first stations of the real Ille-et-Vilaine file, one per (number, name) of
    ``renumbered``, under that number and name (another territory's stations, real readings)."""
    with gzip.open(REAL / "Q_35_latest-2025-2026_RR-T-Vent.csv.gz", "rt", encoding="utf-8") as f:
        header, *rows = f.read().splitlines()
    stations = sorted({r.split(";", 1)[0] for r in rows})[: len(renumbered)]
    names = dict(zip(stations, renumbered, strict=True))
    out = [header]
    for row in rows:
        num, _nom, rest = row.split(";", 2)
        if num in names:
            out.append(";".join([*names[num], rest]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


@pytest.fixture(scope="module")
def paris(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("paris") / "ws"
    made = CliRunner().invoke(app, ["init", str(root), "--communes", "75056", "--pack", "social_health"])
    assert made.exit_code == 0, made.output
    _enedis_iris(root / "data" / "conso-elec-iris.csv")
    # Paris-Montsouris (75114001, in the 14th arrondissement) and Trappes (78621001, outside Paris)
    renumbered_stations(
        root / "data" / "meteo-france" / "stations-quotidien.csv.gz",
        [("75114001", "PARIS-MONTSOURIS"), ("78621001", "TRAPPES")],
    )
    _ore(root / "data" / "conso-elec-gaz-commune.csv")
    _population_iris(root / "data" / "population-iris.csv")
    ws = Workspace(root)
    ws.set_parameters("climate_adaptation", {"station_reference": 75114001})  # the team's choice: Montsouris
    ran = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert ran.exit_code == 0, ran.output
    return ws


def test_filosofi_iris_of_the_arrondissements_are_the_citys(paris: Workspace) -> None:
    lines = (paris.root / "data" / "filosofi-2021-iris-disp.csv").read_text(encoding="utf-8").splitlines()
    expected = {line.split(";", 1)[0] for line in lines[1:] if commune_of(line[:5]) == "75056"}
    assert len(expected) > 900
    with paris.engine() as engine:
        rows = engine.fetch_all(
            "SELECT DISTINCT code, parent_code FROM published.filosofi_cellules WHERE mesh = 'iris'"
        )
    assert {code for code, _ in rows} == expected
    assert {parent for _, parent in rows} == {"75056"}


def test_enedis_iris_of_the_arrondissements_sum_into_the_city(paris: Workspace) -> None:
    with paris.engine() as engine:
        rows = engine.fetch_all(
            "SELECT mesh, code, parent_code, consumption_mwh FROM model.energie_elec_iris "
            "WHERE sector = 'TOUS' AND period = 2022 ORDER BY mesh, code"
        )
    by_code = {(mesh, code): (parent, mwh) for mesh, code, parent, mwh in rows}
    assert by_code[("iris", "751010101")] == ("75056", pytest.approx(6 * 1000.5))
    assert by_code[("iris", "751145501")] == ("75056", pytest.approx(6 * 1001.5))
    assert by_code[("commune", "75056")][1] == pytest.approx(6 * 1000.5 + 6 * 1001.5)
    assert not [k for k in by_code if k[1] in IRIS.values()], "an arrondissement published as a commune"


def test_ore_arrondissements_sum_into_the_city_once(paris: Workspace) -> None:
    """Each sector counts once: 2022's residential electricity is the city's own row (its
    arrondissements' rows are the same consumption); its tertiary electricity, given by
    arrondissement only, is their sum. Before, the city's residential row made every arrondissement
    row of that year and energy drop, the tertiary ones too (no tertiary cell for 2022)."""
    with paris.engine() as engine:
        rows = engine.fetch_all(
            "SELECT code, period, sector, consumption_mwh FROM model.energie_conso_commune "
            "WHERE energy = 'electricite' ORDER BY period, sector"
        )
    assert rows == [("75056", 2021, "residentiel", 300), ("75056", 2022, "residentiel", 5000),
                    ("75056", 2022, "tertiaire", 18)]  # fmt: skip


def test_electric_heating_of_the_arrondissements_is_the_citys(paris: Workspace) -> None:
    """The fuel-poverty factors read the share of electric heating ORE gives with a commune's rows;
    in 2021 (the Filosofi year) Paris is given by arrondissement only: the city's share is theirs,
    weighted by inhabitants (40 % of 10,000 and 20 % of 30,000: 25 %). Before, it was null."""
    with paris.engine() as engine:
        rows = engine.fetch_all(
            "SELECT mesh, code, taux_chauffage_electrique FROM model.precarite_energetique_facteurs ORDER BY mesh"
        )
    assert rows[0] == ("commune", "75056", pytest.approx(25.0))


def test_the_montsouris_station_is_the_citys(paris: Workspace) -> None:
    with paris.engine() as engine:
        stations = engine.fetch_all("SELECT station, commune, role FROM model.stations_meteo ORDER BY station")
    assert stations == [("75114001", "75056", "reference"), ("78621001", None, "hors_territoire")]


def test_every_published_dataset_exports_in_the_typed_formats(paris: Workspace, tmp_path: Path) -> None:
    """As a user would after the run: `territoria export` of every published dataset in the formats
    that keep column types (the text formats write any type as text). Before, GeoJSON (GDAL) of
    taux_pauvrete and energie_logement_par_menage ended in a traceback ("only precision up to
    19"): the territory row's sum of persons was a HUGEINT."""
    with paris.engine() as engine:
        tables = [t for (t,) in engine.fetch_all(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'published' ORDER BY 1"
        )]  # fmt: skip
    assert "taux_pauvrete" in tables
    for fmt in ("geojson", "parquet", "xlsx"):
        for table in tables:
            out = CliRunner().invoke(app, ["export", table, "-f", fmt, "-o", str(tmp_path), "-w", str(paris.root)])
            # a map of a table with no place in it is refused with a message, never a traceback
            refused = isinstance(out.exception, UserError) and out.exception.hint
            assert out.exit_code == 0 or refused, (table, fmt, out.output, out.exception)


def test_a_commune_merged_since_filosofis_geography(tmp_path: Path) -> None:
    """Saint-Denis (93066) absorbed Pierrefitte-sur-Seine (93059) in 2025; Filosofi 2021 is on the
    2022 geography. Before, Saint-Denis's row (the old, smaller Saint-Denis) was published as the
    commune's median and rate, and Pierrefitte's IRIS were dropped."""
    root = tmp_path / "ws"
    made = CliRunner().invoke(app, ["init", str(root), "--communes", "93066,93001", "--pack", "social_health"])
    assert made.exit_code == 0, made.output
    assert CliRunner().invoke(app, ["run", "-w", str(root)]).exit_code == 0
    lines = (root / "data" / "filosofi-2021-iris-disp.csv").read_text(encoding="utf-8").splitlines()
    pierrefitte = {line.split(";", 1)[0] for line in lines if line.startswith("93059")}
    assert pierrefitte
    with Workspace(root).engine() as engine:
        communes = {c for (c,) in engine.fetch_all(
            "SELECT DISTINCT code FROM published.filosofi_cellules WHERE mesh = 'commune'"
        )}  # fmt: skip
        iris = dict(
            engine.fetch_all("SELECT DISTINCT code, parent_code FROM published.filosofi_cellules WHERE mesh = 'iris'")
        )
    assert communes == {"93001"}  # Aubervilliers kept its perimeter
    assert {code: iris.get(code) for code in pierrefitte} == dict.fromkeys(pierrefitte, "93066")


def test_the_export_asked_of_a_portal_names_the_arrondissements(tmp_path: Path) -> None:
    """A territory of communes asks Opendatasoft portals for its rows by commune code: Lyon's rows
    of Enedis's IRIS file are its arrondissements' (69381...), which the filter used to leave out."""
    root = tmp_path / "ws"
    made = CliRunner().invoke(app, ["init", str(root), "--communes", "69123,69029", "--pack", "energy_ghg"])
    assert made.exit_code == 0, made.output
    expected = ", ".join(f'"{c}"' for c in ["69029", "69123", *(str(n) for n in range(69381, 69390))])
    for source in ("conso-elec-iris", "conso-elec-gaz-commune"):
        text = (root / "sources" / f"{source}.yaml").read_text(encoding="utf-8")
        assert f"code_commune IN ({expected})" in " ".join(text.split()), source


def test_iris_populations_of_the_arrondissements_are_the_citys(paris: Workspace) -> None:
    """The heat-vulnerability factors read INSEE's IRIS populations, whose commune is the
    arrondissement in Paris. The model waits for sensors and cool places this workspace has not:
    its SQL runs here on the real ingested populations and Filosofi cells, the heat and cool-place
    inputs standing in as empty tables. Before, Paris had no IRIS and no share of people 75+."""
    plan = build_plan(paris)
    sql = plan.steps["model:vulnerabilite_chaleur_facteurs"].render(plan.datasets)
    stand_ins = {
        "published.icu_intensite_commune": "mesh VARCHAR, code VARCHAR, period VARCHAR, value DOUBLE",
        "published.nuits_tropicales": "mesh VARCHAR, code VARCHAR, value DOUBLE",
        "lieux_frais_couverture": "code VARCHAR, part_couverte DOUBLE, nb_lieux BIGINT",
    }
    with paris.engine() as engine:
        for i, (name, columns) in enumerate(stand_ins.items()):
            engine.execute(f"CREATE TEMP TABLE stand_in_{i} ({columns})")
            assert plan.datasets[name].qualified in sql
            sql = sql.replace(plan.datasets[name].qualified, f"stand_in_{i}")
        rows = engine.fetch_all(f"SELECT mesh, code, commune, part_75_plus FROM ({sql}) ORDER BY mesh, code")
    assert rows == [
        ("commune", "75056", "75056", pytest.approx(10.0)),
        *(("iris", code, "75056", pytest.approx(10.0)) for code in sorted(IRIS)),
    ]
