"""Hub'Eau hydrometry (``/api/v2/hydrometrie/obs_elab``) through the hubeau connector against the
contract server: the resources pack's daily-flow source is fetched page by page with its own
Table Schema, filtered on the daily mean flow of the chosen stations; an empty answer waits, saying so, and
keeps the table landed before."""

from __future__ import annotations

from importlib import resources

from territoria.core.yamlio import read_yaml
from territoria.workspace import Workspace

from .conftest import FAST, add_source, run_one, step, table
from .contract.base import Server
from .contract.hubeau import hydrometry_rows

ENDPOINT = "/api/v2/hydrometrie/obs_elab"


def _schema() -> dict[str, object]:
    path = resources.files("territoria.usecases.resources") / "sources" / "debits-cours-eau.yaml"
    schema: dict[str, object] = read_yaml(path)["schema"]  # type: ignore[arg-type]
    return schema


def test_daily_flows_paged_with_the_pack_schema(small_ws: Workspace, hubeau: Server) -> None:
    hubeau.served.state["endpoints"][ENDPOINT] = hydrometry_rows(3, 120)
    query = {"grandeur_hydro_elab": "QmnJ", "code_entite": ["J7010610", "J901061001"]}
    source = {"kind": "hubeau", "api": hubeau.url, "endpoint": ENDPOINT, "query": query, "size": 100, **FAST}
    add_source(small_ws, "debits", source, _schema())
    assert step(run_one(small_ws, "debits"), "debits").status == "success"
    assert table(small_ws, "debits", "SELECT count(*), count(DISTINCT code_station) FROM {t}") == [(240, 2)]
    assert table(small_ws, "debits", "SELECT DISTINCT grandeur_hydro_elab FROM {t}") == [("QmnJ",)]
    assert [p.query["page"][0] for p in hubeau.served.hits("/obs_elab")] == ["1", "2", "3"]

    add_source(small_ws, "debits", {**source, "query": {"grandeur_hydro_elab": "QmnJ", "code_entite": ["Z0000000"]}})
    rec = step(run_one(small_ws, "debits"), "debits")
    assert rec.status == "waiting" and "Hub'Eau has no result for this query" in rec.error
    assert table(small_ws, "debits", "SELECT count(*) FROM {t}") == [(240,)]  # what was there stays
