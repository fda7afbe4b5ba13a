"""A full disk or a refused write while a step runs (DuckDB spilling a large statement beside the
store, a temporary file in ``.territoria/tmp``) fails that step with what could not be written
and what to free, not as an internal error with a traceback."""

from __future__ import annotations

import errno
import os
from typing import Any

import duckdb
import pytest

from territoria.engines.base import TableWrite
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.pipelines import run_pipeline
from territoria.pipelines.refusals import write_refused
from territoria.workspace import Workspace

#: a sort of ~3 M short strings: DuckDB spills it past a 50 MB memory limit
SPILLING = "SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) m FROM range(3000000) t(i) ORDER BY m)"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_refused_spill_fails_the_step_clearly(
    small_ws: Workspace, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """DuckDB's own error for the kernel's refusal, raised where the model's statement runs."""
    spill = small_ws.store_dir / "store.duckdb.tmp" / "duckdb_temp_storage_DEFAULT-0.tmp"
    create = DuckDBEngine.create_or_replace

    def refusing(self: DuckDBEngine, write: TableWrite) -> Any:
        if write.name == "surface_communes":
            raise duckdb.IOException(f'IO Error: Could not write file "{spill}": {os.strerror(code)}')
        return create(self, write)

    monkeypatch.setattr(DuckDBEngine, "create_or_replace", refusing)
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
    records = {r.step: r for r in summary.records}
    failed = records["model:surface_communes"]
    assert failed.status == "failed" and "traceback" not in failed.report, failed.error
    assert f'a file could not be written: IO Error: Could not write file "{spill}": {os.strerror(code)}' in (
        failed.error or ""
    )
    assert "internal error" not in (failed.error or "") and f"df -h {small_ws.private}" in (failed.error or "")


def test_a_read_refused_elsewhere_stays_an_internal_error(small_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """ "Permission denied" on a read outside the workspace is not taken for a full disk."""
    create = DuckDBEngine.create_or_replace

    def refusing(self: DuckDBEngine, write: TableWrite) -> Any:
        if write.name == "surface_communes":
            raise duckdb.IOException('IO Error: Cannot open file "/srv/x.parquet": Permission denied')
        return create(self, write)

    monkeypatch.setattr(DuckDBEngine, "create_or_replace", refusing)
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
    failed = next(r for r in summary.records if r.step == "model:surface_communes")
    assert (failed.error or "").startswith("internal error IOException") and "traceback" in failed.report


def test_a_spill_folder_full_fails_the_step_clearly(small_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB's real error when its spill folder is full (capped) under a memory limit, raised
    by a model's statement that spills: the engine ran out of memory, said with what to set."""
    create = DuckDBEngine.create_or_replace

    def spilling(self: DuckDBEngine, write: TableWrite) -> Any:
        if write.name == "surface_communes":
            # kept for the rest of the run (the other steps are small); the step's transaction is aborted
            self.execute("SET memory_limit = '50MB'")
            self.execute("SET max_temp_directory_size = '1MB'")
            self.fetch_all(SPILLING)
        return create(self, write)

    monkeypatch.setattr(DuckDBEngine, "create_or_replace", spilling)
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
    failed = next(r for r in summary.records if r.step == "model:surface_communes")
    assert failed.status == "failed" and "traceback" not in failed.report, failed.error
    assert (failed.error or "").startswith("the engine ran out of memory: Out of Memory Error")
    assert "engine_options.memory_limit" in (failed.error or "") and "engine_options.temp_directory" in (
        failed.error or ""
    )


def test_a_refusal_is_told_by_the_error_s_type_and_code_not_its_words(small_ws: Workspace) -> None:
    """PostgreSQL's full disk and out of memory by their SQLSTATE; a bug quoting the words is a bug."""
    import psycopg.errors

    disk = write_refused(small_ws, psycopg.errors.DiskFull('could not extend file "base/1/2": No space left on device'))
    assert disk is not None and str(disk).startswith("a file could not be written")
    assert "PostgreSQL server" in (disk.hint or "")
    memory = write_refused(small_ws, psycopg.errors.OutOfMemory("out of memory"))
    assert memory is not None and str(memory).startswith("the engine ran out of memory")
    assert write_refused(small_ws, ValueError(f"bad value: {os.strerror(errno.ENOSPC)}")) is None
    assert write_refused(small_ws, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/x")) is not None
