"""The permissions of figures (KPIs, the scorecard, the network) and the network's role."""

from enum import StrEnum


class InsightPermission(StrEnum):
    INSIGHT_FIGURES_READ = "insight:figures:read"  # dashboards, scorecard, reports
    INSIGHT_SCORECARD_WRITE = "insight:scorecard:write"  # objectives, targets, manual figures
    INSIGHT_NETWORK_READ = "insight:network:read"  # the figures cities publish to the network


# the learning network's coordinator: the figures cities publish, and nothing else
NETWORK_COORDINATOR = "network_coordinator"
