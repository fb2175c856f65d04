"""The web side of register: its JSON API, pages, templates and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers (see civitas.web.plugins)."""
    from civitas.register.web import api

    web.add_api(api.router)
