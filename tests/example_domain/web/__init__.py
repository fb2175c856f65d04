"""The example's web side: one page (templates and static files are found by folder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    from tests.example_domain.web import pages

    web.add_pages(pages.router)
