"""The web side of places: the address search and map API, the tiles, the admin page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    from civitas.places.web import api, pages

    web.add_api(api.router)
    web.add_pages(pages.router)
