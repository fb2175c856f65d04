"""The learning network: good practices whose effect is measured on the owning city's
own published KPIs, reviewed by the network's coordinator, adopted by other cities."""

from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain
from civitas.network.permissions import NetworkPermission as P

MANIFEST = Domain(
    name="network",
    title=N_("Learning network"),
    package="civitas.network",
    # not yet a switch on the city's domains page: it has no pages of its own so far
    optional=False,
    requires=("catalogue", "insight"),
    modules=("civitas.network.models",),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset({P.PRACTICE_WRITE}),
        Role.CASE_WORKER: frozenset({P.PRACTICE_WRITE}),
        "network_coordinator": frozenset({P.PRACTICE_REVIEW}),
    },
)
