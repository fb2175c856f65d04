"""The permissions of public transport, and the role it brings (see its manifest)."""

from enum import StrEnum


class TransitPermission(StrEnum):
    TRANSIT_FEED_MANAGE = "transit:feed:manage"  # import feeds, realtime URLs, settings
    TRANSIT_ALERT_MANAGE = "transit:alert:manage"  # write and withdraw service alerts
    TRANSIT_REALTIME_PUSH = "transit:realtime:push"  # push GTFS-Realtime messages


# an operator's system (or its control room): pushes its realtime feed, writes alerts
TRANSIT_OPERATOR = "transit_operator"
