"""``territoria up`` on a small workspace, as an operator runs it: a real process, a real broker,
a real SMTP server. A changed source file and new sensor observations each rebuild only what they
feed, on their own; the metrics move; a source left unrefreshed past its limit is notified by
e-mail, then its recovery; a backup taken while it runs restores; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from daemon_support import Mailbox, UpProcess, publish, small_workspace, uplinks, write_devices

from territoria.core.yamlio import write_yaml
from territoria.daemon.backup import restore_backup
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.pipelines import build_plan
from territoria.pipelines.plan import Plan
from territoria.sensors.broker import PrivateBroker
from territoria.workspace import Workspace
from territoria.workspace.policies import FILE, load_policies

pytestmark = pytest.mark.slow

POPULATION = "population-communes"
SENSOR_SOURCES = ["capteurs-reseau", "capteurs-temperature-horaire", "capteurs-temperature-journalier"]


def _operations(ws: Workspace, smtp_port: int, max_age: str) -> None:
    policies = load_policies(ws.root / FILE).model_dump(mode="json", exclude_unset=True)
    policies["operations"] = {
        "sensors_debounce": "1s",
        "alerts": {
            "max_age": {POPULATION: max_age},
            "email": {"host": "127.0.0.1", "port": smtp_port, "sender": "up@test.fr", "to": ["ops@test.fr"]},
        },
    }
    write_yaml(ws.root / FILE, policies)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "territoria.cli.main", *args], capture_output=True, text=True, timeout=120, check=False
    )


def _bump(csv: Path) -> None:
    """One more inhabitant in the first commune: the file's content changes."""
    header, first, *rest = csv.read_text(encoding="utf-8-sig").splitlines()
    cols = first.split(";")
    cols[2] = str(int(cols[2].replace(" ", "")) + 1)
    csv.write_text("\ufeff" + "\n".join([header, ";".join(cols), *rest]) + "\n", encoding="utf-8")


def _metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def _drive(
    up: UpProcess,
    ws: Workspace,
    plan: Plan,
    broker: PrivateBroker,
    mailbox: Mailbox,
    admin: str,
    tmp_path: Path,
    first_run_s: float = 60,
) -> Path:
    with ExitStack() as stack:
        port = up.wait_for("api.listening", timeout=30)["port"]
        first = up.wait_for("run.finished", timeout=first_run_s, trigger="start")
        assert f"ingest:{POPULATION}" in first["ran"]
        api = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10))
        assert api.get("/healthz").json()["supervisor"] is True
        assert api.get("/readyz").status_code == 200
        assert api.get("/metrics").status_code == 401  # operations data: an administrator's token reads it
        before = api.get("/metrics", headers={"Authorization": f"Bearer {admin}"}).text

        # a source file changes: its ingest and what it feeds run, nothing else
        csv = ws.root / "data" / f"{POPULATION}.csv"
        _bump(csv)
        changed = up.wait_for("run.finished", timeout=60, trigger="change")
        assert changed["sources"] == [POPULATION]
        assert f"ingest:{POPULATION}" in changed["ran"] and changed["status"] == "success"
        assert set(changed["ran"]) <= plan.select([POPULATION])

        # an MQTT stream: new observations refresh the sensor sources and what they feed
        publish(broker.port, uplinks(1, "2026-07-01T10:00:00Z") + uplinks(2, "2026-07-01T11:00:00Z"))
        sensed = up.wait_for("run.finished", timeout=60, trigger="sensors")
        assert set(sensed["sources"]) == set(SENSOR_SOURCES)
        assert "ingest:capteurs-temperature-horaire" in sensed["ran"] and sensed["status"] == "success"
        assert set(sensed["ran"]) <= plan.select(SENSOR_SOURCES)
        assert f"ingest:{POPULATION}" not in sensed["ran"]

        after = api.get("/metrics", headers={"Authorization": f"Bearer {admin}"}).text
        assert _metric(after, "territoria_runs_total") >= _metric(before, "territoria_runs_total") + 2
        assert _metric(after, "territoria_mqtt_observations_stored_total") >= 4
        ingested = f'territoria_steps_total{{kind="ingest",status="success",step="ingest:{POPULATION}"}}'
        assert _metric(after, ingested) >= 2
        assert "territoria_source_age_seconds" in after

        # the population file is not refreshed for longer than its limit: one e-mail, then its recovery
        late = mailbox.wait(lambda m: "ALERT" in m["Subject"] and POPULATION in m["Subject"], timeout=90)
        assert "late" in late["Subject"] and "ops@test.fr" in late["To"]
        _bump(csv)  # refreshed: the condition clears
        mailbox.wait(lambda m: "RECOVERED" in m["Subject"] and POPULATION in m["Subject"], timeout=90)

        # a backup while it runs
        archive = tmp_path / "ws.tar.gz"
        assert _cli("backup", "-w", str(ws.root), "-o", str(archive)).returncode == 0
    return archive


# the demo's first run inside `up` builds every pack (up to 300 s allowed by the test itself)
@pytest.mark.parametrize("workspace", ["small", pytest.param("demo", marks=pytest.mark.timeout(1200))])
def test_up_runs_each_flow_on_its_own_and_stops_cleanly(
    tmp_path: Path,
    broker: PrivateBroker,
    smtp: tuple[Mailbox, int],
    workspace: str,
    request: pytest.FixtureRequest,
) -> None:
    """On a three-commune workspace, and on the Rennes Métropole demo with every pack (its first run
    builds everything: 150 steps)."""
    mailbox, smtp_port = smtp
    if workspace == "small":
        ws = small_workspace(tmp_path / "ws")
    else:  # the session's demo template, asked for here only: the small case never pays for it
        ws = request.getfixturevalue("demo_copy")(tmp_path / "ws")
    write_devices(ws.root, broker.port)
    # a source is late past its limit; the limit must outlast a rerun of what the source feeds, or
    # the recovery is never seen (on the demo, dozens of steps: several seconds on a loaded machine)
    _operations(ws, smtp_port, "4s" if workspace == "small" else "20s")
    admin = AccessStore(ws.private / ACCESS_DB).add("prometheus", "admin", None)[1]
    plan = build_plan(ws)
    up = UpProcess(ws.root)
    try:
        archive = _drive(up, ws, plan, broker, mailbox, admin, tmp_path, 60 if workspace == "small" else 300)
    except BaseException:
        up.kill()
        raise
    code = up.terminate()
    assert code == 0, "\n".join(up.lines[-20:])
    events = [json.loads(line).get("event") for line in up.lines if line.startswith("{")]
    assert events[-2:] == ["stopping", "stopped"]
    state = json.loads((ws.private / "daemon" / "state.json").read_text())
    assert POPULATION in state["next_due"]
    restored = restore_backup(archive, tmp_path / "restored")  # taken while it ran: a whole workspace
    assert "data/population-communes.csv" in restored["files"] and ".territoria/store/store.duckdb" in restored["files"]
