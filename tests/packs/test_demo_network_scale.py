"""The climate pack's demo network on a territory bigger or other than Rennes Métropole: at most
60 communes get a sensor (Bretagne's 1,202 made one sensor each, 16 million uplinks and over 5 GB
of memory), the rural reference lies in the territory and says so, and the sources' label counts
the sensors there are."""

from __future__ import annotations

from pathlib import Path

from territoria.core.yamlio import read_yaml
from territoria.reference.referential import referential
from territoria.usecases.climate_adaptation import demo
from territoria.workspace import init_workspace


def test_a_region_gets_a_network_of_its_most_populous_communes() -> None:
    bretagne = list(referential().region("53").communes)
    devices = demo.plan_network(bretagne)
    urban = [d for d in devices if d["role"] == "urbain"]
    assert len({d["commune"] for d in urban}) == demo.NETWORK_COMMUNES
    assert {"35238", "29019", "56121"} <= {d["commune"] for d in urban}  # Rennes, Brest, Lorient
    (reference,) = [d for d in devices if d["role"] == "reference_rurale"]
    assert reference["commune"] in bretagne


def test_elsewhere_the_reference_is_the_territorys(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "cinor", epci="249740119", packs=["climate_adaptation"])
    devices = demo.plan_network(ws.config.communes)
    assert {d["commune"] for d in devices} <= set(ws.config.communes)
    assert "langan" not in " ".join(d["thing"] for d in devices)
    demo.label_sensor_sources_synthetic(ws.root, len(devices))
    entry = read_yaml(ws.root / "sources" / "capteurs-reseau.yaml")
    assert f"network of {len(devices)} sensors" in entry["description"] and len(devices) == 4
