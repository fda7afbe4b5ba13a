"""gzip, bz2 and zip payloads, opened transparently before a reader parses them.

Producers publish ``.csv.gz``, ``.geojson.bz2`` or a zip holding one CSV; portals serve them
with the wrong extension often enough that the compression is told by its magic bytes, never by
the name. The landed bytes stay as published (the landing area keeps what was fetched); the
decompressed copy goes to the reader's temporary directory.

Decompression is capped (``read.max_decompressed_bytes``, 2 GiB by default): a few kilobytes of
gzip can inflate to terabytes, and a bomb must fail the step with a clear error, not fill the disk.
"""

from __future__ import annotations

import bz2
import gzip
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from territoria.core.errors import ConfigError, DataError

GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
ZIP_MAGIC = b"PK\x03\x04"
DEFAULT_MAX_BYTES = 2 << 30
CHUNK = 1 << 20
#: a zip inside a gzip inside a zip is not a data file any producer publishes
MAX_LAYERS = 3
#: archive members that are never the data (macOS resource forks, readme files...)
NOT_DATA = ("__MACOSX/", ".DS_Store", "Thumbs.db")
DOC_SUFFIXES = (".md", ".pdf", ".html", ".htm", ".doc", ".docx", ".odt", ".rtf")
DOC_NAMES = ("readme", "lisezmoi", "licence", "license", "notice", "documentation")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def compression_of(path: Path) -> str | None:
    with path.open("rb") as fh:
        return _kind(fh.read(4))


def _kind(head: bytes) -> str | None:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZ2_MAGIC):
        return "bz2"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    return None


def max_bytes(options: dict[str, Any]) -> int:
    value = options.get("max_decompressed_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(
            f"`read.max_decompressed_bytes` must be a positive number of bytes, not {value!r}",
            hint=f"for instance {DEFAULT_MAX_BYTES} (2 GiB, the default)",
        )
    return value


def unwrap(path: Path, options: dict[str, Any], tmp_dir: Path, *, zip_is_data: bool = False) -> tuple[Path, list[str]]:
    """The path of the plain payload and the layers removed (``["gzip"]``, ``["zip"]``...).

    ``zip_is_data``: the format itself is a zip (XLSX), so a zip is not unwrapped.
    """
    limit = max_bytes(options)
    layers: list[str] = []
    current = path
    while (kind := compression_of(current)) and not (kind == "zip" and zip_is_data):
        if len(layers) == MAX_LAYERS:
            raise DataError(
                f"the file is compressed {len(layers) + 1} times over ({' > '.join([*layers, kind])})",
                hint="point the source at the data file itself",
            )
        out = tmp_dir / f"{path.name}.{len(layers) + 1}.unpacked"
        if kind == "zip":
            _unzip(current, out, options, limit)
        else:
            opener = gzip.open if kind == "gzip" else bz2.open
            with opener(current, "rb") as fin:
                _copy_capped(fin, out, limit, kind)
        if current != path:
            current.unlink()
        current = out
        layers.append(kind)
    return current, layers


def _copy_capped(fin: Readable, out: Path, limit: int, kind: str) -> None:
    written = 0
    try:
        with out.open("wb") as fout:
            while chunk := fin.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise DataError(
                        f"the {kind} file inflates to more than {_size(limit)} (a decompression bomb, or a "
                        "file bigger than the cap)",
                        hint="if the file is genuine, raise `read.max_decompressed_bytes` in the source; "
                        "the previous version is kept",
                    )
                fout.write(chunk)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        out.unlink(missing_ok=True)
        raise DataError(
            f"the {kind} file is corrupt or truncated ({exc})",
            hint="download it again; the previous version is kept",
        ) from exc
    except DataError:
        out.unlink(missing_ok=True)
        raise


def _unzip(path: Path, out: Path, options: dict[str, Any], limit: int) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            member = _member(zf, options.get("member"))
            with zf.open(member) as fin:
                _copy_capped(fin, out, limit, "zip")
    except zipfile.BadZipFile as exc:
        raise DataError(
            f"the zip archive is corrupt ({exc})", hint="download it again; the previous version is kept"
        ) from exc


def _member(zf: zipfile.ZipFile, chosen: Any) -> zipfile.ZipInfo:
    infos = [i for i in zf.infolist() if not i.is_dir() and not any(m in i.filename for m in NOT_DATA)]
    names = [i.filename for i in infos]
    if chosen:
        picked = [i for i in infos if i.filename == chosen or PurePosixPath(i.filename).name == chosen]
        if not picked:
            raise ConfigError(
                f"the zip has no member {chosen!r} (it holds: {', '.join(names[:10]) or 'nothing'})",
                hint="fix `read.member`",
            )
        return picked[0]
    data = [i for i in infos if not _is_doc(i.filename)]
    if len(data) == 1:
        return data[0]
    if not data:
        raise DataError(
            f"the zip archive holds no data file (found: {', '.join(names[:10]) or 'nothing'})",
            hint="check that the source points at the archive of the data",
        )
    raise DataError(
        f"the zip archive holds {len(data)} files ({', '.join(i.filename for i in data[:10])}): which one is the data?",
        hint="name it with `read: {member: NAME}` in the source",
    )


def _is_doc(name: str) -> bool:
    base = PurePosixPath(name).name.lower()
    return base.endswith(DOC_SUFFIXES) or base.startswith(DOC_NAMES)


def _size(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"


def inflate_sample(data: bytes, size: int) -> bytes:
    """The first ``size`` bytes of what a gzip or bz2 sample inflates to (a sample is cut short,
    so the stream is decoded incrementally, never to its end)."""
    kind = _kind(data[:4])
    if kind is None:
        return data
    if kind == "zip":
        raise DataError(
            "the file is a zip archive: its list of members is at its end, which a sample does not reach",
            hint="download it into the workspace (for instance data/) and propose from that path",
        )
    inflater = zlib.decompressobj(wbits=31) if kind == "gzip" else bz2.BZ2Decompressor()
    try:
        return bytes(inflater.decompress(data, size))
    except (OSError, zlib.error, EOFError) as exc:
        raise DataError(f"the {kind} file is corrupt ({exc})", hint="check the file") from exc


def open_sample(path: Path, size: int, options: dict[str, Any]) -> bytes:
    """The first ``size`` bytes of a local file's payload, through gzip, bz2 or a zip's data member."""
    kind = compression_of(path)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as zf, zf.open(_member(zf, options.get("member"))) as fh:
                return fh.read(size)
        except zipfile.BadZipFile as exc:
            raise DataError(f"the zip archive is corrupt ({exc})", hint="check the file") from exc
    with path.open("rb") as fh:
        return inflate_sample(fh.read(size if kind is None else 4 * size), size)
