"""The step meter: wraps every step of a run and attaches its footprint to the step record.

The runner already measures wall time, CPU time (process and children) and store growth; the
meter adds the step's own peak memory (the kernel's high-water mark, reset before the step),
its I/O counters, RAPL energy when readable, network bytes from the fetch record, and turns all
of it into energy and CO2e with their method and band. For a skipped step it also records what
the step's last real run cost, i.e. what sobriety avoided.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from territoria.engines.base import Engine
from territoria.footprint.codecarbon_offline import OfflineTracker
from territoria.footprint.energy import StepModel, Usage, band_of, describe, estimate, intensity_json, step_totals
from territoria.footprint.params import FootprintPolicy, intensity
from territoria.footprint.probes import POWERCAP, IoCounters, RaplReader, peak_rss_bytes, read_io, reset_peak_rss
from territoria.ledger import last_real_costs

NETWORK_SCHEMES = {"http", "https", "ftp", "ftps", "s3", "gs", "sftp", "mqtt", "mqtts"}


class StepLike(Protocol):
    step: str
    kind: str
    status: str
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    bytes_written: int
    report: dict[str, Any]


@dataclass
class Probe:
    io: IoCounters | None
    rapl: list[int] | None


def network_bytes(report: dict[str, Any]) -> int:
    """Bytes a fetch moved over the network; local files and the shipped referential move none."""
    fetch = report.get("fetch")
    if not fetch:  # most steps fetch nothing: no URL to parse (this runs after every step)
        return 0
    scheme = urlparse(str(fetch.get("url") or "")).scheme.lower()
    return int(fetch.get("bytes") or 0) if scheme in NETWORK_SCHEMES else 0


class StepMeter:
    def __init__(
        self,
        policy: FootprintPolicy,
        engine: Engine,
        packs: dict[str, str | None],
        *,
        rapl_root: Path = POWERCAP,
    ) -> None:
        self.policy = policy
        self.enabled = policy.enabled
        self.packs = packs
        self.intensity, self.intensity_label = intensity(policy)
        self.intensity_json = intensity_json(self.intensity, self.intensity_label)
        self.model = StepModel(policy.model, self.intensity, self.intensity_json)
        self.rapl = RaplReader(rapl_root) if self.enabled else RaplReader(Path("/nonexistent"))
        self.engine = engine
        self._last_real: dict[str, dict[str, Any]] | None = None
        self.run_rapl = self.rapl.read() if self.rapl.available else None
        self.peak = 0
        self.tracker = OfflineTracker(policy.grid) if self.enabled and policy.codecarbon else None
        #: the I/O counters read at the end of the last step, which the next one starts from
        self._io: IoCounters | None = None

    def start(self, *, fresh: bool = False) -> Probe | None:
        """Readings at the start of a step. The I/O counters are read once per step boundary: the
        previous step's closing reading opens this one (each reading of ``/proc/self/io`` walks
        every thread of the process), unless ``fresh`` (work was done since, a commit for one)."""
        if not self.enabled:
            return None
        reset_peak_rss()
        io = self._io if self._io is not None and not fresh else read_io()
        return Probe(io, self.rapl.read() if self.rapl.available else None)

    def finish(self, rec: StepLike, probe: Probe | None) -> dict[str, Any]:
        if probe is None:
            return {"method": "disabled"}
        io = self._io = read_io()
        joules = self.rapl.joules_between(probe.rapl, self.rapl.read()) if probe.rapl is not None else None
        rec.peak_rss_bytes = peak_rss_bytes()
        self.peak = max(self.peak, rec.peak_rss_bytes)
        fetch = rec.report.get("fetch") or {}
        net = network_bytes(rec.report)
        if joules is None and net == 0:
            result, spent_wh = self.model.describe(rec.wall_s, rec.cpu_s, rec.peak_rss_bytes)
        else:
            energy = estimate(Usage(rec.wall_s, rec.cpu_s, rec.peak_rss_bytes, net, joules), self.policy.model)
            result, spent_wh = describe(energy, self.intensity, self.intensity_json), energy.total_wh.value
        result.update(
            pack=self.packs.get(rec.step),
            wall_s=round(rec.wall_s, 6),
            cpu_s=round(rec.cpu_s, 6),
            peak_rss_bytes=rec.peak_rss_bytes,
            net_bytes=net,
            fetched_bytes=int(fetch.get("bytes") or 0),
            landing_bytes_added=int(fetch.get("landed_bytes") or 0),
            store_bytes_delta=rec.bytes_written,
        )
        if probe.io is not None and io is not None:
            result["io"] = {
                "read_bytes": io.rchar - probe.io.rchar,
                "written_bytes": io.wchar - probe.io.wchar,
                "disk_read_bytes": io.read_bytes - probe.io.read_bytes,
                "disk_written_bytes": io.write_bytes - probe.io.write_bytes,
            }
        if rec.status == "skipped":
            avoided = self._avoided(rec.step, spent_wh)
            if avoided:
                result["avoided"] = avoided
        return result

    @property
    def last_real(self) -> dict[str, dict[str, Any]]:
        # read on the first skip only: a run where everything works never pays for it
        if self._last_real is None:
            self._last_real = last_real_costs(self.engine)
        return self._last_real

    def _avoided(self, step: str, spent_wh: float) -> dict[str, Any] | None:
        last = self.last_real.get(step)
        if last is None:
            return None
        would = band_of(last["energy_wh"])
        return {
            "from_run": last["run_id"],
            "energy_wh": would.as_dict(),
            "co2e_g": band_of(last.get("co2e_g")).as_dict(),
            "net_bytes": int(last.get("net_bytes") or 0),
            "net_saved_wh": round(max(would.value - spent_wh, 0.0), 9),
        }

    def run_footprint(
        self, steps: list[dict[str, Any]], wall_s: float, cpu_s: float, *, store_bytes_delta: int = 0
    ) -> dict[str, Any]:
        """The run's own footprint (whole process, plan and records included) and its budget check."""
        if not self.enabled:
            return {"method": "disabled"}
        net = sum(int(s.get("net_bytes") or 0) for s in steps)
        joules = self.rapl.joules_between(self.run_rapl, self.rapl.read()) if self.run_rapl is not None else None
        energy = estimate(Usage(wall_s, cpu_s, self.peak or peak_rss_bytes(), net, joules), self.policy.model)
        result = describe(energy, self.intensity, self.intensity_json)
        totals = step_totals(steps)
        per_pack = totals.per_pack_wh
        result.update(
            wall_s=round(wall_s, 6),
            cpu_s=round(cpu_s, 6),
            peak_rss_bytes=self.peak,
            net_bytes=net,
            landing_bytes_added=sum(int(s.get("landing_bytes_added") or 0) for s in steps),
            store_bytes_delta=store_bytes_delta,
            steps_energy_wh=totals.energy_wh.as_dict(),
            per_pack_wh={k: round(v, 9) for k, v in sorted(per_pack.items())},
            avoided={"energy_wh": totals.avoided_wh.as_dict(), "co2e_g": totals.avoided_co2e_g.as_dict()},
            warnings=self.budget_warnings(energy.total_wh.value, per_pack),
        )
        if self.tracker is not None:
            result["cross_check"] = self.tracker.stop()
        return result

    def budget_warnings(self, run_wh: float, per_pack: dict[str, float]) -> list[str]:
        budget = self.policy.budget
        warnings = []
        if budget.run_wh is not None and run_wh > budget.run_wh:
            warnings.append(
                f"this run used {run_wh:.4g} Wh, over the territory's budget of {budget.run_wh:.4g} Wh per run"
            )
        for pack, limit in sorted(budget.pack_wh.items()):
            used = per_pack.get(pack, 0.0)
            if used > limit:
                warnings.append(f"pack {pack} used {used:.4g} Wh in this run, over its budget of {limit:.4g} Wh")
        return warnings
