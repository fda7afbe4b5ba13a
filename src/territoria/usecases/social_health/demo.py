"""Inputs of the social and health pack.

``prepare`` (``territoria init``, any territory) writes the rows of the territory's départements
from INSEE's national Filosofi 2021 files shipped with the pack: whole lines under the original
header, INSEE's own bytes, read through the pack's Table Schemas as the national files would be.
``prepare_demo`` adds the inputs nothing real is shipped for (see ``synthetic.py``), labelled
synthetic.
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

from territoria.workspace import Workspace

COMMUNES_FILE = "filosofi-2021-communes.csv"
IRIS_FILE = "filosofi-2021-iris-disp.csv"
# Orders of magnitude of 2021 French residential prices, taxes included (electricity about
# 0.19 €/kWh, natural gas about 0.08 €/kWh PCS), for the demonstration only: a territory sets the
# SDES figures of its own (the parameters are to be filled, see pack.yaml).
DEMO_PRICES = {"prix_electricite_eur_mwh": 190.0, "prix_gaz_eur_mwh": 80.0}


def shipped(name: str) -> Path:
    """A data file shipped with the pack."""
    return Path(str(resources.files("territoria.usecases.social_health") / "data" / name))


def _departement(code: bytes) -> bytes:
    return code[:3] if code.startswith(b"97") else code[:2]


def prepare(ws: Workspace) -> None:
    """Write the Filosofi rows of the territory's départements (commune and IRIS files) into
    ``data/``: whole lines of INSEE's national files under their header, byte for byte; the models
    keep the territory's communes and IRIS. A département has IRIS rows even when none of the
    territory's communes is split into IRIS, so the IRIS source always loads; a territory INSEE
    does not cover (Mayotte) gets no file, and the pack waits for one."""
    deps = {_departement(c.encode()) for c in ws.config.communes}
    data = ws.root / "data"
    data.mkdir(exist_ok=True)
    for name in (COMMUNES_FILE, IRIS_FILE):
        with gzip.open(shipped(name + ".gz"), "rb") as raw:
            header = raw.readline()
            kept = [line for line in raw if _departement(line) in deps]
        if kept:
            (data / name).write_bytes(header + b"".join(kept))


def prepare_demo(ws: Workspace) -> None:
    """The Filosofi rows, and the synthetic inputs of the heat-vulnerability index."""
    from territoria.usecases.social_health.synthetic import write_cool_places, write_housing, write_population_iris
    from territoria.usecases.social_health.synthetic_air import write_atmo, write_station_measures

    prepare(ws)
    ws.set_parameters("social_health", DEMO_PRICES, only_unset=True)
    codes = list(ws.config.communes)
    write_population_iris(ws.root / "data", codes)
    write_cool_places(ws.root / "data", codes)
    write_housing(ws.root / "data", codes)
    write_station_measures(ws.root / "data", codes)
    write_atmo(ws.root / "data", codes)
