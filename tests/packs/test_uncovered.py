"""A source its producer does not publish for the territory says so instead of sending the team to
download a national file that holds nothing for it (INSEE's Filosofi and Mayotte)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from territoria.api import create_app
from territoria.catalog.packs import load_pack
from territoria.cli.main import app
from territoria.reference.arrondissements import commune_of
from territoria.reference.referential import referential
from territoria.testing.live import LiveServer
from territoria.usecases.social_health.demo import COMMUNES_FILE, IRIS_FILE, shipped

runner = CliRunner()


def _todo(root: Path, communes: str, drop: str | None = None) -> dict[str, str]:
    made = runner.invoke(app, ["init", str(root), "--communes", communes, "--pack", "social_health"])
    assert made.exit_code == 0, made.output
    if drop:
        (root / "data" / drop).unlink()
    status = runner.invoke(app, ["sources", "status", "--json", "-w", str(root)])
    assert status.exit_code == 0, status.output
    return {row["dataset"]: row["todo"] for row in json.loads(status.output)["sources"]}


def test_mayotte_is_told_filosofi_does_not_exist_for_it(tmp_path: Path) -> None:
    made = runner.invoke(app, ["init", str(tmp_path / "one"), "--communes", "97611", "--pack", "social_health"])
    assert "1 commune," in made.output
    todo = _todo(tmp_path / "mayotte", "97611,97608")
    for dataset in ("filosofi-communes", "filosofi-iris"):
        assert todo[dataset].startswith("none to get: INSEE publishes no such data for Mayotte (département 976)"), todo
        assert "download" not in todo[dataset]


def test_a_territory_partly_outside_the_producer_keeps_the_download_and_hears_the_gap(tmp_path: Path) -> None:
    todo = _todo(tmp_path / "mixed", "97611,97411", drop="filosofi-2021-communes.csv")
    drop = "drop the file at data/filosofi-2021-communes.csv: download https://"
    assert todo["filosofi-communes"].startswith(drop), todo
    assert todo["filosofi-communes"].endswith("(it holds nothing for département 976)"), todo


def test_a_covered_territory_is_told_nothing_of_it(tmp_path: Path) -> None:
    todo = _todo(tmp_path / "covered", "35238")
    assert all("976" not in t for t in todo.values()), todo


NOT_PUBLISHED = "INSEE does not publish Filosofi 2021 for Mayotte"


def test_mayotte_s_income_figures_say_insee_does_not_publish_them(tmp_path: Path) -> None:
    """The indicators made from Filosofi say why they stay empty in `sources status`, the run's
    summary and the catalog the API and the dashboard read, instead of "waiting for data"."""
    root = tmp_path / "mayotte"
    assert (
        runner.invoke(app, ["init", str(root), "--communes", "97611,97608", "--pack", "social_health"]).exit_code == 0
    )
    ran = runner.invoke(app, ["run", "-w", str(root)], env={"COLUMNS": "400"})
    text = " ".join(ran.output.split())
    assert f"ingest:filosofi-communes: none to get: {NOT_PUBLISHED}" in text, text
    assert "no data for this territory revenu_median, taux_pauvrete" in text and NOT_PUBLISHED in text
    as_json = json.loads(runner.invoke(app, ["run", "--json", "-w", str(root)]).output)
    assert as_json["not_published"]["revenu_median"]["message"] == NOT_PUBLISHED
    assert "densite_population" not in as_json["not_published"]

    status = json.loads(runner.invoke(app, ["sources", "status", "--json", "-w", str(root)]).output)
    assert status["not_published"]["taux_pauvrete"]["where"] == ["Mayotte"]
    assert status["not_published"]["taux_pauvrete"]["source"] in ("filosofi-communes", "filosofi-iris")
    shown = runner.invoke(app, ["sources", "status", "-w", str(root)], env={"COLUMNS": "400"}).output
    assert NOT_PUBLISHED in " ".join(shown.split())

    with LiveServer(create_app(root)) as live, httpx.Client(base_url=live.url) as client:
        doc = client.get("/api/catalog/revenu_median").json()
        listed = {d["id"]: d for d in client.get("/api/catalog").json()["datasets"]}
    assert doc["not_published"]["message"] == NOT_PUBLISHED and doc["last_status"] == "waiting"
    assert listed["revenu_median"]["not_published"]["product"] == "Filosofi 2021"
    assert listed["densite_population"].get("not_published") is None


def test_a_territory_s_own_file_lifts_it(tmp_path: Path) -> None:
    root = tmp_path / "mayotte"
    assert runner.invoke(app, ["init", str(root), "--communes", "97611", "--pack", "social_health"]).exit_code == 0
    (root / "data" / "filosofi-2021-communes.csv").write_text("CODGEO;NBMENFISC21\n97611;100\n", encoding="utf-8")
    status = json.loads(runner.invoke(app, ["sources", "status", "--json", "-w", str(root)]).output)
    assert {cause["source"] for cause in status["not_published"].values()} == {"filosofi-iris"}


def test_guadeloupe_is_told_filosofi_does_not_exist_for_it(tmp_path: Path) -> None:
    """Filosofi 2021 has no row for Guadeloupe (971) nor Guyane (973): before, CA Cap Excellence
    was sent to download the national file."""
    todo = _todo(tmp_path / "guadeloupe", "97101,97120")
    expected = "none to get: INSEE publishes no such data for Guadeloupe (département 971)"
    for dataset in ("filosofi-communes", "filosofi-iris"):
        assert todo[dataset].startswith(expected), todo


@pytest.mark.parametrize(
    ("dataset", "shipped_name"), [("filosofi-communes", COMMUNES_FILE), ("filosofi-iris", IRIS_FILE)]
)
def test_the_departements_declared_uncovered_are_those_the_shipped_file_has_no_row_for(
    dataset: str, shipped_name: str
) -> None:
    entry = yaml.safe_load((load_pack("social_health").directory / "sources" / f"{dataset}.yaml").read_text("utf-8"))
    with gzip.open(shipped(shipped_name + ".gz"), "rt", encoding="utf-8") as f:
        next(f)
        # an IRIS code starts with its commune's code, or its arrondissement's
        communes = {commune_of(line[:5]) for line in f}
    ref = referential()
    departements = {c.departement for c in ref.communes.values()}
    covered = {ref.communes[c].departement for c in communes if c in ref.communes}
    assert sorted(entry["source"]["upstream"]["not_published_for"]) == sorted(departements - covered)


def test_a_shipped_national_file_says_it_holds_nothing_for_mayotte(tmp_path: Path) -> None:
    """SINOE's déchèterie file is copied into every workspace; it has no row for Mayotte. Before,
    `sources status` said it was present with nothing to do, while the indicator waiting on it sent
    the team to `sources status` for what is missing."""
    root = tmp_path / "mayotte"
    made = runner.invoke(app, ["init", str(root), "--communes", "97611,97608", "--pack", "resources"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["run", "-w", str(root)]).exit_code == 0
    status = runner.invoke(app, ["sources", "status", "--json", "-w", str(root)])
    rows = {row["dataset"]: row for row in json.loads(status.output)["sources"]}
    assert rows["sinoe-decheteries"]["state"] == "present"
    assert rows["sinoe-decheteries"]["todo"] == (
        "nothing to get: ADEME (SINOE®) publishes no such data for Mayotte (département 976); "
        "the figures built on it stay empty for this territory"
    )


def test_the_sinoe_departements_declared_uncovered_are_those_the_shipped_file_has_no_row_for() -> None:
    pack = load_pack("resources")
    entry = yaml.safe_load((pack.directory / "sources" / "sinoe-decheteries.yaml").read_text("utf-8"))
    with gzip.open(pack.directory / "data" / "sinoe-decheteries-departements.csv.gz", "rt", encoding="utf-8") as f:
        covered = {row["C_DEPT"] for row in csv.DictReader(f)}
    departements = {c.departement for c in referential().communes.values()}
    assert sorted(entry["source"]["upstream"]["not_published_for"]) == sorted(departements - covered)
