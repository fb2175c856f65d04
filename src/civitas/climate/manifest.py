"""The city's greenhouse-gas inventory (GPC BASIC and BASIC+) and its services' emissions."""

from civitas.climate.permissions import ClimatePermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="climate",
    title=N_("Greenhouse-gas inventory"),
    package="civitas.climate",
    optional=True,
    requires=("catalogue", "insight"),
    modules=("civitas.climate.models", "civitas.climate.kpis"),
    permissions=tuple(P),
    grants={Role.MANAGER: frozenset({P.CLIMATE_MANAGE})},
    web="civitas.climate.web:install",
    cli="civitas.climate.cli:app",
    demo="civitas.climate.demo:load",
    nav=(
        NavEntry(N_("Climate"), "climate", audience="resident"),
        NavEntry(N_("Greenhouse-gas inventory"), "staff/climate", P.CLIMATE_MANAGE),
    ),
)
