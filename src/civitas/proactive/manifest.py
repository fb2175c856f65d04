"""Proactive services: rules over the register decide benefits without an application."""

from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry
from civitas.proactive.permissions import ProactivePermission as P

MANIFEST = Domain(
    name="proactive",
    title=N_("Proactive services"),
    package="civitas.proactive",
    requires=("register", "cases", "residents"),
    modules=("civitas.proactive.models", "civitas.proactive.kpis"),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset(
            {P.PROACTIVE_DECISION_READ, P.PROACTIVE_DECISION_REVIEW, P.PROACTIVE_RUN_START}
        ),
        Role.CASE_WORKER: frozenset({P.PROACTIVE_DECISION_READ, P.PROACTIVE_DECISION_REVIEW}),
        Role.AGENT: frozenset({P.PROACTIVE_DECISION_READ}),
    },
    web="civitas.proactive.web:install",
    tasks="civitas.proactive.tasks",
    cli="civitas.proactive.cli:app",
    demo="civitas.proactive.demo:load",
    nav=(
        NavEntry(
            N_("Proactive services: decisions to review"),
            "staff/proactive",
            P.PROACTIVE_DECISION_READ,
        ),
        NavEntry(N_("Proactive services: rules"), "staff/rules", P.PROACTIVE_RULE_WRITE),
        NavEntry(N_("My offers and benefits"), "account/offers", audience="account", order=30),
        NavEntry(N_("Who read my data"), "account/data-log", audience="account", order=90),
    ),
)
