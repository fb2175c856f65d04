"""Proactive services: rules over the register, decisions, offers and payments."""

from civitas.proactive import kpis as _kpis  # noqa: F401 - registers the domain's KPIs
