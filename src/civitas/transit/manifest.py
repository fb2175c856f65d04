"""Public transport: timetables, live arrivals, crowding, journeys, the observatory."""

from civitas.core.i18n import N_
from civitas.core.permissions import Role, RoleSpec
from civitas.core.plugins import Domain, NavEntry
from civitas.transit.permissions import TRANSIT_OPERATOR
from civitas.transit.permissions import TransitPermission as P

MANIFEST = Domain(
    name="transit",
    title=N_("Public transport"),
    package="civitas.transit",
    optional=True,
    requires=("places", "cases", "insight"),
    modules=("civitas.transit.models", "civitas.transit.kpis", "civitas.transit.answers"),
    permissions=tuple(P),
    roles=(
        RoleSpec(
            TRANSIT_OPERATOR,
            N_("Transport operator"),
            frozenset({P.TRANSIT_REALTIME_PUSH, P.TRANSIT_ALERT_MANAGE}),
        ),
    ),
    grants={
        Role.MANAGER: frozenset({P.TRANSIT_FEED_MANAGE, P.TRANSIT_ALERT_MANAGE}),
    },
    web="civitas.transit.web:install",
    cli="civitas.transit.cli:app",
    demo="civitas.transit.demo:load",
    tasks="civitas.transit.tasks",
    datasets="civitas.transit.opendata:DATASETS",
    map_layers="civitas.transit.maps:LAYERS",
    nav=(
        NavEntry(N_("Public transport"), "transit", audience="resident"),
        NavEntry(N_("Public transport"), "staff/transit", P.TRANSIT_ALERT_MANAGE),
    ),
)
