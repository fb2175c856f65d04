"""The web side of recycling: its JSON API, pages, templates and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers and panels (see civitas.web.plugins)."""
    from civitas.recycling.web import api, pages, panels, staff

    web.add_api(api.router)
    web.add_pages(pages.router)
    web.add_pages(staff.router)
    web.add_panel("request.status.facts", panels.pickup_facts)
