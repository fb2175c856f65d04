"""Mail to residents and staff through a transactional outbox."""

from civitas.core.i18n import N_
from civitas.core.plugins import Domain

MANIFEST = Domain(
    name="notifications",
    title=N_("Notifications"),
    package="civitas.notifications",
    modules=("civitas.notifications.models",),
    tasks="civitas.notifications.tasks",
)
