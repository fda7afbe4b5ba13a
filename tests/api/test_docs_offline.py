"""``/docs`` works without the internet: Swagger UI's assets come from this server."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx


def test_docs_names_no_other_host_and_its_assets_answer(client: httpx.Client) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|openapi_url)\s*:\s*['"]([^'"]+)['"]""", html)
    found = [a or b for a, b in urls]
    assert any(u.endswith("swagger-ui-bundle.js") for u in found) and any(u.endswith("swagger-ui.css") for u in found)
    here = urlsplit(str(client.base_url)).netloc
    for url in found:
        absolute = urljoin(str(client.base_url) + "/docs", url)
        assert urlsplit(absolute).netloc == here, url
        assert client.get(absolute).status_code == 200, url
    assert not re.search(r"https?://(?!127\.0\.0\.1)", html), "the page names another host"
    assert '"validatorUrl": null' in html  # no badge fetched from the online validator
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"] and len(bundle.content) > 500_000


def test_vendored_swagger_ui_keeps_its_licence() -> None:
    from territoria.api.docs import ASSETS_DIR

    assert "Apache License" in (ASSETS_DIR / "LICENSE").read_text(encoding="utf-8")
    assert (ASSETS_DIR / "VERSION").read_text(encoding="utf-8").startswith("swagger-ui-dist ")
