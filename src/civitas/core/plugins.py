"""Domains are plug-ins: each package declares its whole slice in one manifest.

A domain's ``manifest.py`` holds ``MANIFEST = Domain(...)``: its models and the modules
that register KPIs, event subscribers and job kinds, its roles and permissions, its web
sub-package (pages, JSON API, templates, static files, navigation, panels), its periodic
tasks, its CLI sub-commands and its demo data. ``civitas.installed.INSTALLED`` lists the
domains of this deployment, in order; ``CIVITAS_PLUGINS`` adds more (a city's own).

The app, the worker, the CLI, the demo, the model metadata and the isolation walk loop
over :func:`domains`. The core names no domain: everything here takes dotted module paths
from the manifests and imports them when asked.

A domain marked ``optional`` can be turned off per city (``City.disabled_domains``):
its pages and API answer 404 for that city, its navigation, panels and KPIs disappear
and its jobs skip that city (:func:`enabled`)."""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from civitas.core import permissions
from civitas.core.permissions import RoleSpec


@dataclass(frozen=True)
class NavEntry:
    """A link on the back office's home page (or a resident's), shown to whoever holds
    ``permission``; ``roles`` and ``not_roles`` narrow it to (or away from) some roles."""

    label: str  # an N_() message id
    path: str  # below /{city}/, e.g. "staff/recycling"
    permission: str | None = None
    roles: frozenset[str] = frozenset()
    not_roles: frozenset[str] = frozenset()
    audience: Literal["staff", "resident", "account"] = "staff"
    admin: bool = False  # settings rather than daily work: listed after the work
    order: int = 100  # the place among a resident's account pages (lower first)

    def shown_to(self, roles: Iterable[str], can: Callable[[str], bool]) -> bool:
        held = set(roles)
        if self.permission and not can(self.permission):
            return False
        if self.roles and not (held & self.roles):
            return False
        return not (self.not_roles and held & self.not_roles)


@dataclass(frozen=True)
class MapLayer:
    """Features a domain draws on the city's maps: ``features(db, city)`` gives GeoJSON
    features (public data only: never a resident's address)."""

    name: str  # unique: "recycling.zones"
    title: str  # N_() message id, the layer's name in the map's legend
    features: Callable[[Any, Any], list[dict[str, Any]]]
    colour: str = "#555555"


def map_layers(city: Any) -> list[MapLayer]:
    """The map layers of the domains this city runs."""
    layers: list[MapLayer] = []
    for domain in domains():
        if domain.map_layers and enabled(city, domain.name):
            layers.extend(resolve(domain.map_layers))
    return layers


@dataclass(frozen=True)
class Domain:
    """One domain's manifest. Module paths are dotted strings ("pkg.module" or
    "pkg.module:attribute"), imported only by the process that needs them: the worker
    never imports a web sub-package, the web app never imports a CLI."""

    name: str  # short and unique: "recycling"
    title: str  # N_() message id, shown where a city turns domains on and off
    package: str  # "civitas.recycling"
    optional: bool = False  # a city may turn it off (core parts may not)
    requires: tuple[str, ...] = ()  # other domains this one needs installed
    # imported in every process that touches the database: models, KPIs, subscribers,
    # job kinds (each registers itself when imported)
    modules: tuple[str, ...] = ()
    # permissions this domain declares (a StrEnum's members, or strings)
    permissions: tuple[str, ...] = ()
    # roles this domain brings, with their permissions
    roles: tuple[RoleSpec, ...] = ()
    # permissions of this domain granted to roles that others declared ("manager")
    grants: dict[str, frozenset[str]] = field(default_factory=dict)
    # "pkg.web:install": a function taking the Web registry (see civitas.web.plugins)
    web: str | None = None
    tasks: str | None = None  # a module whose import registers Huey (periodic) tasks
    cli: str | None = None  # "pkg.cli:app": a Typer app, mounted as `civitas <name>`
    # "pkg.demo:load": load(db, city, settings, password) -> list of lines to print;
    # runs once per demo city in the order of the installed list
    demo: str | None = None
    # "pkg.migrations": the package of its own Alembic revisions, a branch of the schema's
    # history (a domain from outside civitas; those inside add to its one chain)
    migrations: str | None = None
    # "pkg.opendata:DATASETS": its open datasets (core.opendata.Dataset), published on
    # /{city}/open-data and in the DCAT-AP catalogue of every city that runs the domain
    datasets: str | None = None
    # "pkg.maps:LAYERS": what it draws on the city's maps (core.plugins.MapLayer): zones,
    # offices, stops; on the base map drawn from the city's own data, and as overlays
    map_layers: str | None = None
    nav: tuple[NavEntry, ...] = ()
    # the isolation walk's sample requests for this domain's routes (a module with ROUTES
    # and PUBLIC); by default tests/isolation/<name>.py of this repository
    isolation: str | None = None


