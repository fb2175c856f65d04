"""The web side of online applications: the resident's pages, the form editor, the case
panel, the payments desk, the test payment provider's pages and the JSON API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers and panels (see civitas.web.plugins)."""
    from civitas.applications.web import admin, api, resident, staff, testpsp

    web.add_api(api.router)
    web.add_pages(resident.router)
    web.add_pages(staff.router)
    web.add_pages(admin.router)
    web.add_pages(testpsp.router)
    web.add_panel("case.staff.main", staff.case_panel)
