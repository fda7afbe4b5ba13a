"""The adversary audit on the demo's energy publication (``demo_energy_ws``: the 43 communes of
Rennes Métropole, the commune cube and the IRIS electricity table, which share cells), published
through the real pipeline with the shipped rule sets (protection loop on), then
`territoria secrecy audit`.

Every table alone and the union of the tables sharing cells must leave no suppressed non-empty
cell pinned inside ±10 % of its value, and no primary cell computable; the loop must not buy
that by suppressing everything.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.ledger import suppression_counts
from territoria.workspace import Workspace

# the first test to ask for the demo pays its whole build (`territoria demo`): minutes on a loaded machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

UNION = ("energie_cellules", "energie_elec_iris")


def test_the_demo_publication_passes_the_audit(demo_energy_ws: Workspace) -> None:
    result = CliRunner().invoke(
        app, ["secrecy", "audit", "-w", str(demo_energy_ws.root), "--json"], env={"COLUMNS": "200"}
    )
    data = json.loads(result.output)
    reports = {tuple(r["tables"]): r for r in data["reports"]}
    assert {(UNION[0],), (UNION[1],), UNION} <= set(reports), list(reports)
    assert reports[UNION]["suppressed"] > 1000  # cells were suppressed, jointly
    for tables, report in reports.items():
        assert report["exposed"] == 0, (tables, report["cells"][:5])
        assert report["disclosed_primary"] == 0, tables
        assert report["narrowest_share"] >= 0.1 - 1e-6, tables  # one side reaches ±10 %: width >= 10 %
    assert result.exit_code == 0, result.output[-2000:]


def test_the_loop_publishes_a_share_of_the_cells(demo_energy_ws: Workspace) -> None:
    """The protection loop ran (its report is in the run records) and left cells published."""
    with demo_energy_ws.engine() as engine:
        counts: dict[str, int] = {}
        for (dataset, _), n in suppression_counts(engine).items():
            counts[dataset] = counts.get(dataset, 0) + n
        cells = {
            name: engine.fetch_all(f"SELECT count(*), count(*) FILTER (WHERE NOT secret) FROM published.{name}")[0]
            for name in UNION
        }
    for name in UNION:
        total, published = cells[name]
        assert counts[name] > 0, name
        assert published >= 0.1 * total, (name, published, total)


def test_a_small_territory_publishes_and_passes_the_audit(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Three communes (few cells per margin): cells pinned round after round by ever larger margins
    get every published cell of their equations as complements from round
    ``protection.ESCALATE_AFTER`` on, so the loop ends within its cap and the audit passes."""
    from territoria.catalog.packs import load_pack
    from territoria.pipelines import run_pipeline
    from territoria.workspace import init_workspace

    root = tmp_path_factory.mktemp("three-communes") / "ws"
    ws = init_workspace(root, communes=["35238", "35047", "35206"], packs=["territory", "energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    result = CliRunner().invoke(app, ["secrecy", "audit", "-w", str(root), "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output[-2000:]
    for report in json.loads(result.output)["reports"]:
        assert report["exposed"] == 0 and report["disclosed_primary"] == 0, report["tables"]


def test_the_shipped_rule_sets_vouch_for_every_column_of_their_tables(demo_energy_ws: Workspace) -> None:
    """A territory whose energy or income files come under a convention (restricted) publishes
    their protected tables open only if the rule set vouches for each published column
    (`governance.levels.unreleased_columns`): the shipped ones list what they publish as is."""
    from territoria.catalog.packs import load_pack
    from territoria.governance.levels import suppresses, unreleased_columns
    from territoria.publication.reader import PublicationSource
    from territoria.publication.snapshot import published_columns

    ws = demo_energy_ws
    packs = [load_pack(name, ws.pack_path(name)).directory for name in ws.enabled_packs()]
    columns = published_columns(ws.private) or {}
    protected = {
        name: meta.doc["secrecy"]
        for name, meta in PublicationSource(ws.private).get().datasets.items()
        if meta.doc.get("secrecy") and suppresses(meta.doc["secrecy"], None, packs)
    }
    assert set(protected) >= {"energie_cellules", "energie_elec_iris", "filosofi_cellules", "logements_communes"}
    for name, secrecy in protected.items():
        assert columns[name] and not unreleased_columns(secrecy, columns[name], None, packs), name
