"""The HTTP download connector against Python's own file server, end to end through run_pipeline."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from territoria.connectors.http import HttpClient, HttpOptions
from territoria.landing import Landing
from territoria.workspace import Workspace

from .conftest import FAST, add_source, fetches, query, run_one, step, table
from .contract.files import FileServer, touch_later

CSV = "code;nom;valeur\n35238;Rennes;12,5\n35047;Bruz;3,25\n"
SCHEMA = {
    "fields": [
        {"name": "code", "type": "string"},
        {"name": "nom", "type": "string"},
        {"name": "valeur", "type": "number", "decimalChar": ","},
    ]
}


def setup(ws: Workspace, files: FileServer, **extra: object) -> None:
    (files.root / "valeurs.csv").write_text(CSV, encoding="utf-8")
    add_source(ws, "valeurs", {"kind": "http", "url": f"{files.url}/valeurs.csv", **FAST, **extra}, SCHEMA)


def landed_objects(ws: Workspace) -> set[Path]:
    return {p for p in (ws.private / "landing" / "objects").rglob("*") if p.is_file()}


def test_unchanged_file_is_not_downloaded_again(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    first = run_one(small_ws, "valeurs")
    assert step(first, "valeurs").status == "success"
    assert table(small_ws, "valeurs") == [("35047", "Bruz", 3.25), ("35238", "Rennes", 12.5)]

    second = run_one(small_ws, "valeurs")
    assert step(second, "valeurs").status == "skipped"
    records = fetches(small_ws, "valeurs")
    assert [r["changed"] for r in records] == [True, False]
    assert records[1]["status"] == "unchanged (HTTP 304 Not Modified)"
    assert records[1]["bytes"] == 0 and records[1]["request"]["conditional"] is True
    assert files.served.requests[-1].headers["if-none-match"] == records[0]["headers"]["etag"]

    (files.root / "valeurs.csv").write_text(CSV + "35206;Pacé;1,0\n", encoding="utf-8")
    touch_later(files.root / "valeurs.csv")
    third = run_one(small_ws, "valeurs")
    assert step(third, "valeurs").status == "success"
    assert fetches(small_ws, "valeurs")[-1]["status"] == "new content"
    assert len(table(small_ws, "valeurs")) == 3


def test_interrupted_download_never_lands(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    run_one(small_ws, "valeurs")
    before = landed_objects(small_ws)
    (files.root / "valeurs.csv").write_text(CSV * 3, encoding="utf-8")
    touch_later(files.root / "valeurs.csv")
    files.served.fault("/valeurs.csv", "truncate", "truncate", "truncate")

    summary = run_one(small_ws, "valeurs")
    rec = step(summary, "valeurs")
    assert rec.status == "failed"
    assert "failed 3 time(s)" in rec.error and "RemoteProtocolError" in rec.error
    assert landed_objects(small_ws) == before
    assert not any((small_ws.private / "landing" / "tmp").iterdir())
    assert table(small_ws, "valeurs") == [("35047", "Bruz", 3.25), ("35238", "Rennes", 12.5)]


def test_retry_after_is_honoured(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    files.served.fault("/valeurs.csv", "429")
    started = time.monotonic()
    summary = run_one(small_ws, "valeurs")
    assert step(summary, "valeurs").status == "success"
    assert time.monotonic() - started >= 1.0
    attempts = fetches(small_ws, "valeurs")[0]["request"]["attempts"]
    assert attempts == [{"status": "HTTP 429", "waited_s": 0.0}, {"status": "200", "waited_s": 1.0}]


def test_server_errors_are_retried_then_reported(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    files.served.fault("/valeurs.csv", "503", "503", "503")
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed" and "HTTP 503" in rec.error and "run again later" in rec.error
    assert len(files.served.hits("/valeurs.csv")) == 3


def test_404_is_a_clear_terminal_error(small_ws: Workspace, files: FileServer) -> None:
    add_source(small_ws, "absent", {"kind": "http", "url": f"{files.url}/absent.csv", **FAST})
    rec = step(run_one(small_ws, "absent"), "absent")
    assert rec.status == "failed"
    assert "answered HTTP 404" in rec.error and "hint: the dataset or resource no longer exists" in rec.error
    assert len(files.served.hits("/absent.csv")) == 1  # not retried


def test_empty_file_is_refused(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    (files.root / "valeurs.csv").write_bytes(b"")
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed" and "served an empty file" in rec.error
    assert not landed_objects(small_ws)


def test_html_error_page_is_refused(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    files.served.fault("/valeurs.csv", "html")
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed"
    assert "served an HTML page instead of data" in rec.error and "Erreur 500 - Portail" in rec.error
    assert not landed_objects(small_ws)


def test_a_body_over_max_bytes_is_refused_and_nothing_lands(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files, max_bytes=4096)
    run_one(small_ws, "valeurs")
    before = landed_objects(small_ws)
    (files.root / "valeurs.csv").write_text(CSV + "35206;Pacé;1,0\n" * 400, encoding="utf-8")  # 6.5 kB
    touch_later(files.root / "valeurs.csv")
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed"
    assert "sent more than 4096 bytes (once inflated: not compressed)" in rec.error and "raise `max_bytes`" in rec.error
    assert landed_objects(small_ws) == before
    assert not any((small_ws.private / "landing" / "tmp").iterdir())
    assert table(small_ws, "valeurs") == [("35047", "Bruz", 3.25), ("35238", "Rennes", 12.5)]  # kept


def test_a_compressed_body_is_capped_once_inflated(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files, max_bytes=1 << 20)
    files.served.fault("/valeurs.csv", "gzip-bomb:20000000")  # 20 MB of zeros in a ~20 kB answer
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed"
    assert f"sent more than {1 << 20} bytes (once inflated: gzip)" in rec.error
    assert not landed_objects(small_ws)
    assert not any((small_ws.private / "landing" / "tmp").iterdir())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://example.org/data.csv", "URL scheme 'ftp' is refused"),
        ("gopher://example.org/1/data", "URL scheme 'gopher' is refused"),
        ("file:///etc/passwd", "points outside the workspace"),
        ("file://../outside.csv", "points outside the workspace"),
        ("data.csv", "URL scheme '(none)' is refused"),
    ],
)
def test_hostile_urls_are_refused(small_ws: Workspace, url: str, expected: str) -> None:
    add_source(small_ws, "hostile", {"kind": "http", "url": url})
    rec = step(run_one(small_ws, "hostile"), "hostile")
    assert rec.status == "failed" and expected in rec.error
    assert "internal error" not in rec.error


def test_redirect_to_another_scheme_is_refused(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files)
    files.served.fault("/valeurs.csv", "redirect:ftp://example.org/valeurs.csv")
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed" and "redirected to a refused address" in rec.error
    assert len(files.served.hits("/valeurs.csv")) == 1


def test_file_url_inside_the_workspace_is_read(small_ws: Workspace) -> None:
    (small_ws.root / "data" / "local.csv").write_text(CSV, encoding="utf-8")
    add_source(small_ws, "local", {"kind": "http", "url": f"file://{small_ws.root}/data/local.csv"}, SCHEMA)
    assert step(run_one(small_ws, "local"), "local").status == "success"
    assert len(table(small_ws, "local")) == 2


def test_secrets_come_from_the_environment_and_are_never_recorded(
    small_ws: Workspace, files: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_TOKEN", "tok-s3cr3t-value")
    monkeypatch.setenv("TEST_KEY", "key-s3cr3t-value")
    monkeypatch.setenv("TEST_PATH_TOKEN", "path-s3cr3t-value")
    setup(small_ws, files, headers={"Authorization": "Bearer ${TEST_TOKEN}"}, params={"apikey": "${TEST_KEY}"})
    assert step(run_one(small_ws, "valeurs"), "valeurs").status == "success"
    assert files.served.requests[-1].headers["authorization"] == "Bearer tok-s3cr3t-value"
    add_source(small_ws, "in-url", {"kind": "http", "url": f"{files.url}/valeurs.csv?token=${{TEST_PATH_TOKEN}}"})
    assert step(run_one(small_ws, "in-url"), "in-url").status == "success"
    assert fetches(small_ws, "in-url")[0]["url"].endswith("/valeurs.csv?token=${TEST_PATH_TOKEN}")
    record = fetches(small_ws, "valeurs")[0]
    assert record["url"].endswith("/valeurs.csv?apikey=%24%7BTEST_KEY%7D")
    dump = str(query(small_ws, "SELECT * FROM _territoria.fetches")) + str(
        query(small_ws, "SELECT * FROM _territoria.step_runs")
    )
    assert "s3cr3t" not in dump

    files.served.fault("/valeurs.csv", "503", "503", "503")
    touch_later(files.root / "valeurs.csv")
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert rec.status == "failed" and "s3cr3t" not in rec.error


def test_clear_secrets_and_missing_variables_are_refused(small_ws: Workspace, files: FileServer) -> None:
    setup(small_ws, files, headers={"X-API-KEY": "literal-key"})
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert "X-API-KEY is written in clear" in rec.error
    setup(small_ws, files, params={"apikey": "${TERRITORIA_TEST_UNSET}"})
    rec = step(run_one(small_ws, "valeurs"), "valeurs")
    assert "environment variable TERRITORIA_TEST_UNSET, which is not set" in rec.error


def test_retention_keeps_the_last_versions(small_ws: Workspace, files: FileServer) -> None:
    (small_ws.root / "policies.yaml").write_text("retention: {landing: {keep_versions: 2}}\n", encoding="utf-8")
    setup(small_ws, files)
    removed = []
    for i in range(4):
        (files.root / "valeurs.csv").write_text(CSV + f"3500{i};Commune {i};{i},5\n", encoding="utf-8")
        touch_later(files.root / "valeurs.csv", 10 * (i + 1))
        summary = run_one(small_ws, "valeurs")
        assert step(summary, "valeurs").status == "success"
        removed.append(summary.landing_removed)
    assert removed == [0, 0, 1, 1]
    hashes = [r["sha256"] for r in fetches(small_ws, "valeurs")]
    assert {p.name for p in landed_objects(small_ws)} == set(hashes[-2:])


def test_large_download_streams_with_bounded_memory(tmp_path: Path, files: FileServer) -> None:
    size = 48 << 20
    with (files.root / "big.bin").open("wb") as fh:
        for _ in range(size >> 20):
            fh.write(os.urandom(1 << 20))
    landing = Landing(tmp_path / "landing")
    tracemalloc.start()
    try:
        with HttpClient("big", HttpOptions(**FAST)) as client:
            dl = client.download(f"{files.url}/big.bin", landing, allow_html=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert dl.landed is not None and dl.landed.size == size
    assert peak < 8 << 20, f"peak Python memory {peak >> 20} MiB for a {size >> 20} MiB download"
