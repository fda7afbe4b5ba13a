"""A source its producer does not publish for the territory says so instead of sending the team to
download a national file that holds nothing for it (INSEE's Filosofi and Mayotte)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from typer.testing import CliRunner

from territoria.api import create_app
from territoria.cli.main import app
from territoria.testing.live import LiveServer

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
