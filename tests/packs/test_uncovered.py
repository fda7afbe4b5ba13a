"""A source its producer does not publish for the territory says so instead of sending the team to
download a national file that holds nothing for it (INSEE's Filosofi and Mayotte)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from territoria.cli.main import app

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
        assert todo[dataset].startswith("none to get: INSEE publishes no such data for département 976"), todo
        assert "download" not in todo[dataset]


def test_a_territory_partly_outside_the_producer_keeps_the_download_and_hears_the_gap(tmp_path: Path) -> None:
    todo = _todo(tmp_path / "mixed", "97611,97411", drop="filosofi-2021-communes.csv")
    drop = "drop the file at data/filosofi-2021-communes.csv: download https://"
    assert todo["filosofi-communes"].startswith(drop), todo
    assert todo["filosofi-communes"].endswith("(it holds nothing for département 976)"), todo


def test_a_covered_territory_is_told_nothing_of_it(tmp_path: Path) -> None:
    todo = _todo(tmp_path / "covered", "35238")
    assert all("976" not in t for t in todo.values()), todo