def resolve(path: str) -> Any:
    """The object a dotted path names: "pkg.module" or "pkg.module:attribute"."""
    module, _, attribute = path.partition(":")
    found = importlib.import_module(module)
    return getattr(found, attribute) if attribute else found


_lock = threading.Lock()
_domains: list[Domain] | None = None
_index: dict[str, Domain] | None = None


def installed_packages() -> list[str]:
    """The installed list, then any the deployment adds (``CIVITAS_PLUGINS``)."""
    from civitas.installed import INSTALLED

    extra = [p.strip() for p in os.environ.get("CIVITAS_PLUGINS", "").split(",") if p.strip()]
    return [*INSTALLED, *(p for p in extra if p not in INSTALLED)]


def domains() -> list[Domain]:
    """Every installed domain's manifest, loaded once per process: their modules are
    imported (models, KPIs, subscribers, job kinds) and their roles registered."""
    global _domains, _index
    if _domains is not None:
        return _domains
    with _lock:
        if _domains is None:
            loaded = _load(installed_packages())
            _index = {found.name: found for found in loaded}  # before the list is seen
            _domains = loaded
    return _domains


def _load(packages: list[str]) -> list[Domain]:
    found: list[Domain] = []
    names: set[str] = set()
    for package in packages:
        manifest = importlib.import_module(f"{package}.manifest").MANIFEST
        if not isinstance(manifest, Domain):
            raise TypeError(f"{package}.manifest.MANIFEST is not a civitas Domain")
        if manifest.name in names:
            raise ValueError(f"two installed domains are named {manifest.name!r}")
        missing = [need for need in manifest.requires if need not in names]
        if missing:
            raise ValueError(
                f"domain {manifest.name!r} needs {', '.join(missing)} installed before it"
            )
        names.add(manifest.name)
        found.append(manifest)
    for manifest in found:
        permissions.register(manifest.name, manifest.permissions, manifest.roles)
    for manifest in found:
        for role, granted in manifest.grants.items():
            permissions.grant(role, granted)
    for manifest in found:
        for module in manifest.modules:
            importlib.import_module(module)
    return found


def reload() -> list[Domain]:
    """Forget the loaded manifests and load the installed list again (tests that add a
    plug-in through CIVITAS_PLUGINS)."""
    global _domains, _index
    with _lock:
        permissions.reset()
        _domains, _index = None, None
    return domains()


def _by_name() -> dict[str, Domain]:
    """The loaded manifests by name, made with the list (asked on every request of an
    optional domain)."""
    domains()
    assert _index is not None
    return _index


def domain(name: str) -> Domain:
    return _by_name()[name]


def optional_domains() -> list[Domain]:
    return [found for found in domains() if found.optional]


def enabled(city: Any, name: str) -> bool:
    """Whether the domain ``name`` serves this city: installed, not turned off, and
    neither is any domain it requires."""
    found = _by_name().get(name)
    if found is None or name in (getattr(city, "disabled_domains", None) or ()):
        return False
    return all(enabled(city, need) for need in found.requires)


def domain_of_module(module: str) -> Domain | None:
    """The installed domain a module belongs to (the longest package prefix)."""
    best: Domain | None = None
    for found in domains():
        if (module == found.package or module.startswith(found.package + ".")) and (
            best is None or len(found.package) > len(best.package)
        ):
            best = found
    return best
