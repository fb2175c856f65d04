"""The permissions of the climate inventory (see its manifest)."""

from enum import StrEnum


class ClimatePermission(StrEnum):
    CLIMATE_MANAGE = "climate:manage"  # enter activity data, factors, notation keys, targets
