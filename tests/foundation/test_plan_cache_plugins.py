"""The plan cache stamps what can change a plan: a plugin installed, changed or removed plans
again; a file written into a folder of ``sys.path`` that holds no distribution (a script's own
folder) does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from territoria.pipelines import load_plan
from territoria.testing.clock import backdate
from territoria.workspace import Workspace


def _cached(ws: Workspace) -> str | None:
    """The fingerprint of a plan read from the cache (``None`` when it was built again)."""
    return load_plan(ws).fingerprint


def _install(site: Path, name: str) -> Path:
    """A distribution ``name`` with a guard plugin, laid out as pip installs one."""
    meta = site / f"{name}-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (meta / "entry_points.txt").write_text(f"[territoria.guards]\n{name} = {name}.guard:Guard\n", encoding="utf-8")
    (site / name).mkdir()
    (site / name / "__init__.py").write_text("", encoding="utf-8")
    (site / name / "guard.py").write_text("class Guard:\n    pass\n", encoding="utf-8")
    return meta


def test_a_script_writing_into_its_own_folder_keeps_the_plan_cached(
    small_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script_dir = tmp_path / "bench"
    script_dir.mkdir()
    monkeypatch.syspath_prepend(str(script_dir))
    backdate(small_ws.root)
    backdate(script_dir)
    first = _cached(small_ws)
    assert first is not None and _cached(small_ws) == first
    (script_dir / "results.json").write_text("{}", encoding="utf-8")
    assert _cached(small_ws) == first


def test_a_plugin_installed_changed_or_removed_plans_again(
    small_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    _install(site, "first_plugin")
    monkeypatch.syspath_prepend(str(site))

    def settle() -> str:
        backdate(small_ws.root)
        backdate(site)
        cached = _cached(small_ws)
        assert cached is not None and _cached(small_ws) == cached
        return cached

    settle()
    second = _install(site, "second_plugin")
    assert _cached(small_ws) is None
    settle()
    (site / "second_plugin" / "guard.py").write_text("class Guard:\n    rule = 1\n", encoding="utf-8")
    assert _cached(small_ws) is None
    settle()
    (second / "entry_points.txt").write_text("[territoria.guards]\nother = second_plugin.guard:Guard\n")
    assert _cached(small_ws) is None
    settle()
    shutil.rmtree(second)
    assert _cached(small_ws) is None
    settle()
