"""The example domain's manifest: everything it adds, in one place."""

from civitas.core.i18n import N_
from civitas.core.permissions import Role, RoleSpec
from civitas.core.plugins import Domain, NavEntry
from tests.example_domain.permissions import NOTICE_KEEPER, ExamplePermission

MANIFEST = Domain(
    name="example",
    title=N_("Notice board"),
    package="tests.example_domain",
    optional=True,
    requires=("cases",),
    modules=("tests.example_domain.models",),
    migrations="tests.example_domain.migrations",
    permissions=tuple(ExamplePermission),
    roles=(RoleSpec(NOTICE_KEEPER, "Keeper of the notice board", frozenset(ExamplePermission)),),
    grants={Role.MANAGER: frozenset({ExamplePermission.NOTICES_READ})},
    web="tests.example_domain.web:install",
    tasks="tests.example_domain.tasks",
    nav=(NavEntry("Notice board", "staff/notices", ExamplePermission.NOTICES_READ),),
    isolation="tests.example_domain.isolation",
)
