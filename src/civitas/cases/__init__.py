"""Service requests over every channel, handled as cases until resolved."""

from civitas.cases import kpis as _kpis  # noqa: F401 - registers the domain's KPIs
