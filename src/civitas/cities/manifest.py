"""The cities this deployment serves: each a tenant with its departments and settings."""

from civitas.core.i18n import N_
from civitas.core.permissions import Permission
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="cities",
    title=N_("Cities and departments"),
    package="civitas.cities",
    modules=("civitas.cities.models",),
    web="civitas.cities.web:install",
    nav=(
        NavEntry(
            N_("Parts of Civitas in this city"),
            "staff/settings",
            Permission.CITY_SETTINGS_WRITE,
            admin=True,
        ),
    ),
)
