"""The web side of insight: its JSON API, pages, templates and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.insight.web import opendata, pages, surveys

    web.add_pages(surveys.router)
    web.add_pages(pages.router)
    web.add_pages(opendata.router)
