"""Recycling with formalised waste pickers: pickups, day plans, weights, sales, income."""

from civitas.core.i18n import N_
from civitas.core.permissions import Role, RoleSpec
from civitas.core.plugins import Domain, NavEntry
from civitas.recycling.permissions import RECYCLING_BUYER, WASTE_PICKER
from civitas.recycling.permissions import RecyclingPermission as P

MANIFEST = Domain(
    name="recycling",
    title=N_("Recycling with waste pickers"),
    package="civitas.recycling",
    optional=True,
    requires=("cases",),
    modules=(
        "civitas.recycling.models",
        "civitas.recycling.kpis",
        "civitas.recycling.subscribers",
        "civitas.recycling.planning",
    ),
    permissions=tuple(P),
    roles=(
        RoleSpec(WASTE_PICKER, N_("Waste picker"), frozenset({P.RECYCLING_ROUTE_WORK})),
        RoleSpec(RECYCLING_BUYER, N_("Buyer of recyclables"), frozenset({P.RECYCLING_SALE_RECORD})),
    ),
    grants={
        Role.MANAGER: frozenset({P.RECYCLING_PROGRAMME_MANAGE, P.RECYCLING_SALE_RECORD}),
        Role.CASE_WORKER: frozenset({P.RECYCLING_PROGRAMME_MANAGE}),
    },
    web="civitas.recycling.web:install",
    cli="civitas.recycling.cli:app",
    demo="civitas.recycling.demo:load",
    datasets="civitas.recycling.opendata:DATASETS",
    map_layers="civitas.recycling.maps:LAYERS",
    nav=(
        NavEntry(
            N_("Your route"), "picker", P.RECYCLING_ROUTE_WORK, roles=frozenset({WASTE_PICKER})
        ),
        NavEntry(N_("Recycling: day plan"), "staff/recycling", P.RECYCLING_PROGRAMME_MANAGE),
        NavEntry(
            N_("Prices and purchases"),
            "buyer",
            P.RECYCLING_SALE_RECORD,
            roles=frozenset({RECYCLING_BUYER}),
        ),
        NavEntry(
            N_("Recycling: sales"),
            "staff/recycling/sales",
            P.RECYCLING_SALE_RECORD,
            not_roles=frozenset({RECYCLING_BUYER}),
        ),
    ),
)
