"""Files of JSON replaced whole go through one writer (``core.jsonfile.write_json``): readers see
the old or the new content, the file is the owner's alone, and a call leaves no reference cycle
(``json.dump`` encodes with the pure-Python encoder, whose recursive closures leave one per call:
the daemon saves its state every tick, the API writes the audit log's head per audited request)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from territoria.core.jsonfile import TEMP_NAME, drop_stale_temps, write_json
from territoria.daemon.state import DaemonState
from territoria.engines.spark.catalog import StoreCatalog, TableEntry
from territoria.governance.personal.keys import Keyring
from territoria.governance.personal.versions import Versions
from territoria.testing.cycles import cyclic_garbage

DATA = {"b": [1, 2.5, None, {"c": "é"}], "a": {"nested": [[1], [2]]}}


def test_write_json_replaces_the_file_whole_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old", encoding="utf-8")
    write_json(path, DATA, sort_keys=True, ensure_ascii=False)
    assert json.loads(path.read_text(encoding="utf-8")) == DATA
    assert path.read_text(encoding="utf-8").index('"a"') < path.read_text(encoding="utf-8").index('"b"')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_data_json_cannot_encode_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_json(path, {"kept": True})
    with pytest.raises(TypeError):
        write_json(path, {"when": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_write_json_leaves_no_reference_cycle(tmp_path: Path) -> None:
    assert cyclic_garbage(lambda: write_json(tmp_path / "x.json", DATA, sort_keys=True)) == 0


def test_the_daemon_state_leaves_no_reference_cycle(tmp_path: Path) -> None:
    state = DaemonState(next_due={"a": "2026-01-01T00:00:00"}, retries={"b": [1, "2026-01-01T00:00:00"]})
    assert cyclic_garbage(lambda: state.save(tmp_path)) == 0
    assert DaemonState.load(tmp_path) == state


def test_the_personal_keys_and_versions_leave_no_reference_cycle(tmp_path: Path) -> None:
    keys, versions = Keyring(tmp_path), Versions(tmp_path)
    assert cyclic_garbage(lambda: keys._save({"current": "k1", "keys": {"k1": {"secret": "00"}}})) == 0
    assert cyclic_garbage(lambda: versions.ingested("d", "sha", datetime(2026, 1, 1))) == 0
    assert versions.current("d") == ("sha", datetime(2026, 1, 1))


def test_the_spark_catalog_leaves_no_reference_cycle(tmp_path: Path) -> None:
    catalog = StoreCatalog(tmp_path / "warehouse", {"staging"}, {("staging", "t"): TableEntry("t-1", ["id"])})
    assert cyclic_garbage(catalog.save) == 0
    loaded = StoreCatalog.load(tmp_path / "warehouse")
    assert loaded.tables == catalog.tables and loaded.schemas == {"staging"}


def _dead_pid() -> int:
    """The id of a process that has ended (and was reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(done.stdout)


def test_a_temporary_file_names_its_writer_and_only_a_dead_writers_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed between writing and renaming leaves ``.<name>.<...>.tmp``: before, its name
    was mkstemp's letters alone, and nothing told a dead writer's file from a live one's."""
    path = tmp_path / "stats.json"
    seen: list[str] = []

    def killed(src: str, dst: str) -> None:  # the rename never happens: the file is left as a kill leaves it
        seen.append(Path(src).name)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        write_json(path, DATA)
    monkeypatch.undo()
    (name,) = seen
    found = TEMP_NAME.fullmatch(name)
    assert found is not None and found["target"] == "stats.json" and int(found["pid"]) == os.getpid()
    dead, live = f".stats.json.pid{_dead_pid()}.abc_12.tmp", f".stats.json.pid{os.getppid()}.def34.tmp"
    mine = f".ids.json.pid{os.getpid()}.xyz.tmp"  # another thread of this process may be writing it
    for n in (dead, live, mine, ".obs.parquet.tmp", "stats.json"):
        (tmp_path / n).write_text("{", encoding="utf-8")
    assert drop_stale_temps(tmp_path) == [tmp_path / dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live, mine, ".obs.parquet.tmp", "stats.json"])
    assert drop_stale_temps(tmp_path / "absent") == []
