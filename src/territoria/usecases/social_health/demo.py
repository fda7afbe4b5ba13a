"""Inputs of the social and health pack.

``prepare`` (``territoria init``, any territory) writes the real INSEE Filosofi 2021 rows of the
workspace's communes: whole lines of the national files shipped with the pack, under their
original header, so the files in ``data/`` are INSEE's own bytes. ``prepare_demo`` adds the
inputs nothing real is shipped for (see ``synthetic.py``), labelled synthetic.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

from territoria.workspace import Workspace

COMMUNES_FILE = "filosofi-2021-communes.csv"
IRIS_FILE = "filosofi-2021-iris-disp.csv"


def shipped(name: str) -> Path:
    """A data file shipped with the pack."""
    return Path(str(resources.files("territoria.usecases.social_health") / "data" / name))


def _subset(source: Path, target: Path, keep: Callable[[bytes], bool]) -> int:
    """Write the header and the lines ``keep`` accepts, byte for byte; the number of rows kept."""
    with gzip.open(source, "rb") as raw:
        lines: Iterable[bytes] = iter(raw)
        header = next(iter(lines))
        kept = [line for line in lines if keep(line)]
    target.write_bytes(header + b"".join(kept))
    return len(kept)


def prepare(ws: Workspace) -> None:
    """Write the Filosofi rows (commune and IRIS files) of the workspace's communes into ``data/``."""
    codes = {c.encode() for c in ws.config.communes}
    data = ws.root / "data"
    data.mkdir(exist_ok=True)
    _subset(shipped(COMMUNES_FILE + ".gz"), data / COMMUNES_FILE, lambda line: line.split(b";", 1)[0] in codes)
    _subset(shipped("filosofi-2021-iris-disp.csv.gz"), data / IRIS_FILE, lambda line: line[:5] in codes)


def prepare_demo(ws: Workspace) -> None:
    """The Filosofi rows, and the synthetic inputs of the heat-vulnerability index."""
    from territoria.usecases.social_health.synthetic import write_cool_places, write_population_iris

    prepare(ws)
    codes = list(ws.config.communes)
    write_population_iris(ws.root / "data", codes)
    write_cool_places(ws.root / "data", codes)
