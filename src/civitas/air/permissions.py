"""The permissions of air quality (see its manifest)."""

from enum import StrEnum


class AirPermission(StrEnum):
    AIR_MANAGE = "air:manage"  # register sensors, import data, calibrate, choose the index
    AIR_VIEW = "air:view"  # sensor health: last data, QC flags, calibrations
