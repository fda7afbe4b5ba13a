"""RAPL counters read from a powercap tree (a real directory in tmp, same layout as /sys/class/powercap)."""

from __future__ import annotations

from pathlib import Path

from territoria.footprint.meter import StepMeter
from territoria.footprint.params import load_policy
from territoria.footprint.probes import RaplReader
from territoria.ledger import StepRecord


def zone(root: Path, name: str, label: str, energy: int, max_range: int = 262143328850) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(label + "\n")
    (d / "energy_uj").write_text(f"{energy}\n")
    (d / "max_energy_range_uj").write_text(f"{max_range}\n")
    return d


def powercap(tmp_path: Path) -> Path:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", "package-0", 1_000_000)
    zone(root, "intel-rapl:0:0", "core", 500_000)
    zone(root, "intel-rapl:0:1", "dram", 200_000)
    zone(root, "intel-rapl:1", "package-1", 9_000_000, max_range=10_000_000)
    return root


def test_reader_sums_packages_and_dram_and_handles_wraparound(tmp_path: Path) -> None:
    root = powercap(tmp_path)
    reader = RaplReader(root)
    assert reader.available
    assert sorted(z.name for z in reader.zones) == ["dram", "package-0", "package-1"]
    before = reader.read()
    (root / "intel-rapl:0" / "energy_uj").write_text("3000000\n")  # +2 J
    (root / "intel-rapl:0:0" / "energy_uj").write_text("9000000\n")  # core: inside the package, not added
    (root / "intel-rapl:0:1" / "energy_uj").write_text("700000\n")  # dram +0.5 J
    (root / "intel-rapl:1" / "energy_uj").write_text("1000000\n")  # wrapped: +2 J
    assert reader.joules_between(before, reader.read()) == 4.5


def test_no_powercap_means_no_reader(tmp_path: Path) -> None:
    assert not RaplReader(tmp_path / "absent").available
    unreadable = tmp_path / "pc"
    (unreadable / "intel-rapl:0").mkdir(parents=True)
    assert not RaplReader(unreadable).available


def test_meter_uses_rapl_when_readable(tmp_path: Path, small_ws) -> None:  # type: ignore[no-untyped-def]
    root = powercap(tmp_path)
    with small_ws.engine() as engine:
        from territoria.ledger import ensure_meta

        ensure_meta(engine)
        meter = StepMeter(load_policy({}), engine, {"model:x": "territory"}, rapl_root=root)
    rec = StepRecord("run", "model:x", "model", status="success", wall_s=1.0, cpu_s=0.5)
    probe = meter.start()
    (root / "intel-rapl:0" / "energy_uj").write_text(str(1_000_000 + 36_000_000))  # +36 J = 0.01 Wh
    fp = meter.finish(rec, probe)
    assert fp["method"] == "measured"
    assert fp["compute"].startswith("RAPL")
    assert fp["energy_wh"]["value"] == 0.01
    assert fp["energy_wh"]["low"] < 0.01 < fp["energy_wh"]["high"]
    assert fp["pack"] == "territory"
