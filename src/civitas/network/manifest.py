"""The learning network: good practices whose effect is measured on the owning city's
own published KPIs, reviewed by the network's coordinator, adopted by other cities;
communities of practice with discussions and events; benchmarking circles; partnerships
between cities with projects tied to KPIs; contests with a jury."""

from civitas.core.i18n import N_
from civitas.core.permissions import Role, RoleSpec
from civitas.core.plugins import Domain, NavEntry
from civitas.network.permissions import NETWORK_EXPERT
from civitas.network.permissions import NetworkPermission as P

MANIFEST = Domain(
    name="network",
    title=N_("Learning network"),
    package="civitas.network",
    optional=True,
    requires=("catalogue", "accounts", "notifications", "insight"),
    modules=("civitas.network.models",),
    permissions=tuple(P),
    roles=(
        RoleSpec(
            NETWORK_EXPERT, N_("Outside participant of the network"), frozenset({P.TAKE_PART})
        ),
    ),
    grants={
        Role.MANAGER: frozenset({P.TAKE_PART, P.PRACTICE_WRITE, P.CITY_REPRESENT}),
        Role.CASE_WORKER: frozenset({P.TAKE_PART, P.PRACTICE_WRITE}),
        Role.AGENT: frozenset({P.TAKE_PART}),
        "network_coordinator": frozenset({P.TAKE_PART, P.MODERATE}),
    },
    web="civitas.network.web:install",
    tasks="civitas.network.tasks",
    demo="civitas.network.demo:load",
    nav=(NavEntry(N_("Learning network"), "network", P.TAKE_PART),),
)
