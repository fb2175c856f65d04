"""The thin web layer: JSON API routers, HTML pages, templates and static assets."""
