"""The API reference in Chromium with no other host to reach: Swagger UI from this server
draws every operation of the OpenAPI description, under a policy that allows scripts
from this host only; the site's icon is there."""

from __future__ import annotations

from urllib.parse import urlsplit


def test_the_api_reference_needs_no_other_host(pages, two_cities):
    page = pages.new()
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    response = page.goto("/docs")
    assert response is not None
    assert response.status == 200
    page.wait_for_selector(".opblock", timeout=15000)
    assert "Civitas" in page.locator(".info .title").inner_text()
    assert page.locator(".opblock").count() > 50  # every operation, grouped by tag
    assert hosts == {urlsplit(pages.base).netloc}, hosts
    pages.shot(page, "api-reference")


def test_the_icon_and_the_reference_policy(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    docs = client.get("/docs")
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "http" not in csp  # no other host, for anything
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/init.js",
    ):
        assert asset in docs.text
        assert client.get(asset).status_code == 200
