"""Two real runs of a workspace whose producer revises one cell of its file: the second
publication keeps hidden what the first hid, so that an outsider who kept both gets no small cell
back (the example of ``test_republication``, through ingest, the publish step and the ledger)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from territoria.core.yamlio import write_yaml
from territoria.pipelines import run_pipeline
from territoria.testing.entries import catalog_entry, file_source, table_schema, write_entry
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.workspace import DEFAULT_POLICIES

from .tables import Key, Table, complete_table
from .test_republication import POLICIES, derivable_from_both, revised

SOURCE = "sites-secteurs"
RENNES = "243500139"
FIRST = complete_table(4, [0, 3, 0], 4, 1, [11, 57, 9, 54, 58, 60, 18, 30, 2, 37, 32, 4], [])
SECOND = revised(FIRST, ("C2", "S2", "2020"), 20)


def _write(ws: Workspace, table: Table) -> None:
    lines = ["code;parent;sector;period;nb"]
    lines += [f"{g};{table.geo_parent[g] or ''};{s};{y};{n}" for (g, s, y), n in sorted(table.cells.items())]
    (ws.root / "data" / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _workspace(root: Path) -> Workspace:
    ws = init_workspace(root, epci=RENNES, packs=["territory"])
    fields = {"code": "string", "parent": "string", "sector": "string", "period": "string", "nb": "integer"}
    entry = catalog_entry(
        SOURCE,
        file_source("sites.csv", delimiter=";"),
        title="Sites par secteur",
        access="open",
        publish=True,
        secrecy="statistical.cells",
        schema=table_schema(fields, ["code", "sector", "period"]),
    )
    write_entry(ws.sources_dir, entry)
    write_yaml(ws.root / "policies.yaml", {**DEFAULT_POLICIES, **POLICIES})
    return ws


def _run(ws: Workspace, table: Table) -> set[Key]:
    """Run the workspace on ``table``'s file; the cells the publication shows as secret."""
    _write(ws, table)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [r.error for r in summary.failed]
    con = duckdb.connect(str(ws.store_dir / "store.duckdb"), read_only=True)
    try:
        rows = con.execute(f'SELECT code, sector, period, nb, secret FROM published."{SOURCE}"').fetchall()
    finally:
        con.close()
    assert all(n is None for *_, n, s in rows if s)  # a secret cell's count is not published
    return {(c, s, p) for c, s, p, _, secret in rows if secret}


def test_a_revised_file_published_again_gives_back_no_small_cell(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    hidden1 = _run(ws, FIRST)
    assert ("C0", "S2", "2020") in hidden1 and ("C2", "S2", "2020") in hidden1
    hidden2 = _run(ws, SECOND)
    assert hidden1 <= hidden2  # hidden before: hidden again, though C2 x S2 is now its cheapest complement no more
    primary2 = {k for k in hidden2 if 0 < SECOND.cells[k] < 10}
    assert derivable_from_both(FIRST, SECOND, hidden1, {k: 1 if k in primary2 else 2 for k in hidden2}) == []
    # the same file published into a fresh store (no memory) shows C2 x S2, which gives C0 x S2 back
    fresh = _run(_workspace(tmp_path / "fresh"), SECOND)
    assert ("C2", "S2", "2020") not in fresh
    assert derivable_from_both(FIRST, SECOND, hidden1, {k: 1 if k in primary2 else 2 for k in fresh}) == [
        ("C0", "S2", "2020")
    ]
