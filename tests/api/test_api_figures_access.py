"""No figure about a dataset reaches a caller who may not read it: the footprint views and the run
history give such a caller the same answer whatever the dataset's recorded figures (its rows,
bytes, times, memory, energy and landed size), while an administrator's answer follows them.

Each example rewrites the figures of the steps over the closed datasets in the store and in the
published snapshot (and the run totals that add them up, and the size of their landed payloads),
then asks every route again with a fresh app."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import yaml
from api_support import PERSONAL, RESTRICTED, auth
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from territoria.api import create_app
from territoria.core.vocab import AccessLevel
from territoria.governance.figures import datasets_of, step_visible
from territoria.publication.snapshot import current_snapshot
from territoria.workspace import Workspace

META = "_territoria"
ROUTES = (
    "/api/footprint",
    "/api/footprint/runs",
    "/api/footprint/packs",
    "/api/footprint/top?n=200",
    "/api/footprint/trend",
    "/api/footprint/datasets",
    "/api/footprint/datasets/densite_population",
    "/api/runs",
    # every other public route that says something of datasets
    "/api/catalog",
    f"/api/catalog/{RESTRICTED}",
    f"/api/catalog/{PERSONAL}",
    "/api/catalog/densite_population",
    f"/api/datasets/{RESTRICTED}",
    f"/api/datasets/{PERSONAL}",
    "/api/indicators",
    "/api/indicators/densite_population",
    "/api/indicators/densite_population/lineage",
    "/api/dcat.jsonld",
    "/api/dcat.ttl",
    "/ogc/collections",
    "/healthz",
    "/readyz",
    "/sta/v1.1",
)
#: who may not read which of the test workspace's closed datasets
BLIND_TO = {
    None: {RESTRICTED, PERSONAL},
    "public": {RESTRICTED, PERSONAL},
    "contractor": {RESTRICTED, PERSONAL},
    "agent": {PERSONAL},
    "partner": {PERSONAL},
}


@dataclass(frozen=True)
class Figures:
    """What a closed dataset's steps recorded, and the size of its landed payload."""

    wall_s: float
    cpu_s: float
    rows: int
    bytes: int
    rss: int
    energy_wh: float
    landed: int


FIGURES = st.builds(
    Figures,
    wall_s=st.floats(0.01, 1e4),
    cpu_s=st.floats(0.01, 1e4),
    rows=st.integers(100, 10**9),
    bytes=st.integers(10**4, 10**12),
    rss=st.integers(10**6, 10**11),
    energy_wh=st.floats(1e-3, 1e3),
    landed=st.integers(100, 50_000),
)


def _over(step: dict[str, Any], closed: set[str]) -> bool:
    """Whether a step record reads or writes one of ``closed`` (its published copy included)."""
    names = [*json.loads(step["inputs"] or "{}"), *json.loads(step["outputs"] or "{}"), step["step"].split(":")[-1]]
    return any(n.removeprefix("published.") in closed for n in names)


def _band(value: float) -> dict[str, float]:
    return {"value": value, "low": value / 2, "high": value * 2}


def _schedule(
    steps: list[dict[str, Any]], closed: set[str], wall_s: float
) -> tuple[dict[tuple[str, str, datetime], tuple[datetime, datetime]], dict[str, timedelta]]:
    """The times of every step when the steps over ``closed`` take ``wall_s`` seconds each: the
    steps of a run follow one another, so every step after one of those starts (and ends) later
    or earlier by the change. (run, step, old start) -> (new start, new end); run -> its shift."""
    moved: dict[tuple[str, str, datetime], tuple[datetime, datetime]] = {}
    shifts: dict[str, timedelta] = {}
    for s in sorted(steps, key=lambda s: (s["run_id"], s["started_at"])):
        shift = shifts.get(s["run_id"], timedelta(0))
        took = s["ended_at"] - s["started_at"] if s["ended_at"] is not None else timedelta(seconds=s["wall_s"] or 0)
        start = s["started_at"] + shift
        if _over(s, closed):
            shift += timedelta(seconds=wall_s) - took
            took = timedelta(seconds=wall_s)
        moved[(s["run_id"], s["step"], s["started_at"])] = (start, start + took)
        shifts[s["run_id"]] = shift
    return moved, shifts


