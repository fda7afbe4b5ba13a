"""Browser tests: a built workspace served by `territoria serve` (real uvicorn on 127.0.0.1, a free
port), driven by Debian's headless Chromium through playwright. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    COMMUNES,
    QUARANTINED,
    QUARANTINED_CSV,
    QUARANTINED_SOURCE,
    RESTRICTED,
    RESTRICTED_SOURCE,
    Server,
    leaves_machine,
    serving,
)

from territoria.core.yamlio import write_yaml
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace


@pytest.fixture(scope="session")
def built_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(tmp_path_factory.mktemp("e2e") / "ws", communes=COMMUNES, name="Territoire d’essai")
    (ws.root / "data" / "conso.csv").write_text("code;conso_mwh;annee\n35238;1200.5;2022\n35047;310.25;2022\n")
    write_yaml(ws.sources_dir / f"{RESTRICTED}.yaml", RESTRICTED_SOURCE)
    (ws.root / "data" / "velo.csv").write_text(QUARANTINED_CSV, encoding="utf-8")
    write_yaml(ws.sources_dir / f"{QUARANTINED}.yaml", QUARANTINED_SOURCE)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert not summary.failed, [r.error for r in summary.failed]
    return ws


@pytest.fixture(scope="session")
def server(built_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(built_ws, tmp_path_factory.mktemp("server") / "serve.log") as srv:
        yield srv


@pytest.fixture(scope="session")
def elu_token(built_ws: Workspace) -> str:
    token: str = AccessStore(built_ws.private / ACCESS_DB).add("Élue d’essai", "elu", None)[1]
    return token


# Module scope: Playwright's sync API keeps an event loop running in the main thread while it is
# open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is required for the browser tests (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="territoria-chromium-"))
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900},
                locale="fr-FR",
                timezone_id="Europe/Paris",
            )
            # Offline by construction: any request leaving 127.0.0.1 fails the page.
            context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh tab that records script errors and requests that left the machine."""
    tab = browser_context.new_page()
    tab.errors = []
    tab.outside = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    tab.on("request", lambda req: tab.outside.append(req.url) if leaves_machine(req.url) else None)
    yield tab
    tab.close()
