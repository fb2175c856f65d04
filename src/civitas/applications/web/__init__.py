"""The web side of online applications: the resident's pages, the form editor, the case
panel, the payments desk, the test payment provider's pages and the JSON API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    """Register the routers and panels (see civitas.web.plugins)."""
    return None
