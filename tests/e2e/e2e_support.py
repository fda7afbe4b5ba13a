"""Helpers of the browser tests: the server handle, Chromium flags, screenshots."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from territoria.testing import entries
from territoria.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--enable-unsafe-swiftshader",
]
# Rennes, Bruz, Noyal-Châtillon-sur-Seiche (Ille-et-Vilaine) and Saint-Pierre (975), which has no
# boundary in the shipped referential: the dashboard must list it as such.
COMMUNES = ["35238", "35047", "35206", "97502"]
NO_BOUNDARY = "97502"


def file_source(identifier: str, title: str, description: str, access: str, csv: str, **extra: Any) -> dict[str, Any]:
    """The catalog entry of a `;`-separated file in the workspace's data/ folder, published."""
    source = entries.file_source(csv, delimiter=";")
    return entries.catalog_entry(
        identifier,
        source,
        title=title,
        publisher="Territoire d’essai",
        description=description,
        access=access,
        publish=True,
        **extra,
    )


# A restricted source (readable by agents and elected officials): seen only after signing in.
RESTRICTED = "conso-gaz-communes"
RESTRICTED_SOURCE = file_source(
    RESTRICTED, "Consommation de gaz par commune", "Consommation annuelle de gaz (essai).", "restricted", "conso.csv"
)
# An open source whose file breaks its schema on three lines: the "Lignes écartées" view shows them.
QUARANTINED = "comptages-velo"
QUARANTINED_CSV = (
    "compteur;passages;jour\nC01;120;2024-05-02\nC02;beaucoup;2024-05-02\nC-3;40;2024-05-02\nC04;-1;2024-13-02\n"
)
QUARANTINED_SOURCE = file_source(
    QUARANTINED,
    "Comptages vélo",
    "Passages journaliers aux compteurs vélo (essai).",
    "open",
    "velo.csv",
    schema={
        "fields": [
            {"name": "compteur", "title": "Compteur", "type": "string", "constraints": {"pattern": "C[0-9]{2}"}},
            {"name": "passages", "title": "Passages", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "jour", "title": "Jour", "type": "date"},
        ]
    },
)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()


def wait_for_server(process: subprocess.Popen[bytes], log: Path, deadline_s: float = 30.0) -> str:
    """The URL `territoria serve --port 0` printed, once it answers HTTP."""
    pattern = re.compile(r"http://127\.0\.0\.1:([1-9]\d*)/")
    end = time.monotonic() + deadline_s
    url = None
    while time.monotonic() < end and process.poll() is None:
        if url is None:
            match = pattern.search(log.read_text(encoding="utf-8", errors="replace"))
            url = f"http://127.0.0.1:{match.group(1)}" if match else None
        if url is not None:
            try:
                if httpx.get(f"{url}/api", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"territoria serve did not start:\n{log.read_text(errors='replace')}")


def leaves_machine(url: str) -> bool:
    return url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith("http://127.0.0.1")


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# WCAG 2 contrast of every visible text against its nearest opaque background, in the page.
CONTRAST_FAILURES_JS = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return { r: 0, g: 0, b: 0, a: 1 };
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el || el.closest(".visually-hidden, [hidden], noscript, dialog:not([open]), title, desc")) continue;
    const rect = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (rect.width === 0 || rect.height === 0 || st.visibility === "hidden") continue;
    const fg = parse(el instanceof SVGElement ? st.fill : st.color);
    const [a, b] = [lum(fg), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (Number(st.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}`);
  }
  return failures;
}"""


def wait_until(page: Any, predicate: str, timeout_s: float = 15.0) -> None:
    """Poll a JavaScript arrow function until it returns true. (playwright's wait_for_function
    evaluates strings inside the page, which the dashboard's Content-Security-Policy refuses.)"""
    end = time.monotonic() + timeout_s
    while not page.evaluate(predicate):
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {predicate}")
        page.wait_for_timeout(50)


@contextmanager
def serving(ws: Workspace, log: Path) -> Iterator[Server]:
    """`territoria serve` on the workspace (a real uvicorn on a free port) for as long as needed."""
    command = [sys.executable, "-m", "territoria.cli.main", "serve", "-w", str(ws.root), "--port", "0"]
    with log.open("wb") as out:
        # A wide terminal keeps the printed URL on one line.
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "500"}
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        srv = Server(wait_for_server(process, log), process, log)
        yield srv
        srv.client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
