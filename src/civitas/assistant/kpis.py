"""The assistant as KPIs (the dashboard, the scorecard, open data): conversations begun
in the month, the share the assistant resolved without a person, the share handed to the
hotline and the minutes until an agent answered, and the requests filed through it. A
conversation counts in the month it began."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, text

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register

ALL = ("all",)
KPIS = (
    Kpi(
        "assistant_conversations",
        N_("Conversations with the assistant"),
        N_("Conversations begun in the month, on the portal, the API and the messaging apps."),
        "count",
        "none",
        "assistant",
        ALL,
    ),
    Kpi(
        "assistant_resolved_pct",
        N_("Resolved by the assistant (%)"),
        N_(
            "Conversations of the month in which the assistant answered what was asked "
            "(a request filed, a status, a service, a timetable, the air) with no person."
        ),
        "percent",
        "up",
        "assistant",
        ALL,
    ),
    Kpi(
        "assistant_handoff_pct",
        N_("Handed to the hotline (%)"),
        N_("Conversations of the month handed to a person at the hotline."),
        "percent",
        "none",
        "assistant",
        ALL,
    ),
    Kpi(
        "assistant_agent_answer_minutes",
        N_("Minutes until an agent answers"),
        N_("Median time from a hand-off to the agent's first message, in minutes."),
        "minutes",
        "down",
        "assistant",
        ALL,
    ),
    Kpi(
        "assistant_requests",
        N_("Requests filed through the assistant"),
        N_("Requests of the month filed through the chatbot channel."),
        "count",
        "up",
        "assistant",
        ALL,
    ),
)

CONVERSATIONS = """
SELECT c.id, c.handed_at, c.answered_at,
  (SELECT COUNT(*) FROM assistant_messages m WHERE m.conversation_id = c.id
     AND m.author = 'resident' AND m.intent IN ('report_problem', 'request_status',
     'service_info', 'apply_online', 'book_appointment', 'transit_arrivals', 'journey_plan',
     'air_quality')) AS served
FROM assistant_conversations c
WHERE c.tenant_id = :city AND c.created_at >= :start AND c.created_at < :end
"""
REQUESTS = """
SELECT COUNT(*) FROM service_requests
WHERE tenant_id = :city AND channel = 'chatbot' AND requested_at >= :start
  AND requested_at < :end
"""


def _when(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    bounds = {"city": city_id, "start": period.start, "end": period.end}
    rows = list(conn.execute(text(CONVERSATIONS), bounds))
    total = len(rows)
    yield Cell("assistant_conversations", "all", "", float(total), total)
    if total:
        handed = [r for r in rows if r.handed_at is not None]
        resolved = sum(1 for r in rows if r.handed_at is None and r.served)
        yield Cell("assistant_resolved_pct", "all", "", round(100.0 * resolved / total, 1), total)
        yield Cell("assistant_handoff_pct", "all", "", round(100.0 * len(handed) / total, 1), total)
        waits = sorted(
            (a - h).total_seconds() / 60
            for r in handed
            if (h := _when(r.handed_at)) is not None and (a := _when(r.answered_at)) is not None
        )
        if waits:
            middle = len(waits) // 2
            median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
            yield Cell("assistant_agent_answer_minutes", "all", "", round(median, 1), len(waits))
    requests = conn.execute(text(REQUESTS), bounds).scalar() or 0
    yield Cell("assistant_requests", "all", "", float(requests), int(requests))


register("assistant", KPIS, compute)
