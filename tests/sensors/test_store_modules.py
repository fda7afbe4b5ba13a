"""The sensor store's modules stay readable (CONTRIBUTING: split modules past ~500 lines): the
batches' writer (``store.py``) apart from the store's upkeep (``upkeep.py``: folds, recovery,
compaction), which the writer calls with its connection and store."""

from __future__ import annotations

from pathlib import Path

import territoria.sensors

SENSORS = Path(territoria.sensors.__file__).parent


def test_every_sensors_module_is_under_500_lines() -> None:
    lengths = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in SENSORS.glob("*.py")}
    assert {"store.py", "upkeep.py"} <= set(lengths)
    assert {name: n for name, n in lengths.items() if n > 500} == {}
