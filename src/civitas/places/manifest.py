"""Places: the address register, the geocoder and the city's own base map."""

from civitas.core.i18n import N_
from civitas.core.plugins import Domain, NavEntry
from civitas.places.permissions import PlacesPermission as P

MANIFEST = Domain(
    name="places",
    title=N_("Addresses and maps"),
    package="civitas.places",
    requires=("cities",),
    modules=("civitas.places.models",),
    permissions=tuple(P),
    web="civitas.places.web:install",
    cli="civitas.places.cli:app",
    demo="civitas.places.demo:load",
    map_layers="civitas.places.maps:LAYERS",
    nav=(NavEntry(N_("Addresses and base map"), "staff/places", P.PLACES_MANAGE, admin=True),),
)
