"""Local file connector: change detection by size and mtime, then by content hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from territoria.connectors.spec import FetchContext, FetchRecord, FetchResult
from territoria.core.errors import ConfigError, SourceError, WaitingForData


class FileOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    format: str = "csv"
    #: reader options (delimiter, encoding, header_row, sheet, crs...), see connectors.formats
    read: dict[str, Any] = {}


class FileConnector:
    kind: ClassVar[str] = "file"
    Options: ClassVar[type[BaseModel]] = FileOptions

    def resolve(self, options: FileOptions, root: Path) -> Path:
        if "://" in options.path and not options.path.startswith("file://"):
            raise ConfigError(
                f"{options.path!r} is not a local path",
                hint="use `kind: http` for files served over HTTP(S)",
            )
        raw = Path(options.path.removeprefix("file://"))
        path = (raw if raw.is_absolute() else root / raw).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ConfigError(
                f"{options.path!r} points outside the workspace",
                hint="copy the file into the workspace (for instance under data/) and reference it from there",
            )
        return path

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, FileOptions)
        path = self.resolve(options, ctx.workspace_root)
        url = str(path.relative_to(ctx.workspace_root.resolve()))
        if not path.is_file():
            # a file the team has not dropped in yet: the step waits (see `territoria sources status`)
            raise WaitingForData(
                f"source file {url} does not exist",
                hint=f"put the file there (`territoria sources status` says where to get it) or fix `source.path` "
                f"in sources/{ctx.dataset}.yaml",
            )
        stat = path.stat()
        prev = ctx.previous_state or {}
        if (
            prev.get("size") == stat.st_size
            and prev.get("mtime_ns") == stat.st_mtime_ns
            and prev.get("sha256")
            and ctx.landing.has(prev["sha256"])
        ):
            record = FetchRecord(ctx.dataset, self.kind, url, "unchanged (size and mtime)", False, 0, prev["sha256"])
            return FetchResult(False, prev["sha256"], prev, record)
        try:
            landed = ctx.landing.put_file(path)
        except OSError as exc:  # unreadable, or gone between the check and the copy: the user's file, not a bug
            raise SourceError(
                f"source file {url} cannot be read: {exc.strerror or exc}",
                hint="give the territoria process read access to the file (or fix `source.path` in "
                f"sources/{ctx.dataset}.yaml), then run again",
            ) from exc
        changed = landed.sha256 != prev.get("sha256")
        state = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": landed.sha256}
        status = "new content" if changed else "unchanged (same content hash)"
        record = FetchRecord(ctx.dataset, self.kind, url, status, changed, landed.size, landed.sha256)
        return FetchResult(changed, landed.sha256, state, record, landed)
