"""``/docs`` renders in headless Chromium with every request outside 127.0.0.1 aborted."""

from __future__ import annotations

from typing import Any

from e2e_support import Server


def test_swagger_ui_renders_offline(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "territoria" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=20_000)  # the operations, read from /openapi.json
    assert not page.outside, page.outside
    assert not page.errors, page.errors
