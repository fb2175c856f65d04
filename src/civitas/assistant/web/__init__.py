"""The web side of the assistant: the conversation API and the messaging apps' webhooks,
the portal's web chat, the hotline's screen and the administrators' teaching page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    from civitas.assistant.web import api, pages, staff

    web.add_api(api.router)
    web.add_pages(pages.router)
    web.add_pages(staff.router)
    web.add_panel("hotline.top", staff.waiting_panel)
