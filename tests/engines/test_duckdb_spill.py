"""Where DuckDB spills (``engine_options.temp_directory``), and its real refusals: a spill the
kernel refuses to write, and a spill folder full, are recognised by DuckDB's exception types."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from territoria.core.errors import ConfigError
from territoria.engines import open_engine
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.engines.duckdb.spill import refusal

#: a sort of ~3 M short strings: more than a 50 MB memory limit holds (it spills), far more than 20 MB
SPILLING = "SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) m FROM range(3000000) t(i) ORDER BY m)"


def _setting(engine: DuckDBEngine, name: str) -> str:
    return str(engine.fetch_all(f"SELECT current_setting('{name}')")[0][0])


def test_a_relative_temp_directory_is_the_workspace_s_and_is_created(tmp_path: Path) -> None:
    store = tmp_path / "ws" / ".territoria" / "store"
    store.mkdir(parents=True)
    engine = open_engine("duckdb", store, temp_directory="spill/duckdb", memory_limit="50MB", threads=1)
    assert isinstance(engine, DuckDBEngine)
    try:
        assert _setting(engine, "temp_directory") == str(tmp_path / "ws" / "spill" / "duckdb")
        assert (tmp_path / "ws" / "spill" / "duckdb").is_dir()
        assert engine.fetch_all(SPILLING) == [(3000000,)]  # spilled there, and cleaned up
    finally:
        engine.close()


def test_an_absolute_temp_directory_is_taken_as_is(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    engine = open_engine("duckdb", tmp_path / "store", temp_directory=str(tmp_path / "elsewhere"))
    assert isinstance(engine, DuckDBEngine)
    try:
        assert _setting(engine, "temp_directory") == str(tmp_path / "elsewhere")
    finally:
        engine.close()


@pytest.mark.parametrize("where", ["a_file", "a_file/below"])
def test_a_temp_directory_that_is_no_writable_folder_is_a_config_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(ConfigError, match=r"engine_options\.temp_directory .* is not a folder territoria can write in"):
        open_engine("duckdb", tmp_path / "store", temp_directory=str(tmp_path / where))


def test_a_full_spill_folder_is_duckdb_s_out_of_memory() -> None:
    """The spill folder capped (``engine_options.max_temp_directory_size``) under a memory limit
    the statement runs in when it may spill (the test above)."""
    engine = open_engine("duckdb", None, memory_limit="50MB", threads=1, max_temp_directory_size="1MB")
    assert isinstance(engine, DuckDBEngine)
    try:
        assert _setting(engine, "max_temp_directory_size") == "976.5 KiB"  # 1 MB is 10^6 bytes
        with pytest.raises(duckdb.OutOfMemoryException) as caught:
            engine.fetch_all(SPILLING)
    finally:
        engine.close()
    assert refusal(caught.value) == "memory"


def test_a_spill_the_kernel_refuses_to_write_is_a_refusal(tmp_path: Path) -> None:
    """The kernel refuses the spill file's growth (a file size limit: EFBIG, as a full disk is
    ENOSPC), in a process of its own; a read refused, or a bug's error, is no refusal."""
    script = textwrap.dedent(
        f"""
        import resource, signal
        from territoria.engines.duckdb.engine import DuckDBEngine
        from territoria.engines.duckdb.spill import refusal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        engine = DuckDBEngine(None, memory_limit="20MB", threads=1, temp_directory={str(tmp_path / "spill")!r})
        try:
            engine.fetch_all({SPILLING!r})
        except Exception as exc:
            print(type(exc).__name__, refusal(exc), exc, sep="|")
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    kind, verdict, message = out.stdout.strip().split("|", 2)
    assert (kind, verdict) == ("IOException", "write"), out.stdout + out.stderr
    assert message.startswith("IO Error: Could not write file") and message.endswith("File too large")
    assert refusal(duckdb.IOException('IO Error: Cannot open file "/srv/x.parquet": Permission denied')) is None
    assert refusal(ValueError("No space left on device")) is None
    spill = tmp_path / ".territoria" / "store" / "store.duckdb.tmp" / "duckdb_temp_storage_DEFAULT-0.tmp"
    opened = duckdb.IOException(f'IO Error: Cannot open file "{spill}": Permission denied')
    assert refusal(opened) is None and refusal(opened, tmp_path / ".territoria") == "write"  # in territoria's folder


@pytest.mark.parametrize("size", ["10GB", "10 GB", "1.5gb", "512MiB", "0GB"])
def test_the_spill_folder_is_capped_by_a_size(tmp_path: Path, size: str) -> None:
    engine = open_engine("duckdb", tmp_path, max_temp_directory_size=size)
    assert isinstance(engine, DuckDBEngine)
    try:
        expected = duckdb.connect(config={"max_temp_directory_size": size})
        assert _setting(engine, "max_temp_directory_size") == str(
            expected.execute("SELECT current_setting('max_temp_directory_size')").fetchall()[0][0]
        )
    finally:
        engine.close()


@pytest.mark.parametrize("size", ["10", "lots", "-1GB", "90%", 10, "10 GB of disk", ""])
def test_a_spill_cap_that_is_no_size_is_a_config_error(tmp_path: Path, size: object) -> None:
    """DuckDB takes ``-1GB`` as no cap at all (16383.9 PiB), and a number without a unit as a
    parser error in the middle of opening the store: both refused first, with what to write."""
    with pytest.raises(ConfigError, match=r"engine_options\.max_temp_directory_size .* is not a size") as caught:
        open_engine("duckdb", tmp_path, max_temp_directory_size=size)
    assert caught.value.hint is not None and "10GB" in caught.value.hint


def test_an_unknown_engine_option_is_a_config_error_with_the_close_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_temp_dir_size") as caught:
        open_engine("duckdb", tmp_path, max_temp_dir_size="10GB")
    assert caught.value.hint is not None and "max_temp_directory_size" in caught.value.hint