def _move_times(
    store: Any, steps: list[dict[str, Any]], closed: set[str], wall_s: float
) -> tuple[dict[str, timedelta], dict[str, str]]:
    """Every step's start and end as ``_schedule`` moves them, and the datasets' last updates
    recorded as a step's start (or, in former stores, its end) with them; returns each run's shift
    and the times moved (old ISO time -> new), for the snapshot's catalog."""
    moved, shifts = _schedule(steps, closed, wall_s)
    times: dict[str, str] = {}
    for s in steps:
        start, end = moved[(s["run_id"], s["step"], s["started_at"])]
        for old, new in ((s["started_at"], start), (s["ended_at"], end)):
            if old is not None and old != new:
                times[old.isoformat()] = new.isoformat()
                store.execute(
                    f"UPDATE {META}.datasets SET updated_at = ? WHERE run_id = ? AND step = ? AND updated_at = ?",
                    [new, s["run_id"], s["step"], old],
                )
        store.execute(
            f"UPDATE {META}.step_runs SET started_at = ?, ended_at = ? "
            "WHERE run_id = ? AND step = ? AND started_at = ?",
            [start, end if s["ended_at"] is not None else None, s["run_id"], s["step"], s["started_at"]],
        )
    return shifts, times


def vary(ws: Workspace, closed: Iterable[str], f: Figures) -> None:
    """Give the steps over ``closed`` the figures ``f``, in the store and the published snapshot,
    add them to their runs' totals, and make their landed payloads ``f.landed`` bytes long. A
    step's new duration moves the steps run after it, as a run would have: every time a run
    records of a step (its start, its end, a dataset's last update) moves with it, in the store
    and in the snapshot's catalog (``_catalog``), and the catalog counts the rows ``f`` says."""
    closed = set(closed)
    store = duckdb.connect(str(ws.store_dir / "store.duckdb"))
    try:
        cols = [c[0] for c in store.execute(f"SELECT * FROM {META}.step_runs LIMIT 0").description]
        steps = [dict(zip(cols, r, strict=True)) for r in store.execute(f"SELECT * FROM {META}.step_runs").fetchall()]
        extra: dict[str, float] = {}
        shifts, times = _move_times(store, steps, closed, f.wall_s)
        for s in steps:
            if not _over(s, closed):
                continue
            fp = json.loads(s["footprint"])
            fp.update(energy_wh=_band(f.energy_wh), co2e_g=_band(f.energy_wh * 0.05))
            fp.update(wall_s=f.wall_s, cpu_s=f.cpu_s, peak_rss_bytes=f.rss, fetched_bytes=f.landed)
            measured = [f.wall_s, f.cpu_s, f.rows, f.rows, f.rows // 7, f.bytes, f.bytes, f.rss]
            store.execute(
                f"UPDATE {META}.step_runs SET wall_s = ?, cpu_s = ?, rows_in = ?, rows_out = ?, rows_quarantined = ?, "
                "bytes_read = ?, bytes_written = ?, peak_rss_bytes = ?, footprint = ? WHERE run_id = ? AND step = ?",
                [*measured, json.dumps(fp), s["run_id"], s["step"]],
            )
            extra[s["run_id"]] = extra.get(s["run_id"], 0.0) + 1
        for run_id, n in extra.items():
            (base,) = store.execute(f"SELECT footprint FROM {META}.runs WHERE run_id = ?", [run_id]).fetchall()[0]
            fp = json.loads(base)
            fp["energy_wh"] = _band(fp["energy_wh"]["value"] + n * f.energy_wh)
            shift = shifts.get(run_id, timedelta(0))
            store.execute(
                f"UPDATE {META}.runs SET wall_s = wall_s + ?, cpu_s = cpu_s + ?, ended_at = ended_at + ?, "
                "footprint = ? WHERE run_id = ?",
                [shift.total_seconds(), n * f.cpu_s, shift, json.dumps(fp), run_id],
            )
        for (sha,) in store.execute(
            f"SELECT DISTINCT sha256 FROM {META}.fetches WHERE dataset IN (SELECT unnest(?))", [sorted(closed)]
        ).fetchall():
            ws.landing.path(sha).write_bytes(b"x" * f.landed)
        snapshot = current_snapshot(ws.private)
        assert snapshot is not None
        meta = snapshot.path / "meta"
        store.execute(
            f"UPDATE {META}.datasets SET rows = ? WHERE name IN (SELECT unnest(?)) OR name IN (SELECT unnest(?))",
            [f.rows, sorted(closed), [f"published.{n}" for n in sorted(closed)]],
        )
        for table in ("runs", "datasets"):
            store.execute(f"COPY {META}.{table} TO '{meta / f'{table}.parquet'}' (FORMAT parquet)")
        (part,) = (meta / "step_runs").glob("*.parquet")  # one run, one part
        part.unlink()  # may be hard-linked: a new file, never the old one's bytes rewritten
        store.execute(f"COPY {META}.step_runs TO '{part}' (FORMAT parquet)")
    finally:
        store.close()
    _catalog(snapshot.path / "catalog.json", closed, f, times)


def _catalog(path: Path, closed: set[str], f: Figures, ends: dict[str, str]) -> None:
    """The snapshot's catalog as a run with the figures ``f`` writes it: the closed datasets'
    rows and quarantined rows, and every time that was a step's start or end (``ends``: old -> new,
    a dataset's ``updated_at`` and the sources' in every provenance and the DCAT feed) moved."""
    text = path.read_text(encoding="utf-8")
    for old, new in ends.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    catalog = json.loads(text)
    for doc in catalog["datasets"]:
        if doc["id"] in closed and doc.get("rows") is not None:
            doc.update(rows=f.rows, quarantined=f.rows // 7 if doc.get("quarantined") else doc.get("quarantined"))
    path.unlink()  # may be hard-linked, as above
    path.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")


def answers(app: FastAPI, token: str | None, routes: Iterable[str]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            out: dict[str, Any] = {}
            for route in routes:
                r = await client.get(route, headers=auth(token))
                assert r.status_code == 200, (route, r.text)
                out[route] = r.json() if "json" in r.headers["content-type"] else r.text
            return out

    return asyncio.run(go())


def routes_of(ws: Workspace) -> list[str]:
    snapshot = current_snapshot(ws.private)
    assert snapshot is not None
    return [*ROUTES, f"/api/runs/{snapshot.run_id}"]


class Bench:
    """A pristine copy of the built workspace and every role's answers on it; each example works on
    a fresh copy of it, with closed figures of its own."""

    def __init__(self, pristine: Path, tokens: dict[str, str], prepare: Callable[[FastAPI], None]) -> None:
        self.pristine, self.tokens, self.prepare = pristine, tokens, prepare
        self.examples = 0
        self.routes = routes_of(Workspace(pristine))
        app = self.app(pristine)
        self.before = {role: self.ask(app, role) for role in [*BLIND_TO, "admin"]}

    def app(self, root: Path) -> FastAPI:
        made = create_app(root)
        self.prepare(made)
        return made

    def ask(self, app: FastAPI, role: str | None) -> dict[str, Any]:
        return answers(app, self.tokens[role] if role else None, self.routes)

    def vary(self, closed: set[str], figures: Figures) -> FastAPI:
        self.examples += 1
        root = self.pristine.parent / f"example-{self.examples}"
        shutil.copytree(self.pristine, root)
        vary(Workspace(root), closed, figures)
        return self.app(root)

    def check(self, closed: set[str], figures: Figures, blind_to: dict[str | None, set[str]]) -> set[str]:
        """Vary ``closed``'s figures; every role blind to all of them must answer exactly as before.
        Returns the routes whose answer to an administrator changed."""
        app = self.vary(closed, figures)
        checked = [role for role, blind in blind_to.items() if closed <= blind]
        assert checked
        moved = []
        for role in checked:
            after = self.ask(app, role)
            moved += [(role, route) for route in self.routes if after[route] != self.before[role][route]]
        assert not moved, f"answers that follow figures of {sorted(closed)}: {moved}"
        admin = self.ask(app, "admin")
        return {r for r in self.routes if admin[r] != self.before["admin"][r]}


def _nothing(_app: FastAPI) -> None:
    return None


@pytest.fixture
def bench(built_ws: Workspace, tokens: dict[str, str], tmp_path: Path) -> Bench:
    pristine = tmp_path / "pristine"
    shutil.copytree(built_ws.root, pristine, ignore=shutil.ignore_patterns("*.wal"))
    return Bench(pristine, tokens, _nothing)


#: no shrinking: every example asks ~25 routes for 7 roles, and the failure names the routes
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(figures=FIGURES, closed=st.sampled_from([{PERSONAL}, {RESTRICTED}, {RESTRICTED, PERSONAL}]))
def test_no_route_changes_with_the_figures_of_a_dataset_the_caller_may_not_read(
    bench: Bench, figures: Figures, closed: set[str]
) -> None:
    changed = bench.check(closed, figures, BLIND_TO)
    # the administrator reads them all: every aggregate follows, and the closed datasets' pages
    pages = {f"/api/{kind}/{d}" for kind in ("catalog", "datasets") for d in closed}
    assert changed >= {*ROUTES[:6], "/api/runs", bench.routes[-1], *pages}, changed
    assert "/api/footprint/datasets/densite_population" not in changed  # made of open data only


def test_a_caller_still_sees_the_figures_of_what_it_reads(bench: Bench) -> None:
    """The property is not met by hiding everything: the open steps' figures stay."""
    anonymous = bench.before[None]
    top = {row["name"]: row for row in anonymous["/api/footprint/top?n=200"]["data"]}
    assert "indicator:densite_population" in top and top["indicator:densite_population"]["energy"]["value"] > 0
    assert "ingest:beneficiaires-aides" not in top and f"ingest:{RESTRICTED}" not in top
    (run,) = anonymous["/api/runs"]["runs"]
    assert run["wall_s"] is None and run["cpu_s"] is None  # the run ingested the closed sources
    steps = {s["step"]: s for s in anonymous[bench.routes[-1]]["steps"]}
    assert steps["indicator:densite_population"]["rows_out"] > 0 and steps["indicator:densite_population"]["wall_s"]
    assert steps[f"ingest:{PERSONAL}"]["wall_s"] is None and steps[f"ingest:{PERSONAL}"]["ended_at"] is None
    storage = anonymous["/api/footprint"]["data"]["storage"]
    assert storage["landing_bytes"] > 0 and storage["store_bytes"] is None
    agent = {s["step"]: s for s in bench.before["agent"][bench.routes[-1]]["steps"]}
    assert agent[f"ingest:{RESTRICTED}"]["wall_s"] and agent[f"ingest:{PERSONAL}"]["wall_s"] is None
    admin = bench.before["admin"]
    assert admin["/api/runs"]["runs"][0]["wall_s"] > 0 and admin["/api/footprint"]["data"]["storage"]["store_bytes"]


#: the indicator released by a signed declassification, and what it is made from once its
#: population source is personal: the source, the model over it and the other indicator
RELEASED = "densite_population"
MADE_FROM = {"population-communes", "communes", "population"}


def _population_is_personal(app: FastAPI) -> None:
    pub = app.state.territoria.source.get()
    pub.datasets["population-communes"] = replace(pub.datasets["population-communes"], access=AccessLevel.personal)


@pytest.fixture
def released(built_ws: Workspace, tokens: dict[str, str], tmp_path: Path) -> Bench:
    """The built workspace with the population source personal and the density indicator, made
    from it, released to everyone by a declassification signed in policies.yaml."""
    pristine = tmp_path / "pristine"
    shutil.copytree(built_ws.root, pristine, ignore=shutil.ignore_patterns("*.wal"))
    policies = pristine / "policies.yaml"
    data = yaml.safe_load(policies.read_text(encoding="utf-8"))
    data["declassify"] = [{"dataset": RELEASED, "level": "open", "by": "J. Martin, DPO", "why": "densities only"}]
    policies.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Bench(pristine, tokens, _population_is_personal)


@SETTINGS
@given(figures=FIGURES)
def test_a_released_dataset_costs_nothing_of_its_restricted_inputs(released: Bench, figures: Figures) -> None:
    blind = {role: MADE_FROM | closed for role, closed in BLIND_TO.items()}
    changed = released.check(MADE_FROM, figures, blind)
    assert f"/api/footprint/datasets/{RELEASED}" in changed  # the administrator's cost has them


def test_a_released_dataset_shows_its_visible_share(released: Bench) -> None:
    cost = released.before[None][f"/api/footprint/datasets/{RELEASED}"]["data"]
    steps = {c["step"] for c in cost["contributions"]}
    # the referential's ingest is read by the personal model only, but its figures are its own
    assert steps == {"model:surface_communes", "ingest:contours-communes", "ingest:communes-referentiel"}, steps
    # the population's ingest, the model over it and the indicator's own step (it reads the model)
    assert cost["withheld_steps"] == 3 and cost["own_wh"]["value"] == 0  # its own step reads a personal input
    full = released.before["admin"][f"/api/footprint/datasets/{RELEASED}"]["data"]
    assert full["withheld_steps"] == 0 and full["refresh_wh"]["value"] > cost["refresh_wh"]["value"]


def test_a_step_is_made_of_what_it_read_wrote_and_is_named_after() -> None:
    ingest = {"step": "ingest:a", "inputs": json.dumps({"landing:0f": "0f"}), "outputs": {"a": "1:2"}}
    assert datasets_of(ingest) == ["a", "a"]  # the landed payload is its dataset's
    failed = {"step": "model:b", "inputs": None, "outputs": None}  # failed before recording them
    assert datasets_of(failed) == ["b"]
    model = {"step": "model:c", "inputs": '{"a": "1", "published.d": "2"}', "outputs": '{"c": "3"}'}
    assert step_visible(model, lambda n: n != "a") is False
    assert step_visible(model, lambda n: True) is True
