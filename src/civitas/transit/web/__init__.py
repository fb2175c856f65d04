"""The web side of public transport: its JSON and GTFS-Realtime API, the riders' pages
and the city's (feeds, alerts, the observatory)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.transit.web import api, pages, staff

    web.add_api(api.router)
    web.add_pages(pages.router)
    web.add_pages(staff.router)
