"""The once-only resident register: persons, households, addresses and life events."""

from civitas.core.i18n import N_
from civitas.core.permissions import Permission, Role, RoleSpec
from civitas.core.plugins import Domain
from civitas.register.permissions import REGISTRAR
from civitas.register.permissions import RegisterPermission as P

MANIFEST = Domain(
    name="register",
    title=N_("Resident register"),
    package="civitas.register",
    requires=("cities",),
    modules=("civitas.register.models",),
    permissions=tuple(P),
    roles=(
        RoleSpec(
            REGISTRAR,
            N_("Registry office"),
            frozenset(
                {Permission.CITY_SETTINGS_READ, P.REGISTER_EVENT_RECORD, P.REGISTER_PERSON_READ}
            ),
        ),
    ),
    grants={
        Role.MANAGER: frozenset({P.REGISTER_PERSON_READ}),
        Role.CASE_WORKER: frozenset({P.REGISTER_PERSON_READ}),
    },
    web="civitas.register.web:install",
    cli="civitas.register.cli:app",
    demo="civitas.register.demo:load",
)
