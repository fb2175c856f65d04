"""The web side of catalogue: its JSON API, pages, templates and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.catalogue.web import admin, api, pages

    web.add_api(api.router)
    web.add_pages(admin.router)
    web.add_pages(pages.router, last=True)
