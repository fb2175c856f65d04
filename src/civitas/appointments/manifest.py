"""Appointments and queues at the city's offices: booking, walk-in tickets, counters, a
calling display, and measured waiting times."""

from civitas.appointments.permissions import AppointmentPermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="appointments",
    title=N_("Appointments and queues"),
    package="civitas.appointments",
    optional=True,
    requires=("catalogue", "places", "notifications"),
    modules=(
        "civitas.appointments.models",
        "civitas.appointments.kpis",
        "civitas.appointments.answers",
    ),
    permissions=tuple(P),
    grants={
        Role.MANAGER: frozenset({P.APPOINTMENT_BOOK, P.QUEUE_SERVE}),
        Role.CASE_WORKER: frozenset({P.APPOINTMENT_BOOK, P.QUEUE_SERVE}),
        Role.AGENT: frozenset({P.APPOINTMENT_BOOK}),
    },
    web="civitas.appointments.web:install",
    tasks="civitas.appointments.tasks",
    demo="civitas.appointments.demo:load",
    nav=(
        NavEntry(N_("Appointments"), "appointments", audience="resident"),
        NavEntry(N_("Offices and queues"), "staff/offices", P.APPOINTMENT_BOOK),
    ),
)
