"""Residents' own accounts: their requests, their data, sign-in by link or password."""

from civitas.core.i18n import N_
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="residents",
    title=N_("Residents' accounts"),
    package="civitas.residents",
    requires=("cases",),
    modules=("civitas.residents.models",),
    web="civitas.residents.web:install",
    tasks="civitas.residents.tasks",
    nav=(NavEntry(N_("My requests"), "account", audience="account", order=10),),
)
