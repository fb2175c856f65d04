"""The API reference (/docs) and the site's icon, served from this host alone.

Swagger UI comes from the npm registry at build time (scripts/build-assets.sh) and is
started by a script file of ours, so the page needs nothing from another host and keeps a
Content-Security-Policy that allows scripts from this host only."""

from __future__ import annotations

from fastapi.responses import FileResponse, HTMLResponse

from civitas import __version__
from civitas.web.routers import Router
from civitas.web.templating import TEMPLATES

router = Router(include_in_schema=False)
FAVICON = TEMPLATES.parent / "static" / "favicon.ico"
VENDOR = "/static/vendor/swagger-ui"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Civitas {__version__} · API reference</title>
  <link rel="icon" href="/favicon.ico">
  <link rel="stylesheet" href="{VENDOR}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <noscript><p>The API reference needs JavaScript. The description itself is at
  <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p></noscript>
  <script src="{VENDOR}/swagger-ui-bundle.js"></script>
  <script src="{VENDOR}/init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def reference() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )
