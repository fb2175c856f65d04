"""Measuring what residents get: satisfaction surveys (this package grows with KPIs, the
scorecard, city comparison and open data)."""
