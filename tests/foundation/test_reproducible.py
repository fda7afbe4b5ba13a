"""Identical inputs give identical published figures and fingerprints, on any thread count.

The energy pack adds up thousands of consumption cells into commune, sector and territory
margins: summed as doubles, the last bits of a margin depend on the order of addition, which
changes with DuckDB's thread count, and a value on a rounding boundary flips in the published
indicator. This builds the Rennes Métropole energy workspace (43 communes, the demo inputs)
once on one thread and once on four, and compares what was published and fingerprinted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.publication.snapshot import current_snapshot
from territoria.workspace import Workspace, init_workspace

RENNES = "243500139"


def build(root: Path, threads: int) -> tuple[dict[str, str], dict[str, str]]:
    """Published table hashes (manifest) and ledger fingerprints of a fresh energy workspace."""
    ws = init_workspace(root, epci=RENNES, packs=["territory", "energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    with (ws.root / "territory.yaml").open("a", encoding="utf-8") as config:
        config.write(f"\nengine_options: {{threads: {threads}}}\n")
    ws = Workspace(ws.root)  # re-read the configuration with its engine options
    with ws.engine() as engine:
        # the option must reach DuckDB, or both builds would run on the same number of threads
        assert engine.fetch_all("SELECT current_setting('threads')") == [(threads,)]
        summary = run_pipeline(ws, engine)
        assert summary.status == "success"
        fingerprints = dict(engine.fetch_all("SELECT name, content_hash FROM _territoria.datasets"))
    snapshot = current_snapshot(ws.private)
    assert snapshot is not None
    manifest = json.loads((snapshot.path / "manifest.json").read_text(encoding="utf-8"))
    return {name: table["hash"] for name, table in manifest["tables"].items()}, fingerprints


@pytest.mark.slow
def test_one_and_four_threads_publish_the_same_bytes(tmp_path: Path) -> None:
    published_1, fingerprints_1 = build(tmp_path / "one", 1)
    published_4, fingerprints_4 = build(tmp_path / "four", 4)
    assert {"energie_cellules", "energie_consommation", "ges_emissions", "part_communes"} <= set(published_1)
    assert published_4 == published_1
    assert fingerprints_4 == fingerprints_1
