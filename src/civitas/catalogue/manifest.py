"""The service catalogue (CPSV-AP): what the city offers, where, for whom, at what fee."""

from civitas.catalogue.permissions import CataloguePermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="catalogue",
    title=N_("Service catalogue"),
    package="civitas.catalogue",
    requires=("cities",),
    modules=("civitas.catalogue.models",),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset({P.CATALOGUE_SERVICE_READ_UNPUBLISHED, P.CATALOGUE_SERVICE_WRITE}),
        Role.CASE_WORKER: frozenset({P.CATALOGUE_SERVICE_READ_UNPUBLISHED}),
        Role.AGENT: frozenset({P.CATALOGUE_SERVICE_READ_UNPUBLISHED}),
    },
    web="civitas.catalogue.web:install",
    cli="civitas.catalogue.cli:app",
    demo="civitas.catalogue.demo:load",
    nav=(NavEntry(N_("Catalogue"), "staff/catalogue", P.CATALOGUE_SERVICE_WRITE, admin=True),),
)
