"""territoria init: any EPCI offline, clear errors, no silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from territoria.core.errors import UserError, WorkspaceLockedError
from territoria.reference import referential
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.lock import WorkspaceLock


def test_init_rennes(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "rm", epci="243500139")
    config = yaml.safe_load((ws.root / "territory.yaml").read_text(encoding="utf-8"))
    assert config["name"] == "Rennes Métropole"
    assert len(config["communes"]) == 43
    assert config["vintages"]["communes"].startswith("@etalab/decoupage-administratif")
    assert (ws.root / "policies.yaml").is_file()
    assert sorted(p.name for p in (ws.root / "sources").iterdir()) == [
        "communes-referentiel.yaml",
        "contours-communes.yaml",
        "population-communes.yaml",
    ]
    assert (ws.root / ".territoria").is_dir()
    assert ".territoria/" in (ws.root / ".gitignore").read_text(encoding="utf-8")


def test_init_works_for_every_epci(tmp_path: Path) -> None:
    """Every one of the 1,255 EPCIs resolves offline to its member communes."""
    from territoria.workspace.workspace import resolve_communes

    ref = referential()
    for siren in ref.epcis:
        codes, epci, name = resolve_communes(ref, siren, None)
        assert codes and epci == siren and name


def test_init_reports_communes_without_boundary(tmp_path: Path) -> None:
    ref = referential()
    missing = next(c for c in ref.without_boundary if ref.communes[c].epci)
    epci = ref.communes[missing].epci
    assert epci is not None
    ws = init_workspace(tmp_path / "w", epci=epci)
    assert missing in ws.config.communes_without_boundary


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_workspace(tmp_path / "w", communes=["35238"])
    with pytest.raises(UserError) as err:
        init_workspace(tmp_path / "w", communes=["35047"])
    assert err.value.hint and "--force" in err.value.hint
    ws = init_workspace(tmp_path / "w", communes=["35047"], force=True)
    assert ws.config.communes == ["35047"]


def test_init_needs_a_territory(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        init_workspace(tmp_path / "w")


def test_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        Workspace(tmp_path)
    assert err.value.hint and "territoria init" in err.value.hint


def test_lock_refuses_a_second_holder(small_ws: Workspace) -> None:
    with small_ws.lock(), pytest.raises(WorkspaceLockedError) as err:
        WorkspaceLock(small_ws.private / "lock").acquire()
    assert "pid" in err.value.message


def test_invalid_yaml_names_the_line(small_ws: Workspace) -> None:
    from territoria.core.errors import ConfigError

    (small_ws.root / "sources" / "broken.yaml").write_text("identifier: x\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        small_ws.entries()
    assert "line" in err.value.message


def test_config_validate_reports_every_problem(small_ws: Workspace) -> None:
    from territoria.pipelines.config_check import check_workspace

    assert check_workspace(small_ws.root) == []
    (small_ws.root / "sources" / "broken.yaml").write_text("identifier: Bad Name\n", encoding="utf-8")
    (small_ws.root / "sources" / "other.yaml").write_text(
        "identifier: other\ntitle: t\npublisher: {name: p}\nlicence: MIT\nsource: {kind: fiel, path: x.csv}\n",
        encoding="utf-8",
    )
    problems = check_workspace(small_ws.root)
    slugs = {(p.where, p.slug) for p in problems}
    assert {("sources/broken.yaml:1", "invalid-value"), ("sources/broken.yaml:1", "missing-key")} <= slugs
    unknown = next(p for p in problems if p.where == "sources/other.yaml:5")
    assert "unknown source kind 'fiel'" in unknown.message and unknown.hint and "file" in unknown.hint
