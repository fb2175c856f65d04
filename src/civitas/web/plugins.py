"""The web side of the domains: each domain's ``web`` sub-package registers its routers,
templates, static files and panels here through its ``install(web)`` function.

``create_app`` includes what the installed domains registered, in the order of the
installed list (a catch-all page router goes last). An optional domain's routes carry a
gate that answers 404 for a city that turned the domain off. A panel is a piece of page
one domain contributes to another's (a pickup's details on a request's status page):
the page asks for the panels of a slot and prints what they answer, never importing the
contributing domain."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from civitas.core import plugins
from civitas.core.errors import NotFound
from civitas.core.plugins import Domain
from civitas.web.deps import CurrentCity, DbSession, get_principal
from civitas.web.errors import NOTHING_HERE

# a panel: (request, **context) -> Markup, or None when it has nothing to show
Panel = Callable[..., Markup | None]


@dataclass
class DomainWeb:
    """What one domain registered."""

    domain: Domain
    api: list[APIRouter] = field(default_factory=list)
    pages: list[tuple[APIRouter, bool]] = field(default_factory=list)  # (router, last)
    templates: Path | None = None
    static: Path | None = None
    panels: dict[str, list[Panel]] = field(default_factory=dict)
    cityless: list[APIRouter] = field(default_factory=list)  # routes that address no city

    def add_api(self, router: APIRouter, *, city: bool = True) -> None:
        """A JSON API router (in the OpenAPI document); ``city=False`` for one whose routes
        address no city (a calculator anyone may use), which no city's switch can gate."""
        self.api.append(router)
        if not city:
            self.cityless.append(router)

    def add_pages(self, router: APIRouter, *, last: bool = False) -> None:
        """A router of HTML pages; ``last`` for one whose paths would catch others'."""
        self.pages.append((router, last))

    def add_panel(self, slot: str, panel: Panel) -> None:
        """Contribute a panel to another domain's page (the slot it names)."""
        self.panels.setdefault(slot, []).append(panel)


def _folder(domain: Domain, name: str) -> Path | None:
    import importlib

    web = importlib.import_module(f"{domain.package}.web")
    found = Path(web.__file__ or "").parent / name
    return found if found.is_dir() else None


@functools.cache
def installed() -> tuple[DomainWeb, ...]:
    """Every installed domain's web registration (once per process)."""
    found = []
    for domain in plugins.domains():
        if domain.web is None:
            continue
        web = DomainWeb(domain)
        plugins.resolve(domain.web)(web)
        web.templates = web.templates or _folder(domain, "templates")
        web.static = web.static or _folder(domain, "static")
        found.append(web)
    return tuple(found)


def gate(name: str) -> Callable[..., Any]:
    """A dependency that answers 404 when the city of the path turned ``name`` off."""

    async def domain_enabled(request: Request, city: CurrentCity, db: DbSession) -> None:
        # the request's city and session, resolved once for the whole request
        if not plugins.enabled(city, name):
            # the error page shows who is signed in, as every other page does
            await run_in_threadpool(get_principal, request, db, city)
            raise NotFound(NOTHING_HERE)

    return domain_enabled


Included = tuple[APIRouter, list[Any]]  # a router and the dependencies it is included with


def routers() -> tuple[list[Included], list[Included]]:
    """(API routers, page routers) of every installed domain, in the installed order (the
    catch-all page routers last); an optional domain's routers come with its gate."""
    api: list[Included] = []
    pages: list[Included] = []
    last: list[Included] = []
    for web in installed():
        gates = [Depends(gate(web.domain.name))] if web.domain.optional else []
        api.extend((router, [] if router in web.cityless else gates) for router in web.api)
        for router, at_end in web.pages:
            (last if at_end else pages).append((router, gates))
    return api, pages + last


def template_folders() -> list[Path]:
    return [web.templates for web in installed() if web.templates is not None]


def static_folders() -> dict[str, Path]:
    """Each domain's static files, served below /static/<domain>/."""
    return {web.domain.name: web.static for web in installed() if web.static is not None}


def panels(slot: str, request: Request, city: Any, **context: Any) -> list[Markup]:
    """What the domains enabled for this city contribute to a page's slot."""
    shown: list[Markup] = []
    for web in installed():
        if not plugins.enabled(city, web.domain.name):
            continue
        for panel in web.panels.get(slot, ()):
            made = panel(request, city=city, **context)
            if made:
                shown.append(made)
    return shown


def navigation(city: Any, principal: Any, roles: list[str], audience: str = "staff") -> list[Any]:
    """The navigation entries the reader may follow, of the domains this city runs."""
    entries = []
    for domain in plugins.domains():
        if not plugins.enabled(city, domain.name):
            continue
        for entry in domain.nav:
            if entry.audience != audience:
                continue
            can = principal.can if principal is not None else (lambda _p: False)
            if entry.shown_to(roles, can):
                entries.append(entry)
    return entries


def reload() -> None:
    """Load the installed list again, web side included (a test that adds a plug-in)."""
    from civitas.web import templating

    plugins.reload()
    installed.cache_clear()
    templating.templates.env.loader = templating.DomainTemplates()
    templating.templates.env.cache = None
