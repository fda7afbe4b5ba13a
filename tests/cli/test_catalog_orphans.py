"""`territoria catalog orphans`: the tables a disabled pack leaves in the store, listed, dropped
(audited) and rebuilt the same when the pack comes back."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import yaml

from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog

from .conftest import Territoria

PACK = "social_health"


def _enable(root: Path, enabled: bool) -> None:
    path = root / "territory.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["packs"][PACK]["enabled"] = enabled
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _published(root: Path, name: str) -> bytes:
    publication = root / ".territoria" / "publication"
    current = json.loads((publication / "current.json").read_text(encoding="utf-8"))["run_id"]
    return (publication / current / "published" / f"{name}.parquet").read_bytes()


def _tables(root: Path) -> set[str]:
    with duckdb.connect(str(root / ".territoria" / "store" / "store.duckdb"), read_only=True) as con:
        return {f"{s}.{n}" for s, n in con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}


def test_a_disabled_pack_leaves_tables_dropped_on_demand_and_rebuilt_alike(
    territoria: Territoria, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    assert territoria("init", str(root), "--communes", "35238", "--pack", "territory", "--pack", PACK).code == 0
    assert territoria("run", "-w", str(root)).code == 0
    before = _published(root, "filosofi_cellules")
    assert territoria("catalog", "orphans", "-w", str(root)).text.startswith("✓ every table")

    _enable(root, False)
    assert territoria("run", "-w", str(root)).code == 0
    listed = territoria("catalog", "orphans", "-w", str(root))
    assert listed.code == 0
    assert "model.filosofi_cellules │ 1 857 │" in listed.text and "published.filosofi_cellules" in listed.text
    assert "`territoria catalog orphans --drop` drops them" in listed.text
    assert "population" not in listed.text  # the territory pack's tables are the plan's
    assert "published.filosofi_cellules" in _tables(root)  # listing drops nothing

    dropped = territoria("catalog", "orphans", "-w", str(root), "--drop", "--yes")
    assert dropped.code == 0 and "dropped; recorded in the audit log" in dropped.text, dropped.text
    left = _tables(root)
    assert not {t for t in left if "filosofi_cellules" in t or t.startswith("indicator.revenu")}
    assert "published.population" in left and "staging.filosofi-communes" in left  # sources stay in sources/
    entry = AuditLog(AccessStore(root / ".territoria" / ACCESS_DB)).entries(limit=1)[0]
    assert entry["action"] == "catalog:drop-orphans"
    assert entry["detail"]["tables"]["model.filosofi_cellules"] == 1857
    assert territoria("catalog", "orphans", "-w", str(root)).text.startswith("✓ every table")

    _enable(root, True)
    assert territoria("run", "-w", str(root)).code == 0
    assert _published(root, "filosofi_cellules") == before


def test_orphans_help_teaches_with_examples(territoria: Territoria) -> None:
    shown = territoria("catalog", "orphans", "--help")
    assert shown.code == 0
    assert "territoria catalog orphans -w rennes --drop --yes" in shown.text
    assert "territoria retention" in shown.text
