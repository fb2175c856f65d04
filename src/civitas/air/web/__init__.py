"""The web side of air quality: the sensors' push, the JSON API, the residents' map,
station pages and alerts, and the staff's sensor health."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    from civitas.air.web import api, pages, staff

    web.add_api(api.router)
    web.add_api(api.public, city=False)
    web.add_pages(pages.router)
    web.add_pages(staff.router)
