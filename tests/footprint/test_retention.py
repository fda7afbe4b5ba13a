"""Retention of raw landed versions: keep N (or days), never what current staging came from; zstd archive."""

from __future__ import annotations

import os
from datetime import timedelta

from territoria.engines.base import Engine
from territoria.footprint.retention import LandingRetention, archive, archive_path, prune, restore
from territoria.ledger import META, now
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace


def write_population(ws: Workspace, extra: int) -> None:
    path = ws.root / "data" / "population-communes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head, first, rest = lines[0], lines[1].split(";"), lines[2:]
    first[2] = str(1000 + extra)
    path.write_text("\n".join([head, ";".join(first), *rest]) + "\n", encoding="utf-8")
    os.utime(path, ns=(extra * 10**9 + 10**18, extra * 10**9 + 10**18))


def population_versions(engine: Engine) -> list[str]:
    rows = engine.fetch_all(
        f"SELECT sha256 FROM {META}.fetches WHERE dataset = 'population-communes' AND changed ORDER BY fetched_at"
    )
    return [r[0] for r in rows]


def test_keep_n_versions(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        for i in range(4):
            write_population(small_ws, i)
            assert run_pipeline(small_ws, engine).status == "success"
        versions = population_versions(engine)
        assert len(versions) == 4 and all(small_ws.landing.has(v) for v in versions)
        dry = prune(small_ws.landing, engine, LandingRetention(keep_versions=2), now(), dry_run=True)
        assert {sha for sha, _ in dry.removed} == set(versions[:2])
        assert all(small_ws.landing.has(v) for v in versions)
        result = prune(small_ws.landing, engine, LandingRetention(keep_versions=2), now())
        assert result.bytes_freed > 0
        assert [small_ws.landing.has(v) for v in versions] == [False, False, True, True]
        # the referential sources keep their only version
        assert run_pipeline(small_ws, engine).status == "success"


def test_days_keep_recent_versions(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        for i in range(3):
            write_population(small_ws, i)
            run_pipeline(small_ws, engine)
        versions = population_versions(engine)
        result = prune(small_ws.landing, engine, LandingRetention(keep_versions=1, days=1), now())
        assert result.removed == [] and all(small_ws.landing.has(v) for v in versions)
        later = now() + timedelta(days=3)
        result = prune(small_ws.landing, engine, LandingRetention(keep_versions=1, days=1), later)
        assert {sha for sha, _ in result.removed} == set(versions[:2])


def test_never_deletes_what_current_staging_came_from(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        write_population(small_ws, 1)
        assert run_pipeline(small_ws, engine).status == "success"
        good = population_versions(engine)[-1]
        path = small_ws.root / "data" / "population-communes.csv"
        for i in range(2):
            # truncated files: they land, fail to read, and staging keeps the good version
            path.write_text(f'CODGEO;LIBGEO;PMUN;ANNEE\n35238;"Rennes{i};1', encoding="utf-8")
            assert run_pipeline(small_ws, engine).status == "failed"
        versions = population_versions(engine)
        assert versions[0] == good and len(versions) == 3
        result = prune(small_ws.landing, engine, LandingRetention(keep_versions=1), now())
        assert small_ws.landing.has(good), "the version staging was built from must survive"
        assert {sha for sha, _ in result.removed} == {versions[1]}
        assert small_ws.landing.has(versions[2])  # the newest fetch is kept by the policy


def test_archive_compresses_old_versions_and_restores_them(rennes_ws: Workspace) -> None:
    small_ws = rennes_ws  # 43 communes: a file large enough for compression to pay
    with small_ws.engine() as engine:
        for i in range(3):
            write_population(small_ws, i)
            run_pipeline(small_ws, engine)
        versions = population_versions(engine)
        before = {v: small_ws.landing.path(v).read_bytes() for v in versions}
        result = archive(small_ws.landing, engine, LandingRetention())
        archived = {sha for sha, _, _ in result.archived}
        assert archived == set(versions[:2])  # the current one stays as is
        assert small_ws.landing.has(versions[2])
        assert result.bytes_after < result.bytes_before
        for v in versions[:2]:
            assert not small_ws.landing.has(v) and archive_path(small_ws.landing, v).exists()
        # prune reaches archived versions too
        pruned = prune(small_ws.landing, engine, LandingRetention(keep_versions=2), now())
        assert {sha for sha, _ in pruned.removed} == {versions[0]}
    restored = restore(small_ws.landing, versions[1])
    assert restored.read_bytes() == before[versions[1]]
    assert not archive_path(small_ws.landing, versions[1]).exists()
