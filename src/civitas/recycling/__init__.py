"""Recycling with formalised waste pickers (issue 7)."""

from civitas.recycling import kpis as _kpis  # noqa: F401 - registers the KPIs
from civitas.recycling import service as _service  # noqa: F401 - registers the subscriber
