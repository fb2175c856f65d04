"""The permissions of places (see its manifest)."""

from enum import StrEnum


class PlacesPermission(StrEnum):
    PLACES_MANAGE = "places:register:manage"  # import the address register, set the base map
