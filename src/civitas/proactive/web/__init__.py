"""The web side of proactive: its JSON API, pages, templates and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.proactive.web import api, offers, rules, staff

    web.add_api(api.router)
    web.add_pages(offers.router)
    web.add_pages(staff.router)
    web.add_pages(rules.router)
