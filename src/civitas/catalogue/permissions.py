"""The permissions of the service catalogue, and the roles it brings (see its manifest)."""

from enum import StrEnum


class CataloguePermission(StrEnum):
    CATALOGUE_SERVICE_READ_UNPUBLISHED = "catalogue:service:read_unpublished"
    CATALOGUE_SERVICE_WRITE = "catalogue:service:write"
    CATALOGUE_SERVICE_IMPORT = "catalogue:service:import"
