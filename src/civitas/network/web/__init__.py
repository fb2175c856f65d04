"""The network's space on the web: the pages of its participants (practices, groups,
discussions, events, circles, partnerships, contests, their profile) under the city
they sign in to, and its open data (DCAT-AP, Atom, JSON) that addresses no city."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civitas.web.plugins import DomainWeb


def install(web: DomainWeb) -> None:
    import civitas.network.web.api as api
    import civitas.network.web.community as community
    import civitas.network.web.contests as contests
    import civitas.network.web.partnerships as partnerships
    import civitas.network.web.practices as practices

    web.add_api(api.router, city=False)
    for module in (practices, community, partnerships, contests):
        web.add_pages(module.router)
