"""The web side of cases: its JSON API, pages, templates and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.cases.web import api, media, open311, requests, routing, staff

    web.add_api(api.router)
    web.add_api(routing.router)
    web.add_api(open311.router)
    web.add_pages(media.router)
    web.add_pages(requests.router)
    web.add_pages(staff.router)
