"""Air quality from low-cost sensors: sensors and reference stations, sensor.community
pushes and CSV imports, QC, calibration, the public indices, alerts and open data."""

from civitas.air.permissions import AirPermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="air",
    title=N_("Air quality"),
    package="civitas.air",
    optional=True,
    requires=("places", "notifications", "insight"),
    modules=("civitas.air.models", "civitas.air.kpis", "civitas.air.answers"),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset({P.AIR_MANAGE, P.AIR_VIEW}),
        Role.CASE_WORKER: frozenset({P.AIR_VIEW}),
    },
    web="civitas.air.web:install",
    cli="civitas.air.cli:app",
    tasks="civitas.air.tasks",
    demo="civitas.air.demo:load",
    datasets="civitas.air.opendata:DATASETS",
    map_layers="civitas.air.maps:LAYERS",
    nav=(
        NavEntry(N_("Air quality"), "air", audience="resident"),
        NavEntry(N_("Air-quality sensors"), "staff/air", P.AIR_VIEW),
    ),
)
