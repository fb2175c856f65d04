"""Figures: satisfaction surveys, KPIs, the scorecard, open data and the network."""

from civitas.cases.permissions import CasesPermission
from civitas.core.i18n import N_
from civitas.core.permissions import Role, RoleSpec
from civitas.core.plugins import Domain, NavEntry
from civitas.insight.permissions import NETWORK_COORDINATOR
from civitas.insight.permissions import InsightPermission as P

MANIFEST = Domain(
    name="insight",
    title=N_("Figures and open data"),
    package="civitas.insight",
    requires=("cases",),
    modules=("civitas.insight.models", "civitas.insight.kpis", "civitas.insight.subscribers"),
    permissions=tuple(P),
    roles=(
        RoleSpec(
            NETWORK_COORDINATOR,
            N_("Learning network coordinator"),
            frozenset({P.INSIGHT_NETWORK_READ}),
        ),
    ),
    grants={Role.MANAGER: frozenset({P.INSIGHT_FIGURES_READ, P.INSIGHT_NETWORK_READ})},
    web="civitas.insight.web:install",
    tasks="civitas.insight.tasks",
    cli="civitas.insight.cli:app",
    demo="civitas.insight.demo:load",
    datasets="civitas.insight.opendata:DATASETS",
    nav=(
        NavEntry(N_("Dashboard"), "staff/insight", P.INSIGHT_FIGURES_READ),
        NavEntry(N_("Balanced scorecard"), "staff/scorecard", P.INSIGHT_FIGURES_READ),
        NavEntry(N_("What residents wrote"), "staff/feedback", CasesPermission.CASES_REQUEST_READ),
        NavEntry(N_("City comparison"), "staff/network", P.INSIGHT_NETWORK_READ),
    ),
)
