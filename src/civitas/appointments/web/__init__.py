"""The web side of appointments: the resident's booking pages and their own link, the
kiosk, the waiting room's display, the phone page that follows a place in line, the front
desk and the counter workstation, the office editor, and the JSON API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.appointments.web import api, pages, staff

    web.add_api(api.router)
    web.add_pages(pages.router)
    web.add_pages(staff.router)
    web.add_panel("service.page.actions", pages.service_panel)
    web.add_panel("application.resident", pages.application_panel)
