"""Service requests over every channel (Open311, web, hotline), handled as cases."""

from civitas.cases.permissions import CasesPermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="cases",
    title=N_("Requests and cases"),
    package="civitas.cases",
    requires=("catalogue", "notifications", "places"),
    modules=("civitas.cases.models", "civitas.cases.kpis"),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset(P),
        Role.CASE_WORKER: frozenset(P),
        Role.AGENT: frozenset({P.CASES_REQUEST_READ, P.CASES_REQUEST_FILE}),
        Role.FIELD_WORKER: frozenset({P.CASES_REQUEST_READ, P.CASES_REQUEST_HANDLE}),
    },
    web="civitas.cases.web:install",
    tasks="civitas.cases.tasks",
    demo="civitas.cases.demo:load",
    nav=(
        NavEntry(N_("Cases"), "staff/cases", P.CASES_REQUEST_READ),
        NavEntry(N_("Overdue cases"), "staff/cases?overdue=1", P.CASES_REQUEST_READ),
        NavEntry(N_("Hotline"), "staff/hotline", P.CASES_REQUEST_FILE),
    ),
)
