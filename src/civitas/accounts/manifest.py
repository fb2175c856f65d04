"""Staff accounts, sign-in, bearer tokens and API keys."""

from civitas.core.i18n import N_
from civitas.core.permissions import Permission
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="accounts",
    title=N_("Staff accounts"),
    package="civitas.accounts",
    requires=("cities",),
    modules=("civitas.accounts.models",),
    web="civitas.accounts.web:install",
    tasks="civitas.accounts.tasks",
    demo="civitas.accounts.demo:load",
    nav=(NavEntry(N_("Users"), "staff/users", Permission.ACCOUNTS_USER_READ, admin=True),),
)
