"""The installed list: the domains this deployment runs, in order (a domain comes after
those it requires). Adding a domain is one line here and one package; a deployment can add
its own without editing this file (``CIVITAS_PLUGINS=package,package``)."""

INSTALLED: tuple[str, ...] = (
    "civitas.cities",
    "civitas.catalogue",
    "civitas.places",
    "civitas.accounts",
    "civitas.notifications",
    "civitas.cases",
    "civitas.residents",
    "civitas.register",
    "civitas.proactive",
    "civitas.applications",
    "civitas.appointments",
    "civitas.insight",
    "civitas.recycling",
    "civitas.transit",
    "civitas.air",
    "civitas.climate",
    "civitas.assistant",
    "civitas.network",
)
