"""Hub'Eau's paging, rate limits and empty answers, against the contract server."""

from __future__ import annotations

from territoria.workspace import Workspace

from .conftest import add_source, fetches, run_one, step, table
from .contract.base import Server
from .contract.hubeau import water_rows
from .test_udata_hubeau import hubeau_source

TWO_COMMUNES = {"code_commune": ["35238", "35047"]}


def test_hubeau_follows_cursor_next_links(small_ws: Workspace, hubeau: Server) -> None:
    hubeau.served.state["cursor"] = True
    add_source(small_ws, "eau", hubeau_source(hubeau, query=TWO_COMMUNES, size=300))
    assert step(run_one(small_ws, "eau"), "eau").status == "success"
    expected = [r for r in water_rows(1234) if r["code_commune"] in ("35238", "35047")]
    assert table(small_ws, "eau", "SELECT count(*) FROM {t}") == [(len(expected),)]
    pages = hubeau.served.hits("/resultats_dis")
    # the first request is ours (page 1); the others are the server's opaque links, followed as served
    assert pages[0].query["page"] == ["1"] and len(pages) == 3
    assert all("cursor" in p.query and "page" not in p.query for p in pages[1:])
    assert all(p.query["code_commune"] == ["35238,35047"] for p in pages)


def test_hubeau_waits_out_its_rate_limit(small_ws: Workspace, hubeau: Server) -> None:
    # one request per 2 s: the second page, asked right after the first, is refused and retried
    hubeau.served.state["rate_limit"] = (1, 2.0)
    add_source(small_ws, "eau", hubeau_source(hubeau, size=500, retries=4))
    rec = step(run_one(small_ws, "eau"), "eau")
    assert rec.status == "success", rec.error
    assert table(small_ws, "eau", "SELECT count(*) FROM {t}") == [(1234,)]
    attempts = fetches(small_ws, "eau")[0]["request"]["attempts"]
    assert any(a["status"] == "HTTP 429" for a in attempts), attempts
    # every 429 was followed by a wait of at least the announced Retry-After (1 s)
    statuses = [a["status"] for a in attempts]
    waits = [a["waited_s"] for a in attempts]
    assert all(waits[i + 1] >= 1.0 for i, s in enumerate(statuses[:-1]) if s == "HTTP 429")
    assert statuses.count("200") + statuses.count("206") == 3


def test_hubeau_empty_answer_waits(small_ws: Workspace, hubeau: Server) -> None:
    add_source(small_ws, "eau", hubeau_source(hubeau, query={"code_commune": "99999"}))
    rec = step(run_one(small_ws, "eau"), "eau")
    assert rec.status == "waiting"
    assert "no result for this query" in rec.error and "code_commune=99999" in rec.error
    assert not fetches(small_ws, "eau") or not fetches(small_ws, "eau")[-1]["sha256"]


def test_hubeau_refuses_a_next_link_to_another_origin(small_ws: Workspace, hubeau: Server) -> None:
    hubeau.served.state["cursor"] = True
    add_source(small_ws, "eau", hubeau_source(hubeau, size=500, api=hubeau.url.replace("127.0.0.1", "localhost")))
    rec = step(run_one(small_ws, "eau"), "eau")
    assert rec.status == "failed" and "`next` link leaves the API" in rec.error
