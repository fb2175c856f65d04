"""Online applications: forms per service, once-only prefill, documents, fees, decisions."""

from civitas.applications.permissions import ApplicationPermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="applications",
    title=N_("Online applications"),
    package="civitas.applications",
    optional=True,
    requires=("catalogue", "places", "notifications", "cases", "residents", "register"),
    modules=("civitas.applications.models", "civitas.applications.channels"),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset({P.APPLICATION_READ, P.APPLICATION_DECIDE, P.PAYMENT_RECORD}),
        Role.CASE_WORKER: frozenset({P.APPLICATION_READ, P.APPLICATION_DECIDE}),
        Role.AGENT: frozenset({P.APPLICATION_READ}),
    },
    web="civitas.applications.web:install",
    tasks="civitas.applications.tasks",
    demo="civitas.applications.demo:load",
    nav=(
        NavEntry(N_("My applications"), "account/applications", audience="account", order=20),
        NavEntry(N_("Online applications: payments"), "staff/payments", P.PAYMENT_RECORD),
        NavEntry(N_("Online applications: forms"), "staff/forms", P.FORM_WRITE, admin=True),
    ),
)
