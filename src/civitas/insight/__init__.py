"""Measuring what residents get: satisfaction surveys (this package grows with KPIs, the
scorecard, city comparison and open data)."""

from civitas.insight import kpis as _kpis  # noqa: F401 - registers the survey KPIs
from civitas.insight import subscribers as _subscribers  # noqa: F401 - registers handlers
