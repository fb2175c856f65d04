"""The web side of the climate inventory: the public report (page, PDF, CSV, JSON) and
the staff's page for activity data, factors, notation keys, waste and the target."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    from civitas.climate.web import pages, staff

    web.add_pages(pages.router)
    web.add_pages(staff.router)
