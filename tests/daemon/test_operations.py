"""The supervisor's parts, in process: cron overrides, the operations policy, alert de-duplication
over a real webhook, retries of transient failures only, and a restart that resumes the schedule."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from territoria.core.cron import Cron, CronError
from territoria.core.yamlio import write_yaml
from territoria.daemon.alerts import AlertBook
from territoria.daemon.metrics import Observatory
from territoria.daemon.state import DaemonState
from territoria.daemon.supervisor import Supervisor
from territoria.ledger import now
from territoria.pipelines.config_check import check_workspace
from territoria.testing.entries import catalog_entry, write_entry
from territoria.testing.ports import free_port
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.operations import Alerts, WebhookTarget
from territoria.workspace.policies import FILE, load_policies


def test_cron_expressions() -> None:
    friday = datetime(2026, 12, 4, 7, 50)  # a Friday
    assert Cron.parse("*/15 6-8 * * 1-5").next_after(friday) == datetime(2026, 12, 4, 8, 0)
    assert Cron.parse("0 6 * * 1").next_after(friday) == datetime(2026, 12, 7, 6, 0)
    assert Cron.parse("@daily").period(friday) == timedelta(days=1)
    # both day fields restricted: either fires (the 13th, or a Friday)
    assert Cron.parse("0 0 13 * 5").next_after(datetime(2026, 12, 5)) == datetime(2026, 12, 11)
    assert Cron.parse("0 0 29 2 *").next_after(friday) == datetime(2028, 2, 29)
    for bad, why in (("0 25 * * *", "hour"), ("* * *", "5"), ("*/0 * * * *", "step"), ("a * * * *", "minute")):
        with pytest.raises(CronError, match=why):
            Cron.parse(bad)


def _with_operations(ws: Workspace, operations: dict[str, Any]) -> None:
    policies = load_policies(ws.root / FILE).model_dump(mode="json", exclude_unset=True)
    write_yaml(ws.root / FILE, {**policies, "operations": operations})


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", communes=["35238", "35047"])


def test_config_validate_reports_operations_problems_by_line(ws: Workspace) -> None:
    _with_operations(
        ws, {"schedules": {"population-comunes": "0 6 * * 1"}, "alerts": {"max_age": {"communes-referentiel": "2d"}}}
    )
    problems = check_workspace(ws.root)
    assert [(p.file, p.message) for p in problems] == [
        ("policies.yaml", "operations.schedules: 'population-comunes' is not a source")
    ]
    assert "population-communes" in (problems[0].hint or "") and problems[0].line
    _with_operations(ws, {"schedules": {"population-communes": "0 6 * *"}, "retry": {"base": "soon"}})
    messages = " | ".join(p.message for p in check_workspace(ws.root))
    assert "has 4 fields" in messages and "'soon' is not a duration" in messages


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail: ClassVar[bool] = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if type(self).fail:
            self.send_response(500)
        else:
            type(self).received.append(body)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[type[Hook], str]]:
    handler = type("H", (Hook,), {"received": [], "fail": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _drain(book: AlertBook) -> None:
    assert book.wait_idle()


def test_alerts_are_sent_once_then_recovered_and_failed_deliveries_retried(hook: tuple[type[Hook], str]) -> None:
    handler, url = hook
    metrics = Observatory()
    book = AlertBook(Alerts(webhook=WebhookTarget(url=url)), {}, "Essai", metrics)
    try:
        handler.fail = True
        book.set("late", "population-communes", "not checked for 3 days")
        _drain(book)
        assert (
            handler.received == []
            and "territoria_alert_notifications_failed_total 1.0" in metrics.exposition().decode()
        )
        handler.fail = False
        for _ in range(3):  # the condition holds on every evaluation: delivered once
            book.set("late", "population-communes", "not checked for 3 days")
            _drain(book)
        assert [r["status"] for r in handler.received] == ["firing"]
        assert handler.received[0]["kind"] == "late" and handler.received[0]["subject"] == "population-communes"
        book.set("late", "population-communes", None)
        book.set("late", "population-communes", None)
        _drain(book)
        assert [r["status"] for r in handler.received] == ["firing", "resolved"]
        assert (
            'territoria_alerts_firing{kind="late",subject="population-communes"} 0.0' in metrics.exposition().decode()
        )
    finally:
        book.close()


def _http_source(ws: Workspace, port: int) -> None:
    source = {"kind": "http", "url": f"http://127.0.0.1:{port}/stations.csv", "format": "csv", "retries": 0}
    write_entry(ws.sources_dir, catalog_entry("stations", source, frequency="daily", access="open"))


def test_transient_failures_are_retried_with_backoff_data_errors_are_not(ws: Workspace) -> None:
    _http_source(ws, free_port())  # nothing listens there: connection refused, a transient failure
    _with_operations(ws, {"retry": {"attempts": 3, "base": "30s", "max": "45s"}})
    (ws.root / "data" / "population-communes.csv").write_text("pas;un;fichier\n", encoding="utf-8")
    sup = Supervisor(ws, api=False, sensors=False)
    try:
        sup._start()
        attempt, when = sup.state.retries["stations"]
        assert attempt == 1 and timedelta(seconds=25) < datetime.fromisoformat(when) - now() <= timedelta(seconds=30)
        assert "population-communes" not in sup.state.retries  # a data error waits for a change, not a retry
        assert sup.alerts.notified["step_failed:ingest:population-communes"]
        sup.state.retries["stations"][1] = now().isoformat()
        sup.tick()
        attempt, when = sup.state.retries["stations"]
        assert attempt == 2 and datetime.fromisoformat(when) - now() > timedelta(seconds=40)  # 60 s capped at 45
        sup.state.retries["stations"][1] = now().isoformat()
        sup.tick()
        assert "stations" not in sup.state.retries  # gave up: the next check is its next period
        assert sup.schedule.due_at("stations") > now() + timedelta(hours=23)
    finally:
        sup.alerts.close()


def test_a_restart_resumes_the_schedule_without_fetching_again(ws: Workspace) -> None:
    first = Supervisor(ws, api=False, sensors=False)
    first._start()
    first.alerts.close()
    assert "ingest:population-communes" in first.metrics.health.last_run["ran"]
    due = dict(first.state.next_due)
    assert datetime.fromisoformat(due["population-communes"]) > now() + timedelta(days=300)  # annual

    second = Supervisor(ws, api=False, sensors=False)
    second._start()
    second.alerts.close()
    assert DaemonState.load(ws.private).next_due == due
    assert not [s for s in second.metrics.health.last_run["ran"] if s.startswith("ingest:")]
