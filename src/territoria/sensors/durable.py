"""Files written to temporary names, fsync'd, renamed into place and their directories fsync'd.

Readers (the SensorThings API, the pipeline's ``sensors`` connector) never see half a file, and
what a commit returned from survives an OS crash: the listener acknowledges a batch only after it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Durable:
    """Files written to temporary names, made durable and renamed into place together.

    ``commit`` fsyncs every temporary file, renames them, then fsyncs their directories: after it
    returns, the files are on disk under their final names whatever happens to the machine.
    """

    def __init__(self) -> None:
        self.files: list[tuple[Path, Path]] = []

    def write(
        self, table: pa.Table, path: Path, metadata: dict[bytes, bytes] | None = None, row_group: int | None = None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        if metadata:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group)
        self.files.append((tmp, path))

    def commit(self) -> None:
        if not self.files:
            return
        _parallel(_fsync, [tmp for tmp, _ in self.files])
        dirs: dict[Path, None] = {}
        for tmp, path in self.files:
            os.replace(tmp, path)
            dirs[path.parent] = None
            # a new partition directory must itself be recorded in its parent
            dirs[path.parent.parent] = None
        self.files = []
        _parallel(lambda d: _fsync(d, directory=True), list(dirs))

    def discard(self) -> None:
        """Remove the temporary files of a commit that failed (or will not happen)."""
        for tmp, _ in self.files:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self.files = []


def _parallel(fn: Callable[[Path], None], paths: list[Path]) -> None:
    if len(paths) == 1:
        fn(paths[0])
        return
    with ThreadPoolExecutor(max_workers=min(16, len(paths))) as pool:
        list(pool.map(fn, paths))


def write_atomic(
    table: pa.Table, path: Path, metadata: dict[bytes, bytes] | None = None, row_group: int | None = None
) -> None:
    """Write one file durably (see ``Durable``)."""
    durable = Durable()
    durable.write(table, path, metadata, row_group)
    durable.commit()
